"""Confidential jobs, over HTTP against the sandbox: Lever hides them and their candidates unless asked
with the confidential:access:admin scope. A confidential job tagged for an assessment invites its
applicants like any other, by webhook and by reconciliation."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.lever.sync.models import Invitation, LeverPosting
from tests.support.attempts import attempt_for, take
from tests.support.sync import (
    CONFIDENTIAL_JOB,
    DA_TAG,
    apply_to,
    confidential_posting,
    emails_to,
    field,
    reconcile,
    status_tags,
)


def test_a_confidential_job_invites_its_applicants_by_webhook(world):
    world.sandbox.configure(enforce_applications_scope=True)
    opp = apply_to(world, confidential_posting(world), "Cora Secret", "cora@example.com")
    assert opp["confidentiality"] == "confidential"
    world.step(1)
    assert emails_to("cora@example.com") == 1
    lever_opp = world.opportunity(opp["id"])
    assert status_tags(lever_opp) == {"Alooba - Invited"}
    assert DA_TAG in lever_opp["tags"] and len(lever_opp["links"]) == 1

    take(attempt_for("cora@example.com"))  # results reach the confidential candidate's profile too
    world.drain()
    [form] = world.feedback(opp["id"])
    assert "Provisional" in field(form, "Score status")
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - In Progress"}
    refused = [c for c in world.sandbox.calls() if c["status"] == 403]
    assert refused == []


def test_a_confidential_job_invites_its_applicants_by_reconciliation(world):
    world.sandbox.configure(enforce_applications_scope=True)
    world.sandbox.set_faults(drop_webhooks=True)
    posting_id = confidential_posting(world)
    ids = [apply_to(world, posting_id, f"Quiet {i}", f"quiet{i}@example.com")["id"] for i in range(2)]
    public = world.apply("Data Analyst", "Open Person", "open@example.com")["id"]
    runs = reconcile(world)
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    stored = db.session.scalar(select(LeverPosting).where(LeverPosting.lever_id == posting_id))
    assert stored is not None and stored.text == CONFIDENTIAL_JOB
    for i, opp_id in enumerate(ids):
        assert emails_to(f"quiet{i}@example.com") == 1
        assert status_tags(world.opportunity(opp_id)) == {"Alooba - Invited"}
    assert emails_to("open@example.com") == 1 and status_tags(world.opportunity(public)) == {"Alooba - Invited"}
    assert CONFIDENTIAL_JOB in world.client.get("/lever/jobs").get_data(as_text=True)

    again = reconcile(world)  # nothing changes on a second pass
    assert next(r for r in again if r.job == "opportunities").changes["effects"] == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 3
