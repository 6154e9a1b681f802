"""Webhooks: the API objects, delivery bodies and signatures, retries, drops, test sends."""

from __future__ import annotations

import hashlib
import hmac

import requests

from lever_sandbox.webhooks import sign


def test_signature_matches_the_lever_test_vector():
    expected = "acd4fd272d99cdda1fcee3edffba013b237f2ec1214edb0cd062d8acc57335c4"
    assert sign("secret", "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154", 1431454330072) == expected


def _register(world, receiver, event: str) -> dict:
    resp = world.api().post(f"{world.sandbox.api_url}/webhooks", json={"url": receiver.url, "event": event},
                            timeout=10)
    assert resp.status_code == 201
    return resp.json()["data"]


def test_webhook_api_returns_the_token_only_on_create(world, webhook_receiver):
    hook = _register(world, webhook_receiver, "applicationCreated")
    assert len(hook["configuration"]["signatureToken"]) == 48
    listed = world.api().get(f"{world.sandbox.api_url}/webhooks", timeout=10).json()
    assert set(listed) == {"data"}
    assert "signatureToken" not in listed["data"][0]["configuration"]
    bad = world.api().post(f"{world.sandbox.api_url}/webhooks", json={"url": "x", "event": "nope"}, timeout=10)
    assert bad.status_code == 400
    gone = world.api().delete(f"{world.sandbox.api_url}/webhooks/{hook['id']}", timeout=10)
    assert gone.status_code == 204 and not gone.content


def test_events_are_delivered_signed_only_when_the_group_is_on(world, webhook_receiver):
    sandbox = world.sandbox
    hook = _register(world, webhook_receiver, "candidateStageChange")
    opp = world.apply()[0]
    sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/stage", {"stage_id": "offer"})
    assert sandbox.deliveries() == []
    sandbox.admin("POST", "/_admin/webhook-groups", {"account_id": world.account_id, "candidateStageChange": True})
    sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/stage", {"stage_id": "lead-new"})
    got = webhook_receiver.wait_for(1)[0]
    body = got["body"]
    assert got["headers"]["User-Agent"] == "Lever-Webhooks"
    assert body["event"] == "candidateStageChange" and len(body["token"]) == 48
    assert body["data"] == {"opportunityId": opp["id"], "candidateId": opp["id"], "contactId": opp["contact"],
                            "fromStageId": "offer", "toStageId": "lead-new"}
    token = hook["configuration"]["signatureToken"]
    expected = hmac.new(token.encode(), (body["token"] + str(body["triggeredAt"])).encode(), hashlib.sha256)
    assert body["signature"] == expected.hexdigest()


def test_non_2xx_is_retried_five_times(world, webhook_receiver):
    sandbox = world.sandbox
    sandbox.configure(webhook_retry_delays=[0.01, 0.02, 0.03, 0.04, 0.05])
    sandbox.admin("POST", "/_admin/webhook-groups", {"applicationCreated": True})
    _register(world, webhook_receiver, "applicationCreated")
    webhook_receiver.default_status = 500
    webhook_receiver.statuses = [302]
    world.apply()
    received = webhook_receiver.wait_for(6)
    assert len({r["body"]["token"] for r in received}) == 1
    deliveries = _settled(sandbox)
    assert [a["status"] for a in deliveries[0]["attempts"]] == [302, 500, 500, 500, 500, 500]
    assert deliveries[0]["state"] == "failed"
    webhook_receiver.default_status = 204
    sandbox.admin("POST", f"/_admin/deliveries/{deliveries[0]['id']}/rerun")
    webhook_receiver.wait_for(7)
    assert _settled(sandbox)[0]["state"] == "delivered"


def _settled(sandbox, tries: int = 200) -> list[dict]:
    import time

    for _ in range(tries):
        items = sandbox.deliveries()
        if items and all(d["state"] in ("delivered", "failed", "dropped") for d in items):
            return items
        time.sleep(0.02)
    raise AssertionError(f"deliveries did not settle: {items}")


