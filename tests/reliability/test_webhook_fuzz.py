"""QUALITY.md R7: fuzzed webhook bodies never cause a 5xx and never write a row.

Hypothesis drives raw bytes, JSON shapes (wrong types, huge ints, deep nesting, unicode, missing and
extra fields) and the address. FUZZ_EXAMPLES sets the examples per property (CI 60; full size 2000).
"""

from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, InboxDelivery
from tests.support.connections import direct_connection, signed

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") is None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
MiB = 1024 * 1024

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
                    st.floats(allow_nan=False), st.text(max_size=40), st.just(""), st.just("\x00"),
                    st.just(2 ** 63), st.just(-1))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
FIELDS = ("token", "triggeredAt", "event", "data", "signature")


@st.composite
def delivery_shapes(draw) -> dict:
    """A dict near a Lever delivery: each field present, missing, or of a wrong type, plus extras."""
    body = {}
    for name in FIELDS:
        choice = draw(st.sampled_from(["valid", "missing", "wrong"]))
        if choice == "valid":
            body[name] = {"token": "a" * 24, "triggeredAt": 1700000000000, "event": "applicationCreated",
                          "data": {"opportunityId": draw(st.text(max_size=70))}, "signature": "f" * 64}[name]
        elif choice == "wrong":
            body[name] = draw(json_values)
    body.update(draw(st.dictionaries(st.text(max_size=10).filter(lambda k: k not in FIELDS), json_values,
                                     max_size=3)))
    return body


@pytest.fixture
def target(app, make_org):
    org = make_org("Fuzz Org")
    return direct_connection(org.id, signature_token="fuzz-signature-token")


def _rows() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count(InboxDelivery.id))),
            db.session.scalar(select(func.count(Effect.id))))


def _assert_refused(resp) -> None:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:200])
    assert _rows() == (0, 0)


@FUZZ
@given(raw=st.binary(max_size=2048))
def test_raw_bytes(client, target, raw):
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=raw,
                                content_type="application/json"))


@FUZZ
@given(body=json_values)
def test_any_json_value(client, target, body):
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=json.dumps(body),
                                content_type="application/json"))


@FUZZ
@given(body=delivery_shapes())
def test_delivery_shaped_json_with_a_bad_signature(client, target, body):
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=json.dumps(body),
                                content_type="application/json"))


@FUZZ
@given(public_id=st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_unknown_addresses(client, target, public_id):
    body = signed("fuzz-signature-token", data={"opportunityId": "opp-1"})
    resp = client.post("/webhooks/lever/" + public_id.replace("%", "%25").replace("?", "%3F")
                       .replace("#", "%23"), json=body)
    if public_id == target.public_id:
        return
    _assert_refused(resp)


@FUZZ
@given(data=json_values, token=st.text(min_size=8, max_size=128), event=st.text(max_size=64))
def test_signed_deliveries_with_odd_data_never_fail_the_server(client, target, data, token, event):
    """Correctly signed (so it passes the signature check) but with arbitrary content: a clear 4xx,
    or stored at most once as what it is."""
    body = signed("fuzz-signature-token", event=event, data=data, delivery_token=token)
    before = _rows()
    resp = client.post(f"/webhooks/lever/{target.public_id}", json=body)
    assert resp.status_code < 500, resp.get_data(as_text=True)[:200]
    after = _rows()
    assert after[1] == 0  # the receiver never performs or queues an effect itself
    if resp.status_code >= 400 or resp.get_json().get("status") != "stored":
        assert after == before
    else:
        assert after[0] == before[0] + 1
        stored = db.session.scalar(select(InboxDelivery).where(InboxDelivery.token == token))
        assert stored.event == event and stored.opportunity_lever_id == data["opportunityId"][:64]


@pytest.mark.parametrize("size", [MiB + 1, 5 * MiB])
def test_huge_bodies_are_refused_before_reading(client, target, size):
    filler = "x" * size
    body = json.dumps({**signed("fuzz-signature-token", data={"opportunityId": "o"}), "pad": filler})
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=body, content_type="application/json"))


def test_huge_body_without_a_declared_length(client, target):
    body = json.dumps({**signed("fuzz-signature-token", data={"opportunityId": "o"}), "pad": "y" * 5 * MiB})
    environ = EnvironBuilder(path=f"/webhooks/lever/{target.public_id}", method="POST",
                             input_stream=io.BytesIO(body.encode()), content_type="application/json",
                             headers={"Transfer-Encoding": "chunked"}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True  # what a server does for a chunked request
    resp = client.open(environ)
    _assert_refused(resp)


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json(client, target, depth):
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data="[" * depth + "]" * depth,
                                content_type="application/json"))
    nested = '{"token": "abcdefgh12", "triggeredAt": 1, "event": "e", "data": ' + '{"a":' * depth + "1" + \
        "}" * depth + "}"
    _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=nested,
                                content_type="application/json"))


def test_huge_numbers(client, target):
    for text in ["1" * 5000, "1e999999", "-1" + "0" * 4400]:
        raw = '{"token": "abcdefgh12", "triggeredAt": ' + text + ', "event": "applicationCreated", ' \
            '"data": {"opportunityId": "x"}, "signature": "' + "0" * 64 + '"}'
        _assert_refused(client.post(f"/webhooks/lever/{target.public_id}", data=raw,
                                    content_type="application/json"))
