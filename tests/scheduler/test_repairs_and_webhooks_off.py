"""Against the sandbox: a webhook that failed is marked repaired when reconciliation applies its
opportunity (the history says how, when and how late), and reconciliation that keeps applying changes
no webhook announced makes a Needs attention item naming the webhook groups to switch on."""

from __future__ import annotations

import re

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.jobs.runs import run_job
from dashboard.lever.sync import inbox
from dashboard.lever.sync.models import InboxDelivery, LeverOpportunity, ReconcileState, SyncEvent
from tests.support.sync import emails_to


def _attention(world) -> str:
    resp = world.client.get("/lever/attention")
    assert resp.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def test_a_failed_webhook_is_repaired_by_reconciliation_and_the_history_says_so(world, monkeypatch):
    monkeypatch.setattr(inbox, "MAX_DELIVERY_ATTEMPTS", 1)  # give up at the first failure
    world.sandbox.set_faults(error_rate=1.0)
    world.apply("Data Analyst", "Rita Repair", "repair@example.com")
    world.wait_inbox(1)
    inbox.run_inbox()
    delivery = db.session.scalar(select(InboxDelivery))
    assert delivery.state == "failed" and emails_to("repair@example.com") == 0
    page = _attention(world)
    assert "A new applicant, not read from Lever yet" in page and "could not be processed" in page

    world.sandbox.set_faults(error_rate=0.0)
    runs = run_job("postings") + run_job("opportunities")
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    world.drain()
    db.session.expire_all()
    assert delivery.state == "repaired" and emails_to("repair@example.com") == 1
    opp = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.email == "repair@example.com"))
    lines = list(db.session.scalars(select(SyncEvent.summary).where(SyncEvent.opportunity_id == opp.id)))
    repaired = [line for line in lines if line.startswith("Repaired by reconciliation at ")]
    assert len(repaired) == 1 and "after the webhook “Application created” of " in repaired[0]
    assert re.search(r"failed: applied (less than a minute|\d+ minutes?) late\.$", repaired[0])
    assert "not read from Lever yet" not in _attention(world)
    history = world.client.get(f"/lever/candidates/{opp.candidate_id}").get_data(as_text=True)
    assert "Repaired by reconciliation" in history
    activity = world.client.get("/lever/activity?kind=webhooks").get_data(as_text=True)
    assert "Repaired later" in activity and "Rita Repair" in activity


def test_reconciliation_finding_unannounced_changes_twice_names_the_webhooks_to_switch_on(world):
    world.app.config["WEBHOOK_GRACE_SECONDS"] = 0
    run_job("postings")
    run_job("opportunities")  # the first full pass, with nothing in Lever yet
    world.sandbox.set_faults(drop_webhooks=True)
    world.apply("Data Analyst", "Una One", "una@example.com")
    first = run_job("opportunities")[0]
    assert first.changes["unannounced"] == 1
    assert "Lever webhooks" not in _attention(world)  # one run proves nothing yet
    world.apply("Data Analyst", "Dos Two", "dos@example.com")
    second = run_job("opportunities")[0]
    assert second.changes["unannounced"] == 1
    page = _attention(world)
    assert "Lever webhooks" in page and "Application created" in page and "Switch these webhook groups on" in page
    state = db.session.get(ReconcileState, world.connection.id)
    assert state.unannounced_runs == 2 and state.unannounced_events == ["applicationCreated"]

    world.sandbox.set_faults(drop_webhooks=False)  # a Super Admin switches the group back on
    world.apply("Data Analyst", "Tres Three", "tres@example.com")
    world.step(1)
    assert "Lever webhooks" not in _attention(world)
    third = run_job("opportunities")[0]
    assert third.changes["unannounced"] == 0
    db.session.expire_all()
    assert db.session.get(ReconcileState, world.connection.id).unannounced_runs == 0


def test_changes_announced_by_webhooks_are_never_counted(world):
    world.app.config["WEBHOOK_GRACE_SECONDS"] = 0
    run_job("postings")
    run_job("opportunities")
    opp = world.apply("Senior Data Analyst", "Sam Stage", "sam@example.com")
    world.step(1)
    world.act(opp["id"], "stage", stage="Hiring Manager Review")
    world.wait_inbox(2)  # the stage change arrives, but reconciliation runs before the worker takes it
    run = run_job("opportunities")[0]
    assert run.changes["unannounced"] == 0
    world.drain()
    assert emails_to("sam@example.com") == 1
