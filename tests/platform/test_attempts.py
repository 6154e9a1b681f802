"""Attempts: invitation, deadlines, time limits, scoring with weights, evaluation and events."""

from datetime import timedelta

import pytest

from dashboard.attempts import services
from dashboard.attempts.events import CANDIDATE, Actor
from dashboard.attempts.models import Attempt, Candidate
from dashboard.attempts.services import evaluate_attempt
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db

STAFF = Actor("recruiter@example.com", 1)


def _parts(attempt):
    return sorted(attempt.part_scores, key=lambda ps: ps.part.position)


def _right(part):
    return {q.id: q.correct_choice for q in part.questions}


def _wrong(part):
    return {q.id: 0 for q in part.questions}


def test_candidate_is_found_by_lower_cased_email(org):
    a = services.find_or_create_candidate(org.id, " Casey@Example.COM ", "Casey")
    b = services.find_or_create_candidate(org.id, "casey@example.com", "Other name")
    assert a.id == b.id and a.email == "casey@example.com" and b.name == "Casey"
    with pytest.raises(services.AttemptError):
        services.find_or_create_candidate(org.id, "not-an-email", "X")


def test_create_attempt_sets_deadline_token_and_pending_parts(org, build_assessment, recorded_events):
    assessment = build_assessment(org, invitation_valid_days=5)
    candidate = services.find_or_create_candidate(org.id, "c@example.com", "C")
    now = utcnow()
    attempt = services.create_attempt(org.id, candidate.id, assessment.id, now=now)
    assert attempt.status == "invited" and as_utc(attempt.deadline) == now + timedelta(days=5)
    assert len(attempt.token) >= 40
    assert [ps.state for ps in attempt.part_scores] == ["pending", "pending"]
    assert recorded_events == [("attempt_invited", {"attempt_id": attempt.id, "organisation_id": org.id,
                                                     "actor": None})]
    assert services.attempt_link(attempt) == f"http://127.0.0.1:5000/a/{attempt.token}"
    assert services.candidate_profile_link(candidate) == f"http://127.0.0.1:5000/lever/candidates/{candidate.id}"


def test_cannot_invite_to_draft_or_other_organisation(org, make_org, build_assessment):
    draft = build_assessment(org, publish=False)
    candidate = services.find_or_create_candidate(org.id, "c@example.com", "C")
    with pytest.raises(services.AttemptError, match="not published"):
        services.create_attempt(org.id, candidate.id, draft.id)
    theirs = build_assessment(make_org("Rival"))
    with pytest.raises(services.AttemptError, match="no such assessment"):
        services.create_attempt(org.id, candidate.id, theirs.id)


def test_whole_flow_auto_then_manual_provisional_then_final(org, admin, build_assessment, invite,
                                                             recorded_events):
    assessment = build_assessment(org, parts=(("auto", 1, 2), ("manual", 3, [10])))
    attempt = invite(org, assessment)
    recorded_events.clear()
    services.start_attempt(attempt.id)
    auto, manual = _parts(attempt)
    answers = _right(auto.part)
    answers[auto.part.questions[1].id] = 2  # one of two wrong → 50 %
    services.submit_part(attempt.id, auto.part_id, answers)
    assert auto.state == "scored" and auto.score == 50
    assert attempt.final_score == 50 and attempt.evaluation_state == "provisional"
    services.submit_part(attempt.id, manual.part_id, {manual.part.questions[0].id: "My analysis"})
    assert manual.state == "awaiting_evaluation" and attempt.status == "completed"
    assert attempt.final_score == 50 and attempt.evaluation_state == "provisional"
    db.session.commit()
    answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
    assert evaluate_attempt(attempt.id, {answer.id: 9}, admin.id) == [manual.part_id]
    assert manual.score == 90 and attempt.evaluation_state == "final"
    assert attempt.final_score == pytest.approx((50 * 1 + 90 * 3) / 4)
    ids = {"attempt_id": attempt.id, "organisation_id": org.id}
    assert recorded_events == [
        ("attempt_started", ids),
        ("part_scored", {**ids, "part_id": auto.part_id}),
        ("attempt_completed", {**ids, "actor": CANDIDATE, "at_time_limit": False, "minutes": 45}),
        ("part_scored", {**ids, "part_id": manual.part_id}),
        ("attempt_evaluated", ids),
    ]


def test_all_auto_parts_are_final_at_completion_without_evaluated_event(org, build_assessment, invite,
                                                                         recorded_events):
    assessment = build_assessment(org, parts=(("auto", 1, 2), ("auto", 2, 1)))
    attempt = invite(org, assessment)
    services.start_attempt(attempt.id)
    first, second = _parts(attempt)
    services.submit_part(attempt.id, first.part_id, _right(first.part))
    services.submit_part(attempt.id, second.part_id, _wrong(second.part))
    assert attempt.status == "completed" and attempt.evaluation_state == "final"
    assert attempt.final_score == pytest.approx(100 / 3)
    names = [name for name, _ in recorded_events]
    assert names.count("attempt_completed") == 1 and "attempt_evaluated" not in names


def test_part_cannot_be_submitted_twice(org, build_assessment, invite):
    attempt = invite(org, build_assessment(org))
    services.start_attempt(attempt.id)
    auto = _parts(attempt)[0]
    services.submit_part(attempt.id, auto.part_id, _right(auto.part))
    with pytest.raises(services.AttemptError, match="already submitted"):
        services.submit_part(attempt.id, auto.part_id, _wrong(auto.part))
    assert auto.score == 100


def test_invalid_choice_is_refused_and_stores_nothing(org, build_assessment, invite):
    attempt = invite(org, build_assessment(org))
    services.start_attempt(attempt.id)
    db.session.commit()
    auto = _parts(attempt)[0]
    with pytest.raises(services.AttemptError, match="choice does not exist"):
        services.submit_part(attempt.id, auto.part_id, {auto.part.questions[0].id: 7})
    db.session.rollback()
    assert db.session.get(Attempt, attempt.id).answers == []


