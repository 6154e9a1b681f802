"""Lever calls per candidate lifecycle, counted in the sandbox's request log: the feedback list is read
only when an earlier try may have created the form, and the form is written only when what it shows
changes."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts.services import find_user_by_email
from dashboard.attempts import services as attempts
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.connection.clients import client_for
from dashboard.lever.sync import feedback, performers
from dashboard.lever.sync.models import Effect
from tests.support.attempts import attempt_for, take
from tests.support.sync import field


def _opportunity_calls(sandbox) -> list[str]:
    """`METHOD path` of every call the log holds about one opportunity (a 429, retried, is not one)."""
    return [f"{c['method']} {c['path'].split('?')[0]}" for c in sandbox.calls()
            if c["path"].startswith("/v1/opportunities/") and c["status"] != 429]


def test_a_full_lifecycle_makes_at_most_nine_calls_and_never_lists_feedback(world):
    opp = world.apply("Data Analyst", "Nina Nine", "nina@example.com")
    world.step(1)
    attempt = attempt_for("nina@example.com")
    take(attempt, correct=4)  # start, then the auto part is scored
    world.drain()
    world.sandbox.admin("POST", "/_admin/calls/clear")
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
    attempts.submit_part(attempt.id, manual.part_id, {q.id: "My analysis" for q in manual.part.questions})
    db.session.commit()
    world.drain()
    complete_calls = _opportunity_calls(world.sandbox)
    answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
    attempts.evaluate_attempt(attempt.id, {answer.id: 4}, find_user_by_email("admin@acme.example").id)
    db.session.commit()
    world.drain()

    # Completing changes the status tag only: the form already says the written part is not scored yet.
    assert sorted(complete_calls) == [f"POST /v1/opportunities/{opp['id']}/addTags",
                                      f"POST /v1/opportunities/{opp['id']}/removeTags"]
    feedback_writes = [c for c in _opportunity_calls(world.sandbox) if "/feedback" in c]
    assert feedback_writes == [f"PUT /v1/opportunities/{opp['id']}/feedback/{world.feedback(opp['id'])[0]['id']}"]
    [form] = world.feedback(opp["id"])
    assert field(form, "Score status") == "Final"


def test_lifecycle_total_in_the_call_log(world):
    opp = world.apply("Data Analyst", "Tess Total", "tess@example.com")
    world.step(1)  # the account reads (template, users) happen here or at the first feedback
    world.sandbox.admin("POST", "/_admin/calls/clear")
    second = world.apply("Data Analyst", "Otto Other", "otto@example.com")
    world.step(2)
    attempt = attempt_for("otto@example.com")
    take(attempt, correct=4)
    world.drain()
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
    attempts.submit_part(attempt.id, manual.part_id, {q.id: "My analysis" for q in manual.part.questions})
    db.session.commit()
    world.drain()
    answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
    attempts.evaluate_attempt(attempt.id, {answer.id: 4}, find_user_by_email("admin@acme.example").id)
    db.session.commit()
    world.drain()

    calls = _opportunity_calls(world.sandbox)
    assert all(opp["id"] not in c for c in calls)
    assert len(calls) <= 9, calls  # apply 3, start 2, part scored 1, complete 2, evaluated 1
    assert not [c for c in calls if c.startswith("GET ") and c.endswith("/feedback")], calls
    assert len(world.feedback(second["id"])) == 1


def test_a_create_whose_answer_was_lost_looks_for_the_form_and_makes_no_second(world):
    world.app.config.update(LEVER_OUTCOME_SETTLE_SECONDS=600, LEVER_READ_TIMEOUT=1.0, LEVER_MAX_SLEEP=0.2)
    opp = world.apply("Data Analyst", "Lou Lost", "lou@example.com")
    world.step(1)
    attempt = attempt_for("lou@example.com")
    client = client_for(world.connection)
    feedback.ensure_template(world.connection, client)  # the account's template exists before the fault
    performers.perform_as_user(world.connection, client)
    db.session.commit()
    world.sandbox.set_faults(drop_response_after_write_rate=1.0, timeout_seconds=0.1)
    try:
        take(attempt, correct=4)  # the feedback POST reaches Lever; its answer is lost
        world.drain(rounds=8, must_settle=False)
    finally:
        world.sandbox.set_faults(drop_response_after_write_rate=0.0)
    lost = db.session.scalar(select(Effect).where(Effect.kind == "feedback"))
    assert lost.outcome_unknown and lost.state == "pending"
    assert len(world.feedback(opp["id"])) == 1  # Lever made it
    for waiting in db.session.scalars(select(Effect).where(Effect.state == "pending")):
        waiting.next_try_at = utcnow()  # Lever has surely finished the lost request
    db.session.commit()
    world.sandbox.admin("POST", "/_admin/calls/clear")
    world.drain()

    assert f"GET /v1/opportunities/{opp['id']}/feedback" in _opportunity_calls(world.sandbox)
    forms = world.feedback(opp["id"])
    assert len(forms) == 1, forms
    assert not [c for c in _opportunity_calls(world.sandbox) if c.startswith("POST ") and "/feedback" in c]
