"""QUALITY.md R5: every webhook silently dropped for a while; reconciliation alone produces every
effect within two runs (the scheduler's postings + opportunities jobs, then the worker)."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.jobs.runs import run_job
from dashboard.lever.sync.models import Effect, InboxDelivery, Invitation
from tests.support.attempts import attempt_for, take
from tests.support.sync import emails_to, status_tags

INVITED, IN_PROGRESS = "Alooba - Invited", "Alooba - In Progress"


def reconcile(world) -> None:
    runs = run_job("postings") + run_job("opportunities")
    assert all(r.status == "ok" for r in runs), [(r.job, r.error) for r in runs]
    world.drain()


def test_reconciliation_alone_makes_up_for_dropped_webhooks(world):
    before = world.apply("Data Analyst", "Before Drop", "before@example.com")["id"]
    world.step(1)
    reconcile(world)  # the watermark is set: the runs below are incremental
    inbox_before = world.inbox_count()

    world.sandbox.set_faults(drop_webhooks=True)
    plain = {f"plain{n}@example.com": world.apply("Data Analyst", f"Plain {n}", f"plain{n}@example.com")["id"]
             for n in range(3)}
    staged = world.apply("Senior Data Analyst", "Staged", "staged@example.com")["id"]
    world.act(staged, "stage", stage="Hiring Manager Review")
    early = world.apply("Senior Data Analyst", "Early", "early@example.com")["id"]
    world.act(early, "stage", stage="Phone Screen")
    untagged = world.apply("Data Engineer", "Untagged", "untagged@example.com")["id"]
    gone = world.apply("Data Analyst", "Gone Quickly", "gone@example.com")["id"]
    world.act(gone, "archive")
    take(attempt_for("before@example.com"))  # platform progress is not a webhook: queued directly
    assert world.inbox_count() == inbox_before  # nothing arrived

    reconcile(world)
    reconcile(world)

    for email, opp_id in plain.items():
        assert emails_to(email) == 1
        assert status_tags(world.opportunity(opp_id)) == {INVITED}
        assert len(world.opportunity(opp_id)["links"]) == 1
    assert emails_to("staged@example.com") == 1 and status_tags(world.opportunity(staged)) == {INVITED}
    assert emails_to("early@example.com") == 0 and status_tags(world.opportunity(early)) == set()
    assert emails_to("untagged@example.com") == 0 and status_tags(world.opportunity(untagged)) == set()
    assert emails_to("gone@example.com") == 0  # archived before anyone saw it
    assert status_tags(world.opportunity(before)) == {IN_PROGRESS}
    assert emails_to("before@example.com") == 1
    assert db.session.scalar(select(func.count(Invitation.id))) == 5
    assert db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) == 0
    assert db.session.scalar(select(func.count(InboxDelivery.id))) == inbox_before

    # a third run finds nothing left to do
    effects = db.session.scalar(select(func.count(Effect.id)))
    reconcile(world)
    assert db.session.scalar(select(func.count(Effect.id))) == effects