def test_time_limit_refuses_late_answers_and_finishes(org, build_assessment, invite, recorded_events):
    assessment = build_assessment(org, time_limit_minutes=30)
    attempt = invite(org, assessment)
    start = utcnow() - timedelta(minutes=40)
    services.start_attempt(attempt.id, now=start)
    auto, manual = _parts(attempt)
    services.submit_part(attempt.id, auto.part_id, _right(auto.part), now=start + timedelta(minutes=10))
    with pytest.raises(services.AttemptError, match="Time is up"):
        services.submit_part(attempt.id, manual.part_id, {manual.part.questions[0].id: "late"},
                             now=start + timedelta(minutes=30))
    assert attempt.status == "completed"
    assert manual.state == "scored" and manual.score == 0  # nothing was submitted for it in time
    assert attempt.final_score == 50 and attempt.evaluation_state == "final"
    assert all(a.text != "late" for a in attempt.answers)


def test_extra_minutes_extend_the_time_limit(org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, time_limit_minutes=30))
    start = utcnow()
    services.start_attempt(attempt.id, now=start)
    services.grant_extra_time(attempt.id, 15, actor=STAFF)
    auto = _parts(attempt)[0]
    services.submit_part(attempt.id, auto.part_id, _right(auto.part), now=start + timedelta(minutes=44))
    assert auto.state == "scored"
    assert services.is_time_up(attempt, start + timedelta(minutes=45))


def test_starting_after_the_deadline_is_refused(org, build_assessment, invite):
    invited = utcnow() - timedelta(days=8)
    attempt = invite(org, build_assessment(org, invitation_valid_days=7), now=invited)
    with pytest.raises(services.AttemptError, match="expired"):
        services.start_attempt(attempt.id)
    assert attempt.status == "invited" and attempt.started_at is None


def test_expire_extend_and_cancel(org, build_assessment, invite):
    assessment = build_assessment(org)
    late = invite(org, assessment, email="late@example.com", now=utcnow() - timedelta(days=9))
    fresh = invite(org, assessment, email="fresh@example.com")
    assert services.expire_due_attempts() == [late.id]
    assert late.status == "expired" and fresh.status == "invited"
    services.extend_deadline(late.id, 3, actor=STAFF)
    assert late.status == "invited" and as_utc(late.deadline) > utcnow() + timedelta(days=2)
    services.cancel_attempt(late.id, "Position filled", actor=STAFF)
    assert late.status == "cancelled" and late.cancelled_reason == "Position filled"
    with pytest.raises(services.AttemptError):
        services.start_attempt(late.id)
    services.start_attempt(fresh.id)
    with pytest.raises(services.AttemptError, match="not been started"):
        services.cancel_attempt(fresh.id, "x", actor=STAFF)
    with pytest.raises(services.AttemptError):
        services.expire_attempt(fresh.id)


def test_finish_overdue_attempts(org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, time_limit_minutes=20))
    services.start_attempt(attempt.id, now=utcnow() - timedelta(minutes=25))
    assert services.finish_overdue_attempts() == [attempt.id]
    assert attempt.status == "completed"
    assert services.finish_overdue_attempts() == []


def test_evaluation_validates_points(org, admin, build_assessment, invite):
    attempt = invite(org, build_assessment(org, parts=(("manual", 1, [10, 5]),)))
    services.start_attempt(attempt.id)
    part = _parts(attempt)[0]
    q1, q2 = part.part.questions
    services.submit_part(attempt.id, part.part_id, {q1.id: "answer one", q2.id: "  "})
    blank = next(a for a in attempt.answers if a.question_id == q2.id)
    assert blank.points == 0  # a blank answer needs no evaluator
    written = next(a for a in attempt.answers if a.question_id == q1.id)
    for bad in (-1, 10.5):
        with pytest.raises(services.AttemptError, match="between 0 and 10"):
            evaluate_attempt(attempt.id, {written.id: bad}, admin.id)
    assert part.state == "awaiting_evaluation"
    evaluate_attempt(attempt.id, {written.id: 6}, admin.id)
    assert part.score == pytest.approx(40.0) and attempt.evaluation_state == "final"
    with pytest.raises(services.AttemptError, match="not awaiting"):
        evaluate_attempt(attempt.id, {written.id: 7}, admin.id)


def test_candidates_are_scoped_to_their_organisation(org, make_org):
    other = make_org("Rival")
    services.find_or_create_candidate(org.id, "same@example.com", "A")
    services.find_or_create_candidate(other.id, "same@example.com", "B")
    assert db.session.query(Candidate).count() == 2


def test_send_invitation_stores_mail_once_and_resends_on_request(org, build_assessment, invite):
    from dashboard.mail.models import MailMessage

    attempt = invite(org, build_assessment(org))
    first = services.send_invitation(attempt.id)
    again = services.send_invitation(attempt.id)
    assert first.id == again.id
    assert first.to == "cand@example.com" and "Data Analyst Assessment" in first.subject
    assert services.attempt_link(attempt) in first.text_body and services.attempt_link(attempt) in first.html_body
    resent = services.queue_invitation(attempt.id, actor=STAFF, resend=True)
    assert resent.id != first.id and resent.text_body == first.text_body
    assert db.session.query(MailMessage).count() == 2
    services.cancel_attempt(attempt.id, "x", actor=STAFF)
    with pytest.raises(services.AttemptError):
        services.queue_invitation(attempt.id, actor=STAFF, resend=True)
    with pytest.raises(services.AttemptError):
        services.send_invitation(attempt.id)
