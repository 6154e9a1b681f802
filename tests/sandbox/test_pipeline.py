"""Stage and archived-state writes and archive reasons over HTTP, with the webhooks they fire."""

from __future__ import annotations

import requests

from tests.support.sandbox import ALL_SCOPES

REASONS = ALL_SCOPES + ["archive_reasons:read:admin"]


def _hook(world, receiver, *events: str) -> None:
    sandbox = world.sandbox
    sandbox.admin("POST", "/_admin/webhook-groups", {event: True for event in events})
    for event in events:
        resp = world.api().post(f"{sandbox.api_url}/webhooks", json={"url": receiver.url, "event": event},
                                timeout=10)
        assert resp.status_code == 201


def _reasons(world) -> dict[str, dict]:
    return {r["text"]: r for r in world.sandbox.state(world.account_id)["archive_reasons"]}


def test_archive_reasons_list_filter_and_scope(world):
    api = world.sandbox.api_url
    session = world.api(REASONS)
    body = session.get(f"{api}/archive_reasons", timeout=10).json()
    assert body["hasNext"] is False
    by_text = {r["text"]: r for r in body["data"]}
    assert {"Underqualified", "Withdrew", "Position filled", "Hired"} <= set(by_text)
    assert by_text["Hired"]["type"] == "hired" and by_text["Withdrew"]["type"] == "non-hired"
    assert {r["status"] for r in body["data"]} == {"active", "inactive"}
    assert all(set(r) == {"id", "text", "status", "type"} for r in body["data"])
    hired = session.get(f"{api}/archive_reasons", params={"type": "hired"}, timeout=10).json()["data"]
    assert [r["text"] for r in hired] == ["Hired"]
    non_hired = session.get(f"{api}/archive_reasons", params={"type": "non-hired"}, timeout=10).json()["data"]
    assert "Hired" not in {r["text"] for r in non_hired} and len(non_hired) == len(body["data"]) - 1
    assert session.get(f"{api}/archive_reasons", params={"type": "fired"}, timeout=10).status_code == 400
    one = session.get(f"{api}/archive_reasons/{by_text['Withdrew']['id']}", timeout=10).json()["data"]
    assert one == by_text["Withdrew"]
    assert session.get(f"{api}/archive_reasons/nope", timeout=10).status_code == 404

    refused = world.api().get(f"{api}/archive_reasons", timeout=10)
    assert refused.status_code == 403 and refused.json() == {
        "code": "ForbiddenError", "message": "Missing scope archive_reasons:read:admin"}


def test_stage_put_moves_records_and_fires_one_stage_change(world, webhook_receiver):
    _hook(world, webhook_receiver, "candidateStageChange")
    opp = world.apply()[0]
    sandbox, session = world.sandbox, world.api()
    url = f"{sandbox.api_url}/opportunities/{opp['id']}/stage"
    resp = session.put(url, params={"perform_as": world.super_admin}, json={"stage": "offer"}, timeout=10)
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert data["id"] == opp["id"] and data["stage"] == "offer"
    assert [c["toStageId"] for c in data["stageChanges"]] == ["applicant-new", "offer"]
    last = data["stageChanges"][-1]
    assert last["userId"] == world.super_admin and last["toStageIndex"] == 4
    assert data["lastAdvancedAt"] == last["updatedAt"] >= opp["lastAdvancedAt"]
    again = session.put(url, params={"perform_as": world.super_admin}, json={"stage": "offer"}, timeout=10)
    assert again.status_code == 200 and len(again.json()["data"]["stageChanges"]) == 2

    got = webhook_receiver.wait_for(1)
    assert [d["event"] for d in sandbox.deliveries()] == ["candidateStageChange"]
    assert got[0]["body"]["data"] == {"opportunityId": opp["id"], "candidateId": opp["id"],
                                      "contactId": opp["contact"], "fromStageId": "applicant-new",
                                      "toStageId": "offer"}
    read = session.get(f"{sandbox.api_url}/opportunities/{opp['id']}", timeout=10).json()["data"]
    assert read["stage"] == "offer" and read["stageChanges"] == data["stageChanges"]
    assert read["lastAdvancedAt"] == data["lastAdvancedAt"]
    page = requests.get(f"{sandbox.url}/candidates/{opp['id']}", timeout=10).text
    assert 'value="offer" selected' in page and "<td>Offer</td>" in page and "<td>Sue</td>" in page


