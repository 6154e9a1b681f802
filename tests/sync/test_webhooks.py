"""The webhook receiver: verify, store once, acknowledge; bad input gets a 4xx and leaves nothing."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, InboxDelivery
from dashboard.lever.sync.webhooks import signature_for
from tests.support.connections import direct_connection, signed

OPP = {"opportunityId": "0f0e0d0c-0000-4000-8000-000000000001", "candidateId": "c", "contactId": "c"}


@pytest.fixture
def conn(app, make_org):
    return direct_connection(make_org("Hooks Ltd").id, signature_token="secret")


def url(connection) -> str:
    return f"/webhooks/lever/{connection.public_id}"


def rows() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count(InboxDelivery.id))) or 0,
            db.session.scalar(select(func.count(Effect.id))) or 0)


def test_signature_test_vector():
    assert signature_for("secret", "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154", 1431454330072) == (
        "acd4fd272d99cdda1fcee3edffba013b237f2ec1214edb0cd062d8acc57335c4")


def test_valid_delivery_is_stored_once_and_acknowledged(client, conn):
    body = signed("secret", data=OPP)
    first = client.post(url(conn), json=body)
    assert first.status_code == 200 and first.get_json()["status"] == "stored"
    replay = client.post(url(conn), json=body)
    assert replay.status_code == 200 and replay.get_json()["status"] == "duplicate"
    assert rows() == (1, 0)  # nothing else happens in the request
    row = db.session.scalar(select(InboxDelivery))
    assert row.event == "applicationCreated" and row.opportunity_lever_id == OPP["opportunityId"]


def test_test_delivery_and_unknown_events_are_acknowledged_without_rows(client, conn):
    assert client.post(url(conn), json=signed("secret", data={})).status_code == 200
    assert client.post(url(conn), json=signed("secret", event="interviewCreated", data=OPP)).status_code == 200
    assert rows() == (0, 0)


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[1, 2]", b"\xff\xfe", b'"string"', b"null", b"{}",
    json.dumps({"token": 5, "triggeredAt": 1, "signature": "a" * 64, "event": "x", "data": {}}).encode(),
    json.dumps({"token": "t" * 48, "triggeredAt": "1", "signature": "a" * 64, "event": "x", "data": {}}).encode(),
    json.dumps({"token": "t" * 48, "triggeredAt": True, "signature": "a" * 64, "event": "x"}).encode(),
    json.dumps({"token": "t" * 48, "triggeredAt": 1, "signature": "a" * 64, "event": "x", "data": []}).encode(),
    json.dumps({"token": "t" * 48, "triggeredAt": 1, "signature": "a" * 64, "data": {}}).encode(),
    json.dumps({"token": "t" * 48, "triggeredAt": 1, "signature": "a" * 64, "event": "applicationCreated",
                "data": {"opportunityId": 7}}).encode(),
])
def test_malformed_bodies_are_400_with_no_row(client, conn, raw):
    resp = client.post(url(conn), data=raw, content_type="application/json")
    assert resp.status_code == 400
    assert rows() == (0, 0)


def test_oversized_body_is_413_with_no_row(client, conn):
    body = signed("secret", data={**OPP, "padding": "x" * (1024 * 1024 + 10)})
    resp = client.post(url(conn), data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 413
    assert rows() == (0, 0)


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("signature"),
    lambda b: b.update(signature="0" * 64),
    lambda b: b.update(signature="é" * 64),
    lambda b: b.update(signature=None),
    lambda b: b.update(triggeredAt=b["triggeredAt"] + 1),  # signature no longer covers it
    lambda b: b.update(token=b["token"][::-1]),
])
def test_unsigned_or_wrongly_signed_is_401_with_no_row(client, conn, mutate):
    body = signed("secret", data=OPP)
    mutate(body)
    assert client.post(url(conn), json=body).status_code == 401
    assert rows() == (0, 0)


def test_delivery_signed_for_another_organisation_is_rejected(client, conn, make_org):
    other = direct_connection(make_org("Other Org").id, signature_token="other-secret")
    assert client.post(url(conn), json=signed("other-secret", data=OPP)).status_code == 401
    assert client.post(url(other), json=signed("secret", data=OPP)).status_code == 401
    assert rows() == (0, 0)


def test_future_triggered_at_is_rejected(client, conn):
    future = int(time.time() * 1000) + 10 * 60 * 1000
    assert client.post(url(conn), json=signed("secret", data=OPP, triggered_at=future)).status_code == 400
    assert rows() == (0, 0)


def test_deliveries_older_than_the_window_are_refused(app, client, conn):
    hour = 3600 * 1000
    now = int(time.time() * 1000)
    for triggered in (0, 1_000, now - 73 * hour):
        resp = client.post(url(conn), json=signed("secret", data=OPP, triggered_at=triggered))
        assert resp.status_code == 400 and "older than 72 hours" in resp.get_json()["error"]
    assert rows() == (0, 0)
    assert client.post(url(conn), json=signed("secret", data=OPP, triggered_at=now - 71 * hour)).status_code == 200
    app.config["WEBHOOK_MAX_AGE_HOURS"] = 24
    assert client.post(url(conn), json=signed("secret", data=OPP, triggered_at=now - 25 * hour)).status_code == 400
    assert rows() == (1, 0)


def test_processed_deliveries_past_the_window_are_purged_and_stay_refused(app, client, conn):
    from datetime import timedelta

    from dashboard.core.clock import utcnow
    from dashboard.lever.sync.inbox import purge_inbox

    hour = 3600 * 1000
    now = int(time.time() * 1000)
    old = signed("secret", data=OPP, triggered_at=now - 71 * hour)
    recent = signed("secret", data=OPP, triggered_at=now - hour)
    waiting = signed("secret", data=OPP, triggered_at=now - 70 * hour)
    for body in (old, recent, waiting):
        assert client.post(url(conn), json=body).get_json()["status"] == "stored"
    for row in db.session.scalars(select(InboxDelivery)):
        row.received_at = utcnow() - timedelta(hours=71)
        if row.token != waiting["token"]:
            row.state = "done"
    db.session.commit()
    # two hours later the old one is past the window; the pending one is kept whatever its age
    assert purge_inbox(now=utcnow() + timedelta(hours=2)) == 1
    assert {r.token for r in db.session.scalars(select(InboxDelivery))} == {recent["token"], waiting["token"]}
    # replaying the purged delivery is refused by its age: the forgotten token cannot be replayed
    app.config["WEBHOOK_MAX_AGE_HOURS"] = 70
    assert client.post(url(conn), json=old).status_code == 400
    assert rows() == (2, 0)


def test_unknown_or_disconnected_address_is_404(client, conn):
    assert client.post("/webhooks/lever/nope", json=signed("secret", data=OPP)).status_code == 404
    conn.status = "disconnected"
    db.session.commit()
    assert client.post(url(conn), json=signed("secret", data=OPP)).status_code == 404
    assert rows() == (0, 0)


def test_webhook_route_needs_no_csrf_but_rejects_get(client, conn):
    assert client.post(url(conn), json=signed("secret", data=OPP), csrf=False).status_code == 200
    assert client.get(url(conn)).status_code == 405


def test_database_unavailable_answers_503_so_lever_retries():
    app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"})
    resp = app.test_client().post("/webhooks/lever/abc", json=signed("secret", data=OPP))
    assert resp.status_code == 503


def test_cached_keys_verify_without_reading_the_connection_and_forget_on_disconnect(app, client, conn):
    from sqlalchemy import event

    from dashboard.lever.connection import services as connect_services
    from dashboard.lever.connection import webhook_keys

    app.config["WEBHOOK_KEY_CACHE_SECONDS"] = 30
    webhook_keys.forget()
    address = url(conn)
    assert client.post(address, json=signed("secret", data=OPP)).status_code == 200
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.post(address, json=signed("secret", data=OPP)).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "lever_connections" in s or "lever_webhooks" in s]
    assert any("INSERT INTO lever_inbox" in s for s in statements)
    connect_services.disconnect(conn, None, None)
    db.session.commit()
    assert client.post(url(conn), json=signed("secret", data=OPP)).status_code == 404
    assert rows()[0] == 2
