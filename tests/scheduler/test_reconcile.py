"""Reconciliation against the sandbox: dropped webhooks, drift repair, crash resume, isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.jobs.runs import run_job
from dashboard.lever.sync import rules
from dashboard.lever.sync.models import Effect, Invitation, ReconcileState
from tests.support.sync import emails_to, reconcile, status_tags

INVITED = "Alooba - Invited"


def test_dropped_webhooks_are_made_up_by_one_run(world):
    world.sandbox.set_faults(drop_webhooks=True)
    plain = [world.apply("Data Analyst", f"Cand {i}", f"cand{i}@example.com")["id"] for i in range(4)]
    staged = world.apply("Senior Data Analyst", "Stage Person", "stage@example.com")["id"]
    waiting = world.apply("Senior Data Analyst", "Early Person", "early@example.com")["id"]
    world.act(staged, "stage", stage="Hiring Manager Review")
    assert world.inbox_count() == 0
    runs = reconcile(world)
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    opp_run = next(r for r in runs if r.job == "opportunities")
    assert opp_run.changes["invited"] == 5 and opp_run.lever_calls >= 1
    expected = [*zip(plain, [f"cand{i}@example.com" for i in range(4)], strict=True), (staged, "stage@example.com")]
    for opp_id, email in expected:
        assert emails_to(email) == 1
        assert status_tags(world.opportunity(opp_id)) == {INVITED}
        assert world.opportunity(opp_id)["links"]
    assert emails_to("early@example.com") == 0
    assert status_tags(world.opportunity(waiting)) == set()
    # A second run changes nothing.
    again = reconcile(world)
    assert next(r for r in again if r.job == "opportunities").changes["effects"] == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 5


def test_removed_status_tag_and_link_are_put_back(world):
    from dashboard.lever.connection.clients import client_for

    opp_id = world.apply("Data Analyst", "Ada Drift", "drift@example.com")["id"]
    world.step(1)
    reconcile(world)  # watermark set
    link = world.opportunity(opp_id)["links"][0]
    client = client_for(world.connection)
    client.remove_tags(opp_id, [INVITED])
    client.remove_links(opp_id, [link])
    assert status_tags(world.opportunity(opp_id)) == set()
    reconcile(world)
    assert status_tags(world.opportunity(opp_id)) == {INVITED}
    assert link in world.opportunity(opp_id)["links"]
    assert emails_to("drift@example.com") == 1


def test_crash_mid_run_resumes_from_the_watermark(world, monkeypatch):
    world.sandbox.set_faults(drop_webhooks=True)
    reconcile(world)
    watermark = db.session.get(ReconcileState, world.connection.id).watermark_ms
    ids = [world.apply("Data Analyst", f"Crash {i}", f"crash{i}@example.com")["id"] for i in range(5)]
    real, calls = rules.apply_opportunity, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("injected crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "apply_opportunity", flaky)
    [run] = run_job("opportunities")
    assert run.status == "failed" and "injected crash" in run.error
    db.session.expire_all()
    assert db.session.get(ReconcileState, world.connection.id).watermark_ms == watermark
    assert db.session.scalar(select(func.count(Invitation.id))) == 2
    monkeypatch.setattr(rules, "apply_opportunity", real)
    [run] = run_job("opportunities")
    world.drain()
    assert run.status == "ok"
    assert db.session.get(ReconcileState, world.connection.id).watermark_ms > watermark
    assert db.session.scalar(select(func.count(Invitation.id))) == 5
    for i, opp_id in enumerate(ids):
        assert emails_to(f"crash{i}@example.com") == 1
        assert status_tags(world.opportunity(opp_id)) == {INVITED}
    keys = db.session.scalars(select(Effect.kind).where(Effect.kind == "send_invitation")).all()
    assert len(keys) == 5


def test_one_broken_connection_does_not_stop_the_others(world, make_org):
    from tests.support.connections import direct_connection

    broken_org = make_org("Broken Co")
    broken = direct_connection(broken_org.id)  # tokens Lever does not know: refused
    world.sandbox.set_faults(drop_webhooks=True)
    world.apply("Data Analyst", "Still Works", "works@example.com")
    runs = run_job("postings") + run_job("opportunities")
    by_org = {(r.job, r.organisation_id): r for r in runs}
    assert by_org[("postings", broken_org.id)].status == "failed"
    assert ("opportunities", broken_org.id) not in by_org  # now "reconnect needed": skipped
    assert by_org[("postings", world.connection.organisation_id)].status == "ok"
    assert by_org[("opportunities", world.connection.organisation_id)].status == "ok"
    world.drain()
    assert emails_to("works@example.com") == 1
    db.session.expire_all()
    assert db.session.get(type(broken), broken.id).status == "reconnect_needed"


@pytest.mark.parametrize("job", ["tokens"])
def test_token_job_refreshes_a_token_close_to_expiry(world, job):
    from datetime import timedelta

    from dashboard.core.clock import utcnow

    world.sandbox.configure(access_token_ttl=4 * 3600)
    world.connection.expires_at = utcnow() + timedelta(minutes=30)
    db.session.commit()
    [run] = run_job(job)
    assert run.status == "ok" and run.changes["refreshed"] == 1
    db.session.expire_all()
    assert world.connection.expires_in() > 3 * 3600
    [run] = run_job(job)
    assert run.changes["refreshed"] == 0
