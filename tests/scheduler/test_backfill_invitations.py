"""Backfill decision both ways, Sync now, invitation expiry and reminders."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.attempts.jobs import invitation_housekeeping
from dashboard.attempts.models import Attempt
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.runs import run_job, run_requested
from dashboard.lever.sync.models import Invitation, SyncEvent
from dashboard.lever.sync.rules import BACKFILL_SKIPPED, BACKFILL_WAITING
from dashboard.mail.models import MailMessage
from tests.support.sync import emails_to, status_tags


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
    resp = world.client.post("/lever/backfill", data={"decision": "all"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and b"invited like new ones" in resp.data
    assert run_requested("test-worker") == 2  # the worker performs the queued postings + opportunities runs
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
    assert resp.status_code == 302
    db.session.expire_all()
    assert world.connection.backfill_decision is None
    assert world.client.post("/lever/backfill", data={"decision": "all"}, csrf=False).status_code == 400


def test_sync_now_runs_postings_and_opportunities(world):
    world.sandbox.set_faults(drop_webhooks=True)
    world.apply("Data Analyst", "Sync Now", "syncnow@example.com")
    resp = world.client.post("/lever/sync-now", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and b"waiting for a worker" in resp.data and b"every 1s" in resp.data
    assert run_requested("test-worker") == 2
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


def test_reminder_once_a_day_before_expiry_then_expiry_tags_it_expired(invited):
    world, opp_id, attempt = invited
    attempt.valid_from = utcnow() - timedelta(days=6)  # in the second half of its validity
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
    assert status_tags(world.opportunity(opp_id)) == {"Alooba - Expired"}
    assert any("expired" in s for s in _summaries())


def test_no_reminder_for_a_hired_candidate(invited):
    world, opp_id, attempt = invited
    world.act(opp_id, "hire")
    world.step(2)
    attempt.valid_from = utcnow() - timedelta(days=6)
    attempt.deadline = utcnow() + timedelta(hours=20)
    db.session.commit()
    assert invitation_housekeeping()["reminders"] == 0


def test_a_requested_sync_is_not_queued_twice_and_shows_until_done(world):
    from dashboard.jobs.models import JobRun

    org_id = world.connection.organisation_id
    first = world.client.post("/lever/sync-now", headers={"HX-Request": "true"})
    second = world.client.post("/lever/sync-now", headers={"HX-Request": "true"})
    assert first.status_code == second.status_code == 200
    assert db.session.scalar(select(func.count(JobRun.id)).where(JobRun.organisation_id == org_id)) == 2
    status = world.client.get("/lever/sync-now/status")
    assert b"every 1s" in status.data  # the page keeps polling while runs wait or run
    for run in db.session.scalars(select(JobRun)):
        run.started_at = utcnow() - timedelta(hours=1)  # queued long ago by a worker that never came
    db.session.commit()
    assert b"every 1s" not in world.client.get("/lever/sync-now/status").data
