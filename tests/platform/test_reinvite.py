"""A manual invitation of someone who already has an attempt at the assessment asks first; the name
typed is the one kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboard.attempts import services
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt, Candidate
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from tests.support.attempts import complete


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def test_reinvite_after_a_result_asks_first_and_creates_only_when_chosen(recruiter_client, recruiter,
                                                                         build_assessment, invite):
    org = recruiter.organisation
    assessment = build_assessment(org, parts=(("auto", 1, 2),))
    first = invite(org, assessment, email="casey@example.com", name="Casey Candidate")
    complete(first)
    assert first.status == "completed" and first.final_score == 100
    mails = _count(MailMessage)

    resp = recruiter_client.post(f"/people/invite/{assessment.id}",
                                 data={"email": "Casey@Example.com", "name": "Casey Jones"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "already has an attempt" in page and "100%" in page and "Completed" in page
    assert "Create a new attempt" in page and "Keep the existing attempt" in page
    assert "The name on file is “Casey Candidate”" in page
    assert _count(Attempt) == 1 and _count(MailMessage) == mails  # nothing created, nothing sent
    assert db.session.get(Candidate, first.candidate_id).name == "Casey Candidate"

    resp = recruiter_client.post(f"/people/invite/{assessment.id}", follow_redirects=True, data={
        "email": "casey@example.com", "name": "Casey Jones", "new_attempt": "yes"})
    page = resp.get_data(as_text=True)
    assert "(a new attempt)" in page and "Their name is now “Casey Jones” (was “Casey Candidate”)" in page
    assert _count(Attempt) == 2 and _count(MailMessage) == mails + 1
    assert db.session.get(Candidate, first.candidate_id).name == "Casey Jones"
    assert db.session.get(Attempt, first.id).final_score == 100  # the earlier result is kept


def test_a_live_invitation_also_asks(recruiter_client, recruiter, build_assessment, invite):
    org = recruiter.organisation
    assessment = build_assessment(org)
    invite(org, assessment, email="lee@example.com", name="Lee")
    resp = recruiter_client.post(f"/people/invite/{assessment.id}", data={"email": "lee@example.com", "name": "Lee"})
    assert resp.status_code == 200 and "already has an attempt" in resp.get_data(as_text=True)
    assert _count(Attempt) == 1


def test_a_cancelled_invitation_does_not_ask_and_the_typed_name_is_used(recruiter_client, recruiter,
                                                                        build_assessment, invite):
    org = recruiter.organisation
    assessment = build_assessment(org)
    old = invite(org, assessment, email="max@example.com", name="Max")
    services.cancel_attempt(old.id, "typo", actor=Actor.staff(recruiter))
    db.session.commit()
    resp = recruiter_client.post(f"/people/invite/{assessment.id}", follow_redirects=True,
                                 data={"email": "max@example.com", "name": "Maxine Mustermann"})
    page = resp.get_data(as_text=True)
    assert "already has an attempt" not in page and "is invited to" in page
    assert "Their name is now “Maxine Mustermann” (was “Max”)" in page
    assert _count(Attempt) == 2
    assert db.session.get(Candidate, old.candidate_id).name == "Maxine Mustermann"


def test_the_service_refuses_a_second_attempt_nobody_chose(recruiter, build_assessment, invite):
    org = recruiter.organisation
    assessment = build_assessment(org)
    invite(org, assessment, email="kim@example.com", name="Kim")
    with pytest.raises(services.AttemptError, match="already has an attempt"):
        services.invite_candidate(org.id, assessment.id, "kim@example.com", "Kim", actor=Actor.staff(recruiter))
    db.session.rollback()
    assert _count(Attempt) == 1
