"""Stage automation against the sandbox over HTTP: results move candidates in Lever, each move once, never
dragging back a candidate a recruiter moved, and the moves' own webhooks invite nobody twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from dashboard.accounts.services import find_user_by_email
from dashboard.assessments.models import Assessment
from dashboard.assessments.services import publish_assessment
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.worker import run_once
from dashboard.lever.sync import automation
from dashboard.lever.sync.models import Effect, Invitation, SyncEvent
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.automation import archive_calls, our_moves, reason_id, refresh_reasons, set_automation
from tests.support.clients import login
from tests.support.sync import DA_TAG, DEMO_PASSWORD, emails_to, reconcile, status_tags

DE_TAG = "Alooba Assessment - Data Engineer Assessment"


def _evaluator() -> int:
    return find_user_by_email("admin@acme.example").id


def _lines(opp_lever_id: str | None = None) -> list[str]:
    return list(db.session.scalars(select(SyncEvent.summary).order_by(SyncEvent.id)))


def _hold(*effects) -> None:
    """Keep queued effects back, as a back-off after a failed try does."""
    for effect in effects:
        effect.next_try_at = utcnow() + timedelta(hours=1)
    db.session.commit()


def attempt_opportunity(attempt) -> int:
    return db.session.scalar(select(Invitation.opportunity_id).where(Invitation.attempt_id == attempt.id))


def _again(world, attempt) -> None:
    """Everything that could queue the same moves again: the outcome event, a resync, a reconciliation."""
    automation.on_result(attempt.id)
    db.session.commit()
    world.client.post(f"/lever/candidates/{attempt.candidate_id}/resync")
    world.drain()
    reconcile(world)


def test_completion_then_pass_move_the_candidate_once_each(world):
    reconcile(world)  # stages and postings read, as on any running connection
    assert set_automation(world, complete="Phone Screen", passed="On-site") == "Stage automation saved."
    opp = world.apply("Data Analyst", "Pia Pass", "pia@example.com")
    world.step(1)
    attempt = attempt_for("pia@example.com")
    take(attempt, correct=4)
    finish_and_evaluate(attempt, 10, _evaluator())  # (100 + 100) / 2 = 100 ≥ 60
    world.drain()
    world.step(3)  # the two moves fired candidateStageChange back at us
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"], world.stages["On-site"]]
    assert world.opportunity(opp["id"])["stage"] == world.stages["On-site"]

    _again(world, attempt)
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"], world.stages["On-site"]]
    assert emails_to("pia@example.com") == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Completed"}
    lines = _lines()
    assert "Lever: moved to stage “Phone Screen” (“Data Analyst Assessment” completed)." in lines
    assert "Lever: moved to stage “On-site” (“Data Analyst Assessment” passed: 100% ≥ pass mark 60%)." in lines
    assert db.session.scalar(select(func.count(Effect.id)).where(Effect.kind == automation.KIND)) == 2


def test_a_completion_move_delayed_past_the_final_one_does_not_drag_the_candidate_back(world):
    reconcile(world)
    set_automation(world, complete="Phone Screen", passed="On-site")
    opp = world.apply("Data Analyst", "Dee Delayed", "dee@example.com")
    world.step(1)
    attempt = attempt_for("dee@example.com")
    take(attempt, correct=4)
    finish_and_evaluate(attempt, 10, _evaluator())  # completed and passed, both moves queued
    completion = db.session.scalar(select(Effect).where(
        Effect.idempotency_key == automation.move_key(attempt_opportunity(attempt), attempt.id, "completed")))
    completion.next_try_at = utcnow() + timedelta(hours=1)  # its first try failed: backing off
    db.session.commit()
    for _ in range(5):
        run_once()
    assert our_moves(world, opp["id"]) == [world.stages["On-site"]]
    completion.next_try_at = utcnow()
    db.session.commit()
    world.drain()
    assert our_moves(world, opp["id"]) == [world.stages["On-site"]]
    assert "Not moved (“Data Analyst Assessment” completed): the final result has already moved the candidate." \
        in _lines()


def test_a_move_whose_answer_was_lost_is_not_taken_for_a_recruiters_move(world):
    reconcile(world)
    set_automation(world, complete="Phone Screen", passed="On-site")
    opp = world.apply("Data Analyst", "Lou Lost", "lou@example.com")
    world.step(1)
    attempt = attempt_for("lou@example.com")
    take(attempt, correct=4)
    finish_and_evaluate(attempt, 10, _evaluator())
    moves = {e.payload["outcome"]: e for e in db.session.scalars(select(Effect).where(
        Effect.kind == automation.KIND))}
    _hold(moves["completed"], moves["passed"])
    for _ in range(3):  # the status tag and the feedback
        run_once()
    world.app.config.update(LEVER_MAX_SLEEP=0.05)  # the client gives up on the lost answers quickly
    world.sandbox.admin("POST", "/_admin/faults", {"drop_response_after_write_rate": 1.0})
    moves["completed"].next_try_at = utcnow()
    db.session.commit()
    for _ in range(2):
        run_once()
    db.session.refresh(moves["completed"])
    assert moves["completed"].state == "pending" and moves["completed"].attempts == 1  # made in Lever, answer lost
    assert world.opportunity(opp["id"])["stage"] == world.stages["Phone Screen"]

    world.sandbox.admin("POST", "/_admin/faults", {"drop_response_after_write_rate": 0.0})
    moves["completed"].next_try_at = utcnow() + timedelta(hours=1)
    moves["passed"].next_try_at = utcnow()
    db.session.commit()
    for _ in range(3):
        run_once()
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"], world.stages["On-site"]]
    world.drain()
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"], world.stages["On-site"]]


def test_a_failed_result_archives_with_the_chosen_reason_once(world):
    reconcile(world)
    assert refresh_reasons(world).endswith("read from Lever.")
    assert set_automation(world, fail_action="archive", fail_reason="Hired") == \
        "Choose the archive reason for candidates who fail."  # a failed result is never archived as a hire
    set_automation(world, complete="Phone Screen", passed="On-site", fail_action="archive",
                   fail_reason="Underqualified")
    opp = world.apply("Data Analyst", "Finn Fail", "finn@example.com")
    world.step(1)
    attempt = attempt_for("finn@example.com")
    take(attempt, correct=0)
    finish_and_evaluate(attempt, 0, _evaluator())  # 0 % < 60
    world.drain()
    world.step(3)  # the stage change and the archive came back as webhooks
    lever_opp = world.opportunity(opp["id"])
    assert lever_opp["archived"]["reason"] == reason_id(world, "Underqualified")
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"]]  # complete → A; fail → archived, no B
    assert len(archive_calls(world, opp["id"])) == 1

    _again(world, attempt)
    assert len(archive_calls(world, opp["id"])) == 1
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"]]
    assert "Lever: archived with reason “Underqualified” (“Data Analyst Assessment” failed: 0% < pass mark 60%)." \
        in _lines()
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Completed"}


def test_a_failed_result_can_move_to_a_stage_or_do_nothing(world):
    reconcile(world)
    set_automation(world, fail_action="stage", fail_stage="Phone Screen")
    moved = world.apply("Data Analyst", "Sam Stage", "sam@example.com")
    world.step(1)
    attempt = attempt_for("sam@example.com")
    take(attempt, correct=0)
    finish_and_evaluate(attempt, 0, _evaluator())
    world.drain()
    assert our_moves(world, moved["id"]) == [world.stages["Phone Screen"]]

    set_automation(world, complete="", passed="On-site", fail_action="nothing")
    stays = world.apply("Data Analyst", "Nia Nothing", "nia@example.com")
    world.step(3)
    attempt = attempt_for("nia@example.com")
    take(attempt, correct=0)
    finish_and_evaluate(attempt, 0, _evaluator())
    world.drain()
    assert our_moves(world, stays["id"]) == [] and archive_calls(world, stays["id"]) == []


def test_a_recruiter_who_moved_the_candidate_wins(world):
    reconcile(world)
    set_automation(world, complete="Hiring Manager Review", passed="On-site")
    opp = world.apply("Data Analyst", "Rex Moved", "rex@example.com")
    world.step(1)
    world.act(opp["id"], "stage", stage="Phone Screen")  # a recruiter, after the invitation
    world.step(2)
    attempt = attempt_for("rex@example.com")
    take(attempt, correct=4)
    finish_and_evaluate(attempt, 10, _evaluator())
    world.drain()
    assert our_moves(world, opp["id"]) == []
    assert world.opportunity(opp["id"])["stage"] == world.stages["Phone Screen"]
    lines = _lines()
    assert ("Not moved (“Data Analyst Assessment” completed): the candidate was moved to “Phone Screen” by "
            "someone in Lever.") in lines
    assert any(line.startswith("Not moved (“Data Analyst Assessment” passed: 100% ≥ pass mark 60%): the candidate "
                               "was moved to “Phone Screen”") for line in lines)


def test_a_move_into_a_trigger_stage_invites_nobody_twice(world):
    """Invited to the first assessment at Hiring Manager Review; the job then invites at On-site, with a
    second assessment. Completing moves the candidate to On-site: its webhook re-runs the rules, which
    invite the second assessment once and never the first again."""
    job = world.postings["Senior Data Analyst"]
    world.sandbox.admin("POST", f"/_admin/postings/{job}/tags", {
        "tags": [DA_TAG, "Alooba Assessment Stage - Hiring Manager Review"]})
    reconcile(world)
    set_automation(world, "Senior Data Analyst", complete="On-site")
    opp = world.apply("Senior Data Analyst", "Tia Trigger", "tia@example.com")
    world.step(1)
    world.act(opp["id"], "stage", stage="Hiring Manager Review")
    world.step(2)
    assert emails_to("tia@example.com") == 1
    engineer_assessment = db.session.scalar(select(Assessment).where(Assessment.name == "Data Engineer Assessment"))
    publish_assessment(engineer_assessment.id)
    db.session.commit()
    world.sandbox.admin("POST", f"/_admin/postings/{job}/tags", {
        "tags": [DA_TAG, DE_TAG, "Alooba Assessment Stage - On-site"]})
    reconcile(world)  # the job's new tags are read; the candidate has not reached On-site
    assert emails_to("tia@example.com") == 1
    analyst = attempt_for("tia@example.com")
    take(analyst, correct=4)
    finish_and_evaluate(analyst, 10, _evaluator())
    world.drain()
    world.step(3)  # our move to On-site came back: the new assessment is invited, the first one is not again
    assert our_moves(world, opp["id"]) == [world.stages["On-site"]]
    assert emails_to("tia@example.com") == 2
    engineer = db.session.scalar(select(Attempt).join(Candidate).where(
        Candidate.email == "tia@example.com", Attempt.id != analyst.id))
    take(engineer, correct=1)  # its only part: completed, and the job's automation wants On-site again
    world.drain()
    world.act(opp["id"], "stage", stage="Hiring Manager Review")  # a recruiter moves the candidate back and forth
    world.step(4)
    world.act(opp["id"], "stage", stage="On-site")
    world.step(5)
    reconcile(world)
    assert our_moves(world, opp["id"]) == [world.stages["On-site"]]  # already there: no second move
    assert emails_to("tia@example.com") == 2
    assert db.session.scalar(select(func.count(Invitation.id))) == 2
    assert "Not moved (“Data Engineer Assessment” completed): the candidate is already at stage “On-site”." \
        in _lines()


def test_recruiters_see_the_settings_read_only(world):
    reconcile(world)
    refresh_reasons(world)
    set_automation(world, complete="Phone Screen", fail_action="archive", fail_reason="Underqualified")
    recruiter = world.app.test_client()
    login(recruiter, find_user_by_email("recruiter@acme.example"), DEMO_PASSWORD)
    page = recruiter.get("/lever/jobs").get_data(as_text=True)
    assert "Data Analyst</strong>: completed → “Phone Screen”; failed → archived (“Underqualified”)." in page
    assert "/automation" not in page and "Refresh archive reasons" not in page
    job = world.postings["Data Analyst"]
    assert recruiter.post(f"/lever/jobs/{job}/automation", data={"fail_action": "nothing"}).status_code == 403
    assert automation.automation_for(world.connection.id, job).fail_action == "archive"
