"""The sync engine against Lever's other answer shapes, over HTTP against the sandbox: feedback answers
without an envelope or lost, the archived state at the top level, list answers without links."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.accounts.services import find_user_by_email
from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.lever.connection.clients import client_for
from dashboard.lever.sync import feedback, outbox, performers
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity, SyncEvent
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.sync import emails_to, field, reconcile, status_tags


def posts_to(world, path: str) -> int:
    return sum(1 for c in world.sandbox.calls() if c["method"] == "POST" and c["path"] == path)


def assert_one_form_updated_in_place(world, opp_id: str, attempt: Attempt) -> None:
    """Take the test, finish it, evaluate it: one form, created once, provisional then final in place."""
    [first] = world.feedback(opp_id)
    assert "Provisional" in field(first, "Score status") and field(first, "Reference") == f"attempt-{attempt.id}"
    finish_and_evaluate(attempt, 10, find_user_by_email("admin@acme.example").id)
    world.drain()
    [final] = world.feedback(opp_id)
    assert final["id"] == first["id"]
    assert field(final, "Score status") == "Final" and field(final, "Rating") == "4 - Strong Hire"
    assert posts_to(world, f"/v1/opportunities/{opp_id}/feedback") == 1
    assert db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) == 0


def test_feedback_answers_without_an_envelope_end_with_one_form_updated_in_place(world):
    world.sandbox.configure(answer_shapes="documented", enforce_applications_scope=True)
    opp = world.apply("Data Analyst", "Bea Bare", "bea@example.com")
    world.step(1)
    attempt = attempt_for("bea@example.com")
    take(attempt)
    world.drain()
    assert posts_to(world, "/v1/feedback_templates") == 1  # the bare template answer was read
    assert_one_form_updated_in_place(world, opp["id"], attempt)


def test_a_lost_feedback_answer_ends_with_one_form_updated_in_place(world):
    world.app.config["LEVER_OUTCOME_SETTLE_SECONDS"] = 0.5
    opp = world.apply("Data Analyst", "Lou Lost", "lou@example.com")
    world.step(1)
    feedback.ensure_template(world.connection, client_for(world.connection))  # the next write is the form
    db.session.commit()
    attempt = attempt_for("lou@example.com")
    take(attempt)
    effect = db.session.scalar(select(Effect).where(Effect.kind == "feedback", Effect.state == "pending"))
    world.sandbox.set_faults(drop_response_after_write_rate=1.0, timeout_seconds=1.0)
    assert outbox.claim(effect.id, "test-worker")
    db.session.commit()
    performers.perform(db.session.get(Effect, effect.id), client_for)  # as the worker does, answer cut off
    db.session.commit()
    world.sandbox.set_faults(drop_response_after_write_rate=0.0)
    db.session.refresh(effect)
    assert effect.state == "pending" and effect.outcome_unknown
    assert len(world.feedback(opp["id"])) == 1  # Lever did create it

    world.drain()  # after the settle delay the worker finds the form and updates it
    notes = db.session.scalars(select(SyncEvent.summary).where(SyncEvent.effect_id == effect.id)).all()
    assert any("answer was lost; checking before trying again" in n for n in notes)
    assert any("feedback updated" in n for n in notes)
    assert_one_form_updated_in_place(world, opp["id"], attempt)


def test_an_archived_opportunity_in_the_top_level_shape_is_not_invited(world):
    world.sandbox.configure(archived_shape="top_level", enforce_applications_scope=True)
    opp = world.apply("Data Analyst", "Arlo Archived", "arlo@example.com")
    world.act(opp["id"], "archive", reason="Withdrew")
    shown = client_for(world.connection).get_opportunity(opp["id"])
    assert "archived" not in shown and shown["archivedAt"] and shown["archiveReason"]
    world.step(2)
    assert emails_to("arlo@example.com") == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    stored = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == opp["id"]))
    assert stored.archived is True
    assert status_tags(world.opportunity(opp["id"])) == set()

    world.sandbox.set_faults(drop_webhooks=True)  # reconciliation reads the same shape the same way
    quiet = world.apply("Data Analyst", "Ivy Idle", "ivy@example.com")
    world.act(quiet["id"], "archive", reason="Withdrew")
    reconcile(world)
    assert emails_to("ivy@example.com") == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_archiving_in_the_top_level_shape_cancels_an_invitation_not_started(world):
    world.sandbox.configure(archived_shape="top_level")
    opp = world.apply("Data Analyst", "Cal Cancel", "cal@example.com")
    world.step(1)
    assert emails_to("cal@example.com") == 1
    world.act(opp["id"], "archive", reason="Withdrew")
    world.step(2)
    assert attempt_for("cal@example.com").status == "cancelled"
    assert status_tags(world.opportunity(opp["id"])) == set()


def test_profile_links_come_from_the_hire_url_when_a_list_answer_has_none(world):
    world.sandbox.configure(omit_urls_in_lists=True)
    world.sandbox.set_faults(drop_webhooks=True)
    world.app.config["LEVER_HIRE_URL"] = "https://hire.example.test"
    opp = world.apply("Data Analyst", "Una Linked", "una@example.com")
    reconcile(world)
    assert emails_to("una@example.com") == 1
    stored = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == opp["id"]))
    link = f"https://hire.example.test/candidates/{opp['id']}"
    assert stored.profile_url == link
    assert f'href="{link}"' in world.client.get("/lever/candidates").get_data(as_text=True)
