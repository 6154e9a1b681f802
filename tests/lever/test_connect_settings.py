"""Card actions after connecting: settings, pasted webhook tokens, test, webhooks again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection import crypto
from dashboard.lever.connection.models import LeverConnection, LeverWebhook
from tests.support.lever import CONNECT, connect_organisation, flash_text


@pytest.fixture
def connected(app, client, owner, lever):
    return connect_organisation(client, owner, lever)


def _reload(conn):
    db.session.expire_all()
    return db.session.get(LeverConnection, conn.id)


def test_settings_are_saved(app, client, connected, lever):
    resp = client.post(f"{CONNECT}/settings", data={
        "perform_as_user_id": lever.super_admin_id, "reuse_days": "30", "tag_brand": "  Acme Tests "})
    assert resp.status_code == 302
    assert "settings saved" in flash_text(client)
    conn = _reload(connected)
    assert (conn.reuse_days, conn.tag_brand, conn.perform_as_user_name) == (30, "Acme Tests", "Sam Super")


@pytest.mark.parametrize("data, message", [
    ({"reuse_days": "0"}, "between 1 and 3650"),
    ({"reuse_days": "3651"}, "between 1 and 3650"),
    ({"reuse_days": "ten"}, "Not a valid integer"),
    ({"tag_brand": ""}, "Enter a tag prefix"),
    ({"tag_brand": "x" * 41}, "At most 40 characters"),
    ({"perform_as_user_id": "someone-else"}, "Not a valid choice"),
])
def test_bad_settings_are_refused_with_a_clear_error(app, client, connected, lever, data, message):
    form = {"perform_as_user_id": lever.super_admin_id, "reuse_days": "30", "tag_brand": "Acme", **data}
    resp = client.post(f"{CONNECT}/settings", data=form)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    conn = _reload(connected)
    assert (conn.reuse_days, conn.tag_brand) == (180, "Alooba")


def test_perform_as_choice_lists_only_active_lever_users(app, client, connected, lever):
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert "Sam Super (super admin)" in page and "Riley Recruiter" in page
    resp = client.post(f"{CONNECT}/users/refresh", headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="lever-card"' in body and "user list was reloaded" in body
    assert _reload(connected).lever_users_fetched_at is not None


def test_pasted_signature_token_is_stored_encrypted(app, client, connected):
    token = "a1" * 24
    resp = client.post(f"{CONNECT}/webhooks/paste", data={"webhook-event": "candidateHired", "webhook-token": token})
    assert resp.status_code == 302
    hook = db.session.scalar(select(LeverWebhook).where(LeverWebhook.source == "pasted"))
    assert hook.event == "candidateHired" and hook.lever_webhook_id is None
    assert hook.signature_token_enc != token and crypto.decrypt(hook.signature_token_enc) == token


@pytest.mark.parametrize("data", [{"webhook-event": "candidateHired", "webhook-token": "short"},
                                  {"webhook-event": "interviewCreated", "webhook-token": "a" * 48}])
def test_bad_pasted_token_is_refused(app, client, connected, data):
    resp = client.post(f"{CONNECT}/webhooks/paste", data=data)
    assert resp.status_code == 400
    assert db.session.scalar(select(LeverWebhook).where(LeverWebhook.source == "pasted")) is None


def test_test_connection_inline(app, client, connected):
    resp = client.post(f"{CONNECT}/test", headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "OK" in body and "pipeline stages" in body


def test_test_connection_reports_failure(app, client, connected, lever):
    lever.sandbox.admin("POST", "/_admin/revoke", json={"client_id": "dashboard-local"})
    resp = client.post(f"{CONNECT}/test", headers={"HX-Request": "true"})
    assert "Failed" in resp.get_data(as_text=True)
    assert _reload(connected).status == "reconnect_needed"


def test_webhook_failures_show_on_the_card_and_can_be_set_up_again(app, client, connected, lever):
    db.session.execute(LeverWebhook.__table__.delete())
    db.session.commit()
    lever.sandbox.set_faults(error_rate=1.0)
    client.post(f"{CONNECT}/webhooks/setup")
    assert "could not be set up" in flash_text(client)
    assert _reload(connected).webhook_error
    assert "Set up webhooks again" in client.get(f"{CONNECT}/").get_data(as_text=True)
    lever.sandbox.set_faults(error_rate=0.0)
    client.post(f"{CONNECT}/webhooks/setup")
    assert "All webhooks are set up" in flash_text(client)
    assert len(lever.state()["webhooks"]) == 5
    conn = _reload(connected)
    assert conn.webhook_error is None and len(conn.webhooks) == 5


def test_csrf_is_required(app, client, connected):
    assert client.post(f"{CONNECT}/disconnect", csrf=False).status_code == 400
    assert _reload(connected).status == "connected"
