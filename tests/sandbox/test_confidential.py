"""Confidential postings and opportunities over HTTP: list filters, the confidential scope, webhooks."""

from __future__ import annotations

import pytest

from tests.support.sandbox import ALL_SCOPES

CONFIDENTIAL = "confidential:access:admin"


@pytest.fixture
def secret(world) -> dict:
    """A confidential posting in the world's account and one applicant on each posting."""
    seeded = world.sandbox.seed(account_id=world.account_id,
                                postings=[{"text": "Secret role", "confidentiality": "confidential"}])
    posting = seeded["postings"][0]
    public_opp = world.apply()[0]
    secret_opp = world.sandbox.admin("POST", "/_admin/applications", {
        "posting_id": posting["id"], "name": "Hidden", "email": "hidden@example.com"})
    return {"posting": posting, "opp": secret_opp, "public_opp": public_opp}


def _refused(resp) -> None:
    assert resp.status_code == 403, resp.text
    body = resp.json()
    assert body["code"] == "ForbiddenError" and f"requires {CONFIDENTIAL}" in body["message"]


def test_postings_list_only_non_confidential_unless_asked(world, secret):
    api = world.sandbox.api_url
    plain, admin = world.api(), world.api(ALL_SCOPES + [CONFIDENTIAL])
    assert secret["posting"]["confidentiality"] == "confidential"
    for session in (plain, admin):
        listed = session.get(f"{api}/postings", timeout=10).json()["data"]
        assert [p["id"] for p in listed] == [world.posting_id]
        assert listed[0]["confidentiality"] == "non-confidential"
    only = admin.get(f"{api}/postings", params={"confidentiality": "confidential"}, timeout=10).json()["data"]
    assert [p["id"] for p in only] == [secret["posting"]["id"]]
    both = admin.get(f"{api}/postings", params={"confidentiality": "all"}, timeout=10).json()["data"]
    assert [p["id"] for p in both] == [world.posting_id, secret["posting"]["id"]]
    public = plain.get(f"{api}/postings", params={"confidentiality": "non-confidential"}, timeout=10)
    assert [p["id"] for p in public.json()["data"]] == [world.posting_id]
    for value in ("confidential", "all"):
        _refused(plain.get(f"{api}/postings", params={"confidentiality": value}, timeout=10))
    assert admin.get(f"{api}/postings", params={"confidentiality": "secret"}, timeout=10).status_code == 400


def test_reading_a_confidential_posting_by_id_needs_the_scope(world, secret):
    url = f"{world.sandbox.api_url}/postings/{secret['posting']['id']}"
    _refused(world.api().get(url, timeout=10))
    got = world.api(["postings:read:admin", CONFIDENTIAL]).get(url, timeout=10)
    assert got.status_code == 200 and got.json()["data"]["confidentiality"] == "confidential"
    public = world.api().get(f"{world.sandbox.api_url}/postings/{world.posting_id}", timeout=10)
    assert public.status_code == 200


def test_an_opportunity_on_a_confidential_posting_is_confidential(world, secret):
    api = world.sandbox.api_url
    plain, admin = world.api(), world.api(ALL_SCOPES + [CONFIDENTIAL])
    assert secret["opp"]["confidentiality"] == "confidential"
    assert secret["public_opp"]["confidentiality"] == "non-confidential"
    assert [o["id"] for o in plain.get(f"{api}/opportunities", timeout=10).json()["data"]] == [
        secret["public_opp"]["id"]]
    assert [o["id"] for o in admin.get(f"{api}/opportunities", timeout=10).json()["data"]] == [
        secret["public_opp"]["id"]]
    only = admin.get(f"{api}/opportunities", params={"confidentiality": "confidential"}, timeout=10).json()
    assert [o["id"] for o in only["data"]] == [secret["opp"]["id"]]
    assert only["data"][0]["confidentiality"] == "confidential"
    both = admin.get(f"{api}/opportunities", params={"confidentiality": "all"}, timeout=10).json()["data"]
    assert {o["id"] for o in both} == {secret["opp"]["id"], secret["public_opp"]["id"]}
    by_posting = admin.get(f"{api}/opportunities", timeout=10,
                           params={"confidentiality": "all", "posting_id": secret["posting"]["id"]}).json()
    assert [o["id"] for o in by_posting["data"]] == [secret["opp"]["id"]]
    _refused(plain.get(f"{api}/opportunities", params={"confidentiality": "all"}, timeout=10))


def test_confidential_opportunity_reads_and_writes_need_the_scope(world, secret):
    url = f"{world.sandbox.api_url}/opportunities/{secret['opp']['id']}"
    plain, admin = world.api(), world.api(ALL_SCOPES + [CONFIDENTIAL])
    user = {"perform_as": world.super_admin}
    _refused(plain.get(url, timeout=10))
    _refused(plain.post(f"{url}/addTags", json={"tags": ["x"]}, timeout=10))
    _refused(plain.post(f"{url}/removeLinks", json={"links": ["https://x"]}, timeout=10))
    _refused(plain.post(f"{url}/notes", params=user, json={"value": "hi"}, timeout=10))
    _refused(plain.get(f"{url}/feedback", timeout=10))
    _refused(plain.post(f"{url}/feedback", params=user, json={}, timeout=10))
    _refused(plain.put(f"{url}/stage", params=user, json={"stage": "offer"}, timeout=10))
    _refused(plain.put(f"{url}/archived", params=user, json={"reason": None}, timeout=10))
    state = world.sandbox.state(world.account_id)
    [stored] = [o for o in state["opportunities"] if o["id"] == secret["opp"]["id"]]
    assert stored["tags"] == [] and stored["notes"] == [] and stored["stage"] == "applicant-new"

    got = admin.get(url, timeout=10)
    assert got.status_code == 200 and got.json()["data"]["confidentiality"] == "confidential"
    tagged = admin.post(f"{url}/addTags", json={"tags": ["x"]}, timeout=10)
    assert tagged.status_code == 200 and tagged.json()["data"]["tags"] == ["x"]
    assert admin.post(f"{url}/notes", params=user, json={"value": "hi"}, timeout=10).status_code == 201
    moved = admin.put(f"{url}/stage", params=user, json={"stage": "offer"}, timeout=10)
    assert moved.status_code == 200 and moved.json()["data"]["stage"] == "offer"
    # The scope is not needed for non-confidential opportunities.
    public = plain.get(f"{world.sandbox.api_url}/opportunities/{secret['public_opp']['id']}", timeout=10)
    assert public.status_code == 200


def test_webhooks_are_delivered_for_confidential_opportunities(world, webhook_receiver):
    sandbox = world.sandbox
    sandbox.admin("POST", "/_admin/webhook-groups", {"applicationCreated": True})
    world.api().post(f"{sandbox.api_url}/webhooks", json={"url": webhook_receiver.url, "event": "applicationCreated"},
                     timeout=10)
    posting = sandbox.seed(account_id=world.account_id,
                           postings=[{"text": "Secret", "confidentiality": "confidential"}])["postings"][0]
    opp = sandbox.admin("POST", "/_admin/applications", {"posting_id": posting["id"], "name": "H",
                                                         "email": "h@example.com"})
    got = webhook_receiver.wait_for(1)
    assert got[0]["body"]["event"] == "applicationCreated" and got[0]["body"]["data"]["opportunityId"] == opp["id"]


def test_seeding_refuses_an_unknown_confidentiality(world):
    bad = world.sandbox.admin("POST", "/_admin/seed", {"account_id": world.account_id,
                                                        "postings": [{"text": "X", "confidentiality": "secret"}]},
                              expect=400)
    assert "confidentiality" in bad["message"]
