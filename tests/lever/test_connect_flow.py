"""Connecting Lever from the settings card: the OAuth flow against the sandbox over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection import crypto
from dashboard.lever.connection.models import WEBHOOK_EVENTS, LeverConnection, LeverWebhook
from tests.support.clients import login
from tests.support.dump import database_text
from tests.support.lever import CONNECT, connect, decide_at_sandbox, flash_text, start_consent


def _connection(org_id):
    db.session.expire_all()
    return db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == org_id))




def test_owner_connects_and_everything_is_stored_encrypted(app, client, owner, lever):
    login(client, owner)
    resp = connect(client, lever)
    assert resp.status_code == 302
    sam = next(u for u in lever.state()["users"] if u["id"] == lever.super_admin_id)
    assert f"Lever is connected (the account of Sam Super ({sam['email']}))." in flash_text(client)

    conn = _connection(owner.organisation_id)
    assert conn.status == "connected"
    assert conn.lever_account_id == lever.account_id
    assert conn.lever_user_id == lever.super_admin_id  # the token's userId claim
    assert conn.connected_by_id == owner.id and conn.connected_at is not None
    assert "webhooks:write:admin" in conn.scope_list and "offline_access" in conn.scope_list
    assert conn.perform_as_user_id == lever.super_admin_id and conn.perform_as_user_name == "Sam Super"
    access = crypto.decrypt(conn.access_token_enc)
    refresh = crypto.decrypt(conn.refresh_token_enc)
    assert access.count(".") == 2  # a JWT

    hooks = lever.state()["webhooks"]
    url = f"http://127.0.0.1:5000/webhooks/lever/{conn.public_id}"
    assert sorted(h["event"] for h in hooks) == sorted(WEBHOOK_EVENTS)
    assert {h["url"] for h in hooks} == {url}
    rows = db.session.scalars(select(LeverWebhook)).all()
    assert len(rows) == 5 and {r.source for r in rows} == {"api"}
    by_id = {h["id"]: h["configuration"]["signatureToken"] for h in hooks}
    for row in rows:
        assert crypto.decrypt(row.signature_token_enc) == by_id[row.lever_webhook_id]

    dump = database_text()
    for secret in [access, refresh, *by_id.values()]:
        assert secret not in dump

    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Connected" in page and "Disconnect" in page
    assert f'Connected in Lever by Sam Super <span class="muted">({sam["email"]})</span>' in page
    assert lever.account_id not in page  # the account in words, not its id
    assert "switch these webhook groups on" in page


def test_admin_can_connect_recruiter_cannot(app, client, make_user, make_org, lever):
    org = make_org("Admins Inc")
    admin = make_user("admin", org=org)
    recruiter = make_user("recruiter", org=org)
    login(client, recruiter)
    for path in ("enable", "disconnect", "settings", "test", "webhooks/setup", "webhooks/paste",
                 "users/refresh"):
        assert client.post(f"{CONNECT}/{path}").status_code == 403, path
    assert client.get(f"{CONNECT}/callback?state=x&code=y").status_code == 403
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Not connected" in page and "Enable" not in page

    client.post("/logout")
    login(client, admin)
    connect(client, lever)
    assert _connection(org.id).status == "connected"
    client.post("/logout")
    login(client, recruiter)
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Connected" in page and "Disconnect" not in page and "Save settings" not in page


def test_deny_at_consent_changes_nothing(app, client, owner, lever):
    login(client, owner)
    connect(client, lever, decision="deny")
    assert "refused" in flash_text(client)
    assert _connection(owner.organisation_id) is None
    assert lever.token_calls() == 0


def test_non_super_admin_consent_is_refused(app, client, owner, lever):
    login(client, owner)
    connect(client, lever, user_id=lever.interviewer_id)
    assert "Super Admin" in flash_text(client)
    assert _connection(owner.organisation_id) is None


def test_forged_state_is_refused_and_burns_the_pending_one(app, client, owner, lever):
    login(client, owner)
    url, params = start_consent(client)
    callback = decide_at_sandbox(lever, url, params)
    forged = callback.replace(f"state={params['state']}", "state=forged")
    client.get(forged)
    assert "could not be verified" in flash_text(client)
    client.get(callback)  # the real state was single-use: gone with the forged attempt
    assert "could not be verified" in flash_text(client)
    assert _connection(owner.organisation_id) is None
    assert lever.token_calls() == 0


def test_missing_state_is_refused(app, client, owner, lever):
    login(client, owner)
    start_consent(client)
    client.get(f"{CONNECT}/callback?code=abc")
    assert "could not be verified" in flash_text(client)
    assert _connection(owner.organisation_id) is None


def test_replayed_callback_is_refused(app, client, owner, lever):
    login(client, owner)
    url, params = start_consent(client)
    callback = decide_at_sandbox(lever, url, params)
    client.get(callback)
    assert "Lever is connected" in flash_text(client)
    first = _connection(owner.organisation_id).access_token_enc
    calls = lever.token_calls()
    client.get(callback)
    assert "could not be verified" in flash_text(client)
    assert lever.token_calls() == calls
    assert _connection(owner.organisation_id).access_token_enc == first


def test_callback_in_another_session_is_refused(app, owner, make_user, lever):
    other_admin = make_user("admin", org=owner.organisation)
    starter, thief = app.test_client(), app.test_client()
    login(starter, owner)
    login(thief, other_admin)
    url, params = start_consent(starter)
    callback = decide_at_sandbox(lever, url, params)
    thief.get(callback)
    assert "could not be verified" in flash_text(thief)
    assert _connection(owner.organisation_id) is None


def test_failed_token_exchange_stores_nothing(app, client, owner, lever):
    login(client, owner)
    url, params = start_consent(client)
    callback = decide_at_sandbox(lever, url, params)
    app.config["LEVER_CLIENT_SECRET"] = "wrong-secret"
    client.get(callback)
    assert "did not accept the authorization" in flash_text(client)
    assert _connection(owner.organisation_id) is None


def test_second_organisation_cannot_connect_the_same_lever_account(app, owner, make_user, make_org, lever):
    first, second = app.test_client(), app.test_client()
    login(first, owner)
    connect(first, lever)
    other_owner = make_user("owner", org=make_org("Rival Ltd"))
    login(second, other_owner)
    connect(second, lever)
    assert "already connected to another organisation" in flash_text(second)
    assert _connection(other_owner.organisation_id) is None
    assert len(lever.state()["webhooks"]) == 5


def test_disconnect_deletes_webhooks_and_drops_tokens(app, client, owner, lever):
    login(client, owner)
    connect(client, lever)
    flash_text(client)
    assert len(lever.state()["webhooks"]) == 5
    client.post(f"{CONNECT}/disconnect")
    assert "Lever is disconnected." in flash_text(client)
    assert lever.state()["webhooks"] == []
    conn = _connection(owner.organisation_id)
    assert conn.status == "disconnected" and conn.disconnected_at is not None
    assert conn.access_token_enc is None and conn.refresh_token_enc is None
    assert conn.webhooks == []
    assert [e.kind for e in conn.events] == ["disconnected", "connected"]
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Disconnected" in page and "Enable" in page


def test_reconnect_after_disconnect_reuses_the_row(app, client, owner, lever):
    login(client, owner)
    connect(client, lever)
    first = _connection(owner.organisation_id)
    first_id, public_id = first.id, first.public_id
    client.post(f"{CONNECT}/disconnect")
    connect(client, lever)
    conn = _connection(owner.organisation_id)
    assert (conn.id, conn.public_id, conn.status) == (first_id, public_id, "connected")
    assert [e.kind for e in conn.events] == ["reconnected", "disconnected", "connected"]
    assert len(lever.state()["webhooks"]) == 5


def test_reconnect_while_connected_does_not_duplicate_webhooks(app, client, owner, lever):
    login(client, owner)
    connect(client, lever)
    before = {h["id"] for h in lever.state()["webhooks"]}
    connect(client, lever)
    after = lever.state()["webhooks"]
    assert len(after) == 5 and {h["id"] for h in after} == before
    assert len(db.session.scalars(select(LeverWebhook)).all()) == 5


def test_card_is_part_of_the_organisation_settings_page(app, client, owner, lever):
    login(client, owner)
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="lever-card"' in page and "Not connected" in page and "Enable" in page
    resp = connect(client, lever)
    assert resp.headers["Location"].endswith("/settings")
    page = client.get("/settings").get_data(as_text=True)
    assert "Lever is connected" in page and "Connected in Lever by Sam Super" in page