def test_stage_put_refusals(world):
    opp = world.apply()[0]
    api, session = world.sandbox.api_url, world.api()
    url = f"{api}/opportunities/{opp['id']}/stage"
    unknown = session.put(url, json={"stage": "nope"}, timeout=10)
    assert unknown.status_code == 400 and "unknown stage nope" in unknown.json()["message"]
    assert session.put(url, json={}, timeout=10).status_code == 400
    assert session.put(url, params={"perform_as": "nobody"}, json={"stage": "offer"}, timeout=10).status_code == 400
    assert session.put(f"{api}/opportunities/missing/stage", json={"stage": "offer"}, timeout=10).status_code == 404
    read_only = world.api(["opportunities:read:admin"]).put(url, json={"stage": "offer"}, timeout=10)
    assert read_only.status_code == 403
    assert world.sandbox.state(world.account_id)["opportunities"][0]["stage"] == "applicant-new"
    assert world.sandbox.deliveries() == []


def test_archived_put_archives_with_a_reason_and_unarchives_with_null(world, webhook_receiver):
    _hook(world, webhook_receiver, "candidateArchiveChange", "candidateHired")
    opp = world.apply()[0]
    reasons = _reasons(world)
    sandbox, session = world.sandbox, world.api()
    url = f"{sandbox.api_url}/opportunities/{opp['id']}/archived"
    params = {"perform_as": world.super_admin}
    archived = session.put(url, params=params, json={"reason": reasons["Underqualified"]["id"]}, timeout=10)
    assert archived.status_code == 200
    state = archived.json()["data"]["archived"]
    assert state["reason"] == reasons["Underqualified"]["id"] and isinstance(state["archivedAt"], int)
    first = webhook_receiver.wait_for(1)[0]["body"]
    assert first["event"] == "candidateArchiveChange"
    assert first["data"]["toArchived"] == state and first["data"]["fromArchived"] is None

    back = session.put(url, params=params, json={"reason": None}, timeout=10)
    assert back.status_code == 200 and back.json()["data"]["archived"] is None
    second = webhook_receiver.wait_for(2)[1]["body"]
    assert second["data"]["toArchived"] is None and second["data"]["fromArchived"] == state

    hired = session.put(url, params=params, json={"reason": reasons["Hired"]["id"]}, timeout=10)
    assert hired.json()["data"]["archived"]["reason"] == reasons["Hired"]["id"]
    assert [d["event"] for d in sandbox.deliveries()] == [
        "candidateArchiveChange", "candidateArchiveChange", "candidateHired", "candidateArchiveChange"]
    listed = session.get(f"{sandbox.api_url}/opportunities", params={"archived": "true"}, timeout=10).json()
    assert [o["id"] for o in listed["data"]] == [opp["id"]]


def test_archived_put_refusals(world):
    opp = world.apply()[0]
    session = world.api()
    url = f"{world.sandbox.api_url}/opportunities/{opp['id']}/archived"
    unknown = session.put(url, json={"reason": "not-a-reason"}, timeout=10)
    assert unknown.status_code == 400 and "unknown archive reason" in unknown.json()["message"]
    assert session.put(url, json={}, timeout=10).status_code == 400
    assert session.put(url, json={"reason": 3}, timeout=10).status_code == 400
    assert world.sandbox.state(world.account_id)["opportunities"][0]["archived"] is None


def test_ui_and_admin_archive_store_the_reason_id(world):
    sandbox = world.sandbox
    opp = world.apply()[0]
    reasons = _reasons(world)
    done = sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/archive", {"reason": "position filled"})
    assert done["archived"]["reason"] == reasons["Position filled"]["id"]
    page = requests.get(f"{sandbox.url}/candidates/{opp['id']}", timeout=10).text
    assert "archived: Position filled" in page
    sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/unarchive")
    requests.post(f"{sandbox.url}/candidates/{opp['id']}/archive", data={"reason": reasons["Withdrew"]["id"]},
                  timeout=10)
    assert sandbox.state(world.account_id)["opportunities"][0]["archived"]["reason"] == reasons["Withdrew"]["id"]
    hired = sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/hire")
    assert hired["archived"]["reason"] == reasons["Hired"]["id"]
    sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/archive", {"reason": "Bored"}, expect=400)
