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


def test_ui_creates_a_confidential_posting_and_shows_confidentiality(world):
    sandbox = world.sandbox
    resp = requests.post(f"{sandbox.url}/postings", timeout=10,
                         data={"text": "Board search", "state": "internal", "tags": "a\nb", "confidential": "on"})
    assert resp.status_code == 200 and "Posting added." in resp.text
    postings = {p["text"]: p for p in sandbox.state(world.account_id)["postings"]}
    secret = postings["Board search"]
    assert secret["confidentiality"] == "confidential" and secret["state"] == "internal"
    assert secret["tags"] == ["a", "b"]
    requests.post(f"{sandbox.url}/postings", data={"text": "Open role"}, timeout=10)
    open_role = {p["text"]: p for p in sandbox.state(world.account_id)["postings"]}["Open role"]
    assert open_role["confidentiality"] == "non-confidential"
    requests.post(f"{sandbox.url}/postings/{secret['id']}/applicants", timeout=10,
                  data={"name": "Quiet Candidate", "email": "q@example.com"})
    [opp] = [o for o in sandbox.state(world.account_id)["opportunities"] if o["name"] == "Quiet Candidate"]
    assert opp["confidentiality"] == "confidential"
    home = requests.get(sandbox.url + "/", timeout=10).text
    assert home.count("<strong>confidential</strong>") == 2  # the posting's row and the candidate's
    page = requests.get(f"{sandbox.url}/candidates/{opp['id']}", timeout=10).text
    assert "<strong>confidential</strong>" in page


def test_configuration_page_lists_and_saves_the_keys(world):
    sandbox = world.sandbox
    page = requests.get(f"{sandbox.url}/settings/config", timeout=10)
    assert page.status_code == 200
    for key in ("answer_shapes", "archived_shape", "omit_urls_in_lists", "enforce_applications_scope"):
        assert f'name="{key}"' in page.text
    form = {"rate": "10", "burst": "20", "access_token_ttl": "3600", "webhook_retry_delays": "1, 2",
            "code_ttl": "60", "answer_shapes": "documented", "archived_shape": "top_level",
            "omit_urls_in_lists": "on"}
    saved = requests.post(f"{sandbox.url}/settings/config", data=form, timeout=10)
    assert saved.status_code == 200 and "Configuration saved." in saved.text
    config = sandbox.admin("GET", "/_admin/config")
    assert config["answer_shapes"] == "documented" and config["archived_shape"] == "top_level"
    assert config["omit_urls_in_lists"] is True and config["enforce_applications_scope"] is False
    assert config["webhook_retry_delays"] == [1, 2] and config["burst"] == 20
    bad = requests.post(f"{sandbox.url}/settings/config", data={**form, "archived_shape": "flat"}, timeout=10)
    assert "archived_shape must be one of object, top_level" in bad.text
    assert sandbox.admin("GET", "/_admin/config")["archived_shape"] == "top_level"
