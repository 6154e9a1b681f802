"""ConnectionTokenSource: refresh ahead of expiry, single-flight, revocation → reconnect needed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverAuthError
from dashboard.lever.connection import crypto
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.connection.tokens import ConnectionTokenSource
from tests.support.clients import login
from tests.support.lever import CONNECT, connect, connect_organisation, flash_text


@pytest.fixture
def connected(app, client, owner, lever):
    """An organisation connected to the sandbox through the real flow; returns its connection."""
    connection = connect_organisation(client, owner, lever)
    lever.sandbox.admin("POST", "/_admin/calls/clear")
    return connection


def _expire(conn: LeverConnection, seconds: int = -10) -> None:
    conn.expires_at = utcnow() + timedelta(seconds=seconds)
    db.session.commit()


def test_fresh_token_is_used_without_refreshing(app, connected, lever):
    source = ConnectionTokenSource(connected.id)
    assert source.access_token() == crypto.decrypt(connected.access_token_enc)
    assert source.account_key == f"lever:{lever.account_id}"
    assert lever.token_calls() == 0


def test_expired_token_is_refreshed_and_stored_before_use(app, connected, lever):
    old_access = crypto.decrypt(connected.access_token_enc)
    old_refresh = crypto.decrypt(connected.refresh_token_enc)
    _expire(connected)
    stages = client_for(connected).list_stages()
    assert any(s["text"] == "Phone Screen" for s in stages)
    assert lever.token_calls() == 1
    db.session.expire_all()
    conn = db.session.get(LeverConnection, connected.id)
    assert crypto.decrypt(conn.access_token_enc) != old_access
    assert crypto.decrypt(conn.refresh_token_enc) != old_refresh  # rotated and kept
    assert conn.expires_in() > 3000 and conn.last_refresh_at is not None


def test_token_close_to_expiry_is_refreshed_ahead(app, connected, lever):
    _expire(connected, seconds=120)  # under the five-minute margin
    client_for(connected).list_users()
    assert lever.token_calls() == 1


def test_short_lived_sandbox_tokens_are_renewed_again_and_again(app, connected, lever):
    lever.sandbox.admin("POST", "/_admin/config", json={"access_token_ttl": 60})
    for _ in range(3):
        _expire(connected)
        client_for(connected).list_stages()
    assert lever.token_calls() == 3
    db.session.expire_all()
    assert db.session.get(LeverConnection, connected.id).status == "connected"


def test_concurrent_refresh_from_ten_threads_makes_one_token_call(app, connected, lever):
    _expire(connected)
    sources = [ConnectionTokenSource(connected.id) for _ in range(10)]
    barrier = threading.Barrier(10)
    tokens, errors = [], []

    def work(source):
        barrier.wait()
        try:
            tokens.append(source.access_token())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(tokens) == 10 and len(set(tokens)) == 1
    assert lever.token_calls() == 1
    db.session.expire_all()
    assert crypto.decrypt(db.session.get(LeverConnection, connected.id).access_token_enc) == tokens[0]


def test_force_refresh_after_401_skips_when_someone_already_refreshed(app, connected, lever):
    source = ConnectionTokenSource(connected.id)
    stale = source.access_token()
    fresh = source.force_refresh(stale)
    assert fresh != stale and lever.token_calls() == 1
    assert ConnectionTokenSource(connected.id).force_refresh(stale) == fresh
    assert lever.token_calls() == 1


def test_revoked_refresh_token_needs_reconnect_then_reconnect_restores(app, client, owner, connected, lever):
    lever.sandbox.admin("POST", "/_admin/revoke", json={"client_id": "dashboard-local"})
    _expire(connected)
    with pytest.raises(LeverAuthError):
        client_for(connected).list_stages()
    db.session.expire_all()
    conn = db.session.get(LeverConnection, connected.id)
    assert conn.status == "reconnect_needed" and "invalid_grant" in conn.status_reason
    with pytest.raises(LeverAuthError):
        client_for(conn)  # refused early: no more calls with this connection

    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Lever needs to be reconnected" in page and "Reconnect" in page

    connect(client, lever)
    assert "Lever is connected" in flash_text(client)
    db.session.expire_all()
    conn = db.session.get(LeverConnection, connected.id)
    assert conn.status == "connected" and conn.status_reason is None
    assert [e.kind for e in conn.events][:3] == ["reconnected", "reconnect_needed", "connected"]
    assert client_for(conn).list_stages()
    assert "Lever needs to be reconnected" not in client.get(f"{CONNECT}/").get_data(as_text=True)


def test_reused_refresh_token_marks_reconnect_needed(app, connected, lever):
    old_refresh = crypto.decrypt(connected.refresh_token_enc)
    _expire(connected)
    ConnectionTokenSource(connected.id).access_token()  # rotates the refresh token
    conn = db.session.get(LeverConnection, connected.id)
    db.session.refresh(conn)
    conn.refresh_token_enc = crypto.encrypt(old_refresh)  # a stale copy, as after a lost write
    _expire(conn)
    with pytest.raises(LeverAuthError):
        ConnectionTokenSource(connected.id).access_token()
    db.session.expire_all()
    assert db.session.get(LeverConnection, connected.id).status == "reconnect_needed"


def test_banner_only_for_owners_and_admins(app, client, owner, make_user, connected, lever):
    connected.status, connected.status_reason = "reconnect_needed", "revoked in Lever"
    db.session.commit()
    assert "Lever needs to be reconnected" in client.get(f"{CONNECT}/").get_data(as_text=True)
    recruiter = make_user("recruiter", org=owner.organisation)
    client.post("/logout")
    login(client, recruiter)
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert 'class="banner bad"' not in page


def test_keep_alive_refreshes_only_when_the_last_refresh_is_old(app, connected, lever):
    source = ConnectionTokenSource(connected.id)
    assert source.keep_alive() is False
    assert lever.token_calls() == 0
    connected.last_refresh_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert source.keep_alive() is True
    assert lever.token_calls() == 1
    db.session.expire_all()
    assert db.session.get(LeverConnection, connected.id).expires_in() > 3000


def test_disconnect_while_reconnect_needed_reports_webhooks_left_in_lever(app, client, connected, lever):
    lever.sandbox.admin("POST", "/_admin/revoke", json={"client_id": "dashboard-local"})
    _expire(connected)
    with pytest.raises(LeverAuthError):
        ConnectionTokenSource(connected.id).access_token()
    client.post(f"{CONNECT}/disconnect")
    message = flash_text(client)
    assert "could not be removed in Lever" in message and "Candidate hired" in message
    db.session.expire_all()
    conn = db.session.get(LeverConnection, connected.id)
    assert conn.status == "disconnected" and conn.refresh_token_enc is None and conn.webhooks == []
