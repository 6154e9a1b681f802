"""Backfill decision both ways, Sync now, invitation expiry and reminders."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.attempts.models import Attempt
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.registry import invitation_housekeeping, run_job
from dashboard.lever.sync.models import Invitation, SyncEvent
from dashboard.lever.sync.rules import BACKFILL_SKIPPED, BACKFILL_WAITING
from dashboard.lever.views.sync_routes import wait_for_sync
from dashboard.mail.models import MailMessage
from tests.sync.test_end_to_end import emails_to, status_tags


def _pre_existing(world, count: int) -> list[str]:
    """Candidates already in Lever when the connection is made (webhooks not delivered)."""
    world.sandbox.set_faults(drop_webhooks=True)
    ids = [world.apply("Data Analyst", f"Old {i}", f"old{i}@example.com")["id"] for i in range(count)]
    time.sleep(0.01)
    world.connection.connected_at = utcnow()
    db.session.commit()
    time.sleep(0.01)
    return ids


def _summaries() -> list[str]:
    return list(db.session.scalars(select(SyncEvent.summary)))


def test_backfill_all_invites_the_candidates_already_there(world):
    ids = _pre_existing(world, 2)
    runs = run_job("postings") + run_job("opportunities")
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    world.drain()
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert _summaries().count(BACKFILL_WAITING) == 2
    page = world.client.get("/lever/sync-now/status")
    assert page.status_code == 200
    resp = world.client.post("/lever/backfill", data={"decision": "all"}, headers={"HX-Request": "1"})
    assert resp.status_code == 200 and b"invited like new ones" in resp.data
    assert wait_for_sync(world.connection.organisation_id)
    world.drain()
    db.session.expire_all()
    assert world.connection.backfill_decision == "all"
    for i, opp_id in enumerate(ids):
        assert emails_to(f"old{i}@example.com") == 1
        assert status_tags(world.opportunity(opp_id)) == {"Alooba - Invited"}


def test_backfill_new_only_never_invites_them_but_new_applications_go_through(world):
    _pre_existing(world, 2)
    resp = world.client.post("/lever/backfill", data={"decision": "new_only"})
    assert resp.status_code == 302
    world.sandbox.set_faults(drop_webhooks=False)
    fresh = world.apply("Data Analyst", "New Person", "new@example.com")
    world.step(1)
    run_job("postings")
    run_job("opportunities")
    world.drain()
    assert emails_to("old0@example.com") == emails_to("old1@example.com") == 0
    assert _summaries().count(BACKFILL_SKIPPED) == 2
    assert emails_to("new@example.com") == 1
    assert status_tags(world.opportunity(fresh["id"])) == {"Alooba - Invited"}


def test_backfill_refuses_bad_input_and_recruiters(world, make_user):
    resp = world.client.post("/lever/backfill", data={"decision": "everyone"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert world.connection.backfill_decision is None
    assert world.client.post("/lever/backfill", data={"decision": "all"}, csrf=False).status_code == 400


def test_sync_now_runs_postings_and_opportunities(world):
    world.sandbox.set_faults(drop_webhooks=True)
    world.apply("Data Analyst", "Sync Now", "syncnow@example.com")
    resp = world.client.post("/lever/sync-now", headers={"HX-Request": "1"})
    assert resp.status_code == 200
    assert wait_for_sync(world.connection.organisation_id)
    world.drain()
    assert emails_to("syncnow@example.com") == 1
    status = world.client.get("/lever/sync-now/status")
    assert b"Opportunities: done" in status.data and b"every 1s" not in status.data
    health = world.client.get("/lever/scheduler-health")
    assert health.status_code == 200 and b"Opportunities" in health.data


@pytest.fixture
def invited(world):
    opp = world.apply("Data Analyst", "Rem Inder", "remind@example.com")
    world.step(1)
    attempt = db.session.scalar(select(Attempt))
    return world, opp["id"], attempt


def test_reminder_once_a_day_before_expiry_then_expiry_removes_the_tag(invited):
    world, opp_id, attempt = invited
    attempt.deadline = utcnow() + timedelta(hours=20)
    db.session.commit()
    assert invitation_housekeeping()["reminders"] == 1
    assert invitation_housekeeping()["reminders"] == 0
    reminders = db.session.scalars(select(MailMessage).where(MailMessage.subject.like("Reminder:%"))).all()
    assert len(reminders) == 1 and reminders[0].to == "remind@example.com"
    attempt.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert invitation_housekeeping()["expired"] == 1
    world.drain()
    assert attempt.status == "expired"
    assert status_tags(world.opportunity(opp_id)) == set()
    assert any("expired" in s for s in _summaries())


def test_no_reminder_for_a_hired_candidate(invited):
    world, opp_id, attempt = invited
    world.act(opp_id, "hire")
    world.step(2)
    attempt.deadline = utcnow() + timedelta(hours=20)
    db.session.commit()
    assert invitation_housekeeping()["reminders"] == 0


def test_sync_started_by_another_web_process_shows_as_running_and_is_not_started_twice(world):
    from dashboard.jobs.models import JobRun
    from dashboard.lever.views.sync_routes import start_sync, sync_is_running

    org_id = world.connection.organisation_id
    db.session.add(JobRun(job="opportunities", organisation_id=org_id, trigger="manual", status="running",
                          started_at=utcnow(), changes={}))
    db.session.commit()
    assert sync_is_running(org_id)
    assert start_sync(org_id) is False
    status = world.client.get("/lever/sync-now/status")
    assert b"every 1s" in status.data  # the page keeps polling while it runs
    stale = db.session.scalar(select(JobRun).where(JobRun.status == "running"))
    stale.started_at = utcnow() - timedelta(hours=1)  # its process died long ago
    db.session.commit()
    assert not sync_is_running(org_id)
