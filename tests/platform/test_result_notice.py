"""The staff member who invited by hand is emailed the final result, once; ATS invitations tell nobody."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.attempts import services
from dashboard.attempts.events import Actor
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from tests.support.attempts import complete


def _results() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).where(MailMessage.subject.like("Result:%"))))


def test_the_inviter_is_told_the_final_result_once(recruiter, build_assessment):
    org = recruiter.organisation
    assessment = build_assessment(org, parts=(("auto", 1, 2), ("manual", 1, [10])))
    attempt = services.invite_candidate(org.id, assessment.id, "ria@example.com", "Ria",
                                        actor=Actor.staff(recruiter))
    db.session.commit()
    assert attempt.invited_by_id == recruiter.id
    complete(attempt)
    assert _results() == []  # provisional: the written part waits for an evaluator
    answer = next(a for a in attempt.answers if a.question.kind != "multiple_choice")
    services.evaluate_attempt(attempt.id, {answer.id: 5}, recruiter.id)
    db.session.commit()
    (notice,) = _results()
    assert notice.to == recruiter.email
    assert "Final score: 75%" in notice.text_body and "pass mark" in notice.text_body
    services.queue_result_notice(attempt)  # asked again: still one
    db.session.commit()
    assert len(_results()) == 1


def test_an_invitation_nobody_made_by_hand_tells_nobody(recruiter, build_assessment, invite):
    org = recruiter.organisation
    attempt = invite(org, build_assessment(org, parts=(("auto", 1, 2),)))
    complete(attempt)
    assert attempt.evaluation_state == "final" and _results() == []
