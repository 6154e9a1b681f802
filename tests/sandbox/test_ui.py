"""The recruiter UI over HTTP: pages render, escape input, and actions fire events."""

from __future__ import annotations

import requests


def test_pages_render_and_escape(world):
    sandbox = world.sandbox
    opp = sandbox.admin("POST", "/_admin/applications", {"posting_id": world.posting_id,
                                                         "name": "<script>x</script>", "email": "s@x.example"})
    home = requests.get(sandbox.url + "/", timeout=10)
    assert home.status_code == 200 and "&lt;script&gt;" in home.text and "<script>x" not in home.text
    for path in (f"/candidates/{opp['id']}", "/settings/webhooks", "/settings/faults"):
        assert requests.get(sandbox.url + path, timeout=10).status_code == 200


def test_stage_move_from_the_ui_fires_the_event(world, webhook_receiver):
    sandbox = world.sandbox
    sandbox.admin("POST", "/_admin/webhook-groups", {"candidateStageChange": True})
    world.api().post(f"{sandbox.api_url}/webhooks", json={"url": webhook_receiver.url,
                                                          "event": "candidateStageChange"}, timeout=10)
    opp = world.apply()[0]
    resp = requests.post(f"{sandbox.url}/candidates/{opp['id']}/stage", data={"stage_id": "offer"}, timeout=10)
    assert resp.status_code == 200
    assert webhook_receiver.wait_for(1)[0]["body"]["data"]["toStageId"] == "offer"
    bad = requests.post(f"{sandbox.url}/candidates/{opp['id']}/stage", data={"stage_id": "nope"}, timeout=10)
    assert bad.status_code == 200 and "unknown stage" in bad.text


def test_a_thousand_applications_in_one_call(world):
    opps = world.apply(1000)
    assert len(opps) == 1000
    page = world.api().get(f"{world.sandbox.api_url}/opportunities", params={"limit": 1}, timeout=10).json()
    assert page["hasNext"] is True
