"""QUALITY.md R4: the refresh token is revoked while work is queued. The connection shows
"Reconnect needed" (settings card and banner), queued work is paused and kept (never dead), and
after reconnecting through the real OAuth flow it resumes with nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync.models import Effect, InboxDelivery, Invitation
from tests.support.attempts import attempt_for, take
from tests.support.lever import connect
from tests.support.sync import emails_to, status_tags

CANDIDATES = 4


def _connection() -> LeverConnection:
    db.session.expire_all()
    return db.session.scalar(select(LeverConnection))


def _states(model) -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(model.state, func.count(model.id)).group_by(model.state)).all())


def test_revoked_refresh_token_pauses_work_until_reconnected(world):
    # one candidate is already invited; its progress will queue Lever writes later
    first = world.apply("Data Analyst", "Early Bird", "early@example.com")["id"]
    world.step(1)
    # more applications arrive; their deliveries are stored but not processed yet
    opps = [world.apply("Data Analyst", f"Queued {n}", f"queued{n}@example.com")["id"] for n in range(CANDIDATES)]
    world.wait_inbox(1 + CANDIDATES)
    take(attempt_for("early@example.com"))  # queues status/feedback writes

    world.sandbox.admin("POST", "/_admin/revoke", {"client_id": "dashboard-local",
                                                   "account_id": world.lever.account_id})
    conn = _connection()
    conn.expires_at = utcnow() - timedelta(minutes=1)  # the next call must refresh: it will be refused
    db.session.commit()
    for _ in range(5):  # the worker keeps running; nothing may be used up or lost meanwhile
        world.drain(rounds=3, must_settle=False)

    conn = _connection()
    assert conn.status == "reconnect_needed", conn.status
    effects, inbox = _states(Effect), _states(InboxDelivery)
    assert "dead" not in effects and "needs_decision" not in effects, effects
    assert effects.get("pending", 0) >= 1, effects
    assert inbox.get("pending", 0) == CANDIDATES and "failed" not in inbox, inbox
    assert all(e.attempts <= 2 for e in db.session.scalars(select(Effect).where(Effect.state == "pending")))

    card = world.client.get("/settings").get_data(as_text=True)
    assert "Reconnect needed" in card and "Work waiting for Lever is kept" in card
    banner = world.client.get("/lever/candidates").get_data(as_text=True)
    assert 'class="banner bad"' in banner and "Lever needs to be reconnected" in banner
    overview = world.client.get("/lever/").get_data(as_text=True)
    assert "Reconnect needed" in overview

    resp = connect(world.client, world.lever)  # the owner reconnects through Lever's consent page
    assert resp.status_code == 302
    assert _connection().status == "connected"
    assert "Lever needs to be reconnected" not in world.client.get("/lever/candidates").get_data(as_text=True)
    world.drain()

    assert _states(InboxDelivery) == {"done": 1 + CANDIDATES}
    assert set(_states(Effect)) <= {"done"}, _states(Effect)
    assert db.session.scalar(select(func.count(Invitation.id))) == 1 + CANDIDATES
    for n, opp_id in enumerate(opps):
        assert emails_to(f"queued{n}@example.com") == 1
        assert status_tags(world.opportunity(opp_id)) == {"Alooba - Invited"}
    assert status_tags(world.opportunity(first)) == {"Alooba - In Progress"}
    assert emails_to("early@example.com") == 1
