"""Connecting while the sandbox answers in Lever's documented shapes (the create-webhook answer
wrapped twice) or the recorded ones: exactly five webhooks, each with its signature token, and never
a duplicate on the next set-up; a create whose answer is lost is looked for before trying again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection import crypto
from dashboard.lever.connection import services as svc
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.models import WEBHOOK_EVENTS, LeverConnection, LeverWebhook
from tests.support.clients import login
from tests.support.lever import CONNECT, connect, flash_text


def _rows() -> list[LeverWebhook]:
    db.session.expire_all()
    return db.session.scalars(select(LeverWebhook).order_by(LeverWebhook.id)).all()


def _assert_five_with_their_tokens(lever) -> set[str]:
    """Five webhooks in Lever, one per event, and our five rows hold exactly their tokens."""
    hooks = lever.state()["webhooks"]
    assert sorted(h["event"] for h in hooks) == sorted(WEBHOOK_EVENTS)
    tokens = {h["id"]: h["configuration"]["signatureToken"] for h in hooks}
    rows = _rows()
    assert len(rows) == 5 and {r.event for r in rows} == set(WEBHOOK_EVENTS)
    assert {r.lever_webhook_id: crypto.decrypt(r.signature_token_enc) for r in rows} == tokens
    return set(tokens)


@pytest.mark.parametrize("shape", ["recorded", "documented"])
def test_connecting_stores_five_webhooks_in_every_answer_shape(app, client, owner, lever, shape):
    lever.sandbox.configure(answer_shapes=shape)
    login(client, owner)
    connect(client, lever)
    messages = flash_text(client)
    assert "Lever is connected" in messages and "could not be set up" not in messages
    first = _assert_five_with_their_tokens(lever)
    conn = db.session.scalar(select(LeverConnection))
    assert conn.webhook_error is None

    client.post(f"{CONNECT}/webhooks/setup")
    assert "All webhooks are set up." in flash_text(client)
    assert _assert_five_with_their_tokens(lever) == first  # kept, not duplicated nor re-created

    connect(client, lever)  # reconnecting sets them up once more
    assert _assert_five_with_their_tokens(lever) == first
    posts = [c for c in lever.sandbox.calls() if c["method"] == "POST" and c["path"] == "/v1/webhooks"]
    assert len(posts) == 5


def test_a_lost_create_answer_is_looked_for_before_creating_again(app, client, owner, lever):
    lever.sandbox.configure(answer_shapes="documented")
    login(client, owner)
    connect(client, lever)
    conn = db.session.scalar(select(LeverConnection))
    client_for(conn).delete_webhook(next(r.lever_webhook_id for r in _rows() if r.event == "candidateHired"))
    lever.sandbox.set_faults(drop_response_after_write_rate=1.0, timeout_seconds=1.0)
    api = client_for(conn)

    def heal(method, path, status, seconds):
        if method == "POST" and status is None:  # the create happened; its answer was cut off
            lever.sandbox.set_faults(drop_response_after_write_rate=0.0)

    api.on_call = heal
    failures = svc.set_up_webhooks(conn, api, svc.webhook_url(app.config, conn))
    db.session.commit()
    assert failures == []
    _assert_five_with_their_tokens(lever)
    hired = [c for c in lever.sandbox.calls() if c["path"].startswith("/v1/webhooks")][-4:]
    # create (answer lost) → list → delete the webhook whose token was never seen → create again
    assert [(c["method"], c["path"].count("/")) for c in hired] == [
        ("POST", 2), ("GET", 2), ("DELETE", 3), ("POST", 2)]