def test_dropped_webhooks_are_recorded_not_sent_and_test_sends_empty_data(world, webhook_receiver):
    sandbox = world.sandbox
    sandbox.admin("POST", "/_admin/webhook-groups", {"applicationCreated": True})
    hook = _register(world, webhook_receiver, "applicationCreated")
    sandbox.set_faults(drop_webhooks=True)
    world.apply()
    assert [d["state"] for d in sandbox.deliveries()] == ["dropped"]
    sandbox.set_faults(drop_webhooks=False)
    sandbox.admin("POST", f"/_admin/webhooks/{hook['id']}/test")
    got = webhook_receiver.wait_for(1)
    assert len(got) == 1 and got[0]["body"]["data"] == {}


def test_lost_answer_after_a_write_still_applies_the_write(world):
    opp = world.apply()[0]
    world.sandbox.set_faults(drop_response_after_write_rate=1.0)
    session = world.api()
    try:
        session.post(f"{world.sandbox.api_url}/opportunities/{opp['id']}/addTags", json={"tags": ["kept"]},
                     timeout=5)
        raise AssertionError("the answer should have been lost")
    except requests.ConnectionError:
        pass
    world.sandbox.set_faults(drop_response_after_write_rate=0.0)
    tags = world.sandbox.state(world.account_id)["opportunities"][0]["tags"]
    assert "kept" in tags


def test_put_webhooks_updates_several_and_returns_them_without_tokens(world, webhook_receiver):
    sandbox, session = world.sandbox, world.api()
    first = _register(world, webhook_receiver, "candidateStageChange")
    second = _register(world, webhook_receiver, "applicationCreated")
    moved = webhook_receiver.url + "/moved"
    resp = session.put(f"{sandbox.api_url}/webhooks", timeout=10, json={"data": [
        {"id": first["id"], "url": moved},
        {"id": second["id"], "configuration": {"conditions": {"origins": ["applied"]}}}]})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"data"} and [h["id"] for h in body["data"]] == [first["id"], second["id"]]
    assert body["data"][0]["url"] == moved and body["data"][0]["event"] == "candidateStageChange"
    assert body["data"][1]["url"] == webhook_receiver.url
    assert body["data"][1]["configuration"] == {"conditions": {"origins": ["applied"]}}
    assert all("signatureToken" not in h["configuration"] for h in body["data"])
    listed = {h["id"]: h for h in session.get(f"{sandbox.api_url}/webhooks", timeout=10).json()["data"]}
    assert listed[first["id"]]["url"] == moved
    tokens = {h["id"]: h["configuration"]["signatureToken"] for h in sandbox.state(world.account_id)["webhooks"]}
    assert tokens[first["id"]] == first["configuration"]["signatureToken"]


def test_put_webhooks_refuses_unknown_ids_and_changes_nothing(world, webhook_receiver):
    sandbox, session = world.sandbox, world.api()
    hook = _register(world, webhook_receiver, "candidateHired")
    url = f"{sandbox.api_url}/webhooks"
    unknown = session.put(url, timeout=10, json={"data": [{"id": hook["id"], "url": "https://x.example/new"},
                                                          {"id": "no-such-hook", "url": "https://x.example/other"}]})
    assert unknown.status_code == 404 and unknown.json()["code"] == "ResourceNotFound"
    assert session.get(url, timeout=10).json()["data"][0]["url"] == webhook_receiver.url
    for bad in ({"id": hook["id"]}, [{"id": hook["id"]}], {"data": [{"url": "https://x.example"}]},
                {"data": [{"id": hook["id"], "event": "candidateDeleted"}]},
                {"data": [{"id": hook["id"], "url": "ftp://x"}]}):
        assert session.put(url, json=bad, timeout=10).status_code == 400
    read_only = world.api(["webhooks:read:admin"]).put(url, json={"data": []}, timeout=10)
    assert read_only.status_code == 403
