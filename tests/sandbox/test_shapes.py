"""The shape switches over HTTP: documented envelopes, the top-level archived shape, urls left out of lists."""

from __future__ import annotations

from tests.support.sandbox import SCORE_TEMPLATE


def test_new_config_keys_have_defaults_and_are_validated(world):
    sandbox = world.sandbox
    config = sandbox.admin("GET", "/_admin/config")
    assert config["answer_shapes"] == "recorded" and config["archived_shape"] == "object"
    assert config["omit_urls_in_lists"] is False and config["enforce_applications_scope"] is False
    assert "id" not in config
    for bad in ({"answer_shapes": "both"}, {"archived_shape": "flat"}, {"omit_urls_in_lists": "yes"},
                {"enforce_applications_scope": 1}):
        sandbox.admin("POST", "/_admin/config", bad, expect=400)
    assert sandbox.configure(answer_shapes="documented")["answer_shapes"] == "documented"


def test_recorded_answers_are_wrapped_once(world, webhook_receiver):
    api, session = world.sandbox.api_url, world.api()
    hook = session.post(f"{api}/webhooks", json={"url": webhook_receiver.url, "event": "applicationCreated"},
                        timeout=10).json()
    assert set(hook) == {"data"} and hook["data"]["event"] == "applicationCreated"
    template = session.post(f"{api}/feedback_templates", json=SCORE_TEMPLATE, timeout=10).json()
    assert set(template) == {"data"} and template["data"]["text"] == "Assessment"


def test_documented_answers_wrap_webhooks_twice_and_feedback_not_at_all(world, webhook_receiver):
    world.sandbox.configure(answer_shapes="documented")
    opp = world.apply()[0]
    api, session = world.sandbox.api_url, world.api()
    created = session.post(f"{api}/webhooks", json={"url": webhook_receiver.url, "event": "candidateHired"},
                           timeout=10)
    assert created.status_code == 201
    hook = created.json()
    assert set(hook) == {"data"} and set(hook["data"]) == {"data"}
    assert hook["data"]["data"]["event"] == "candidateHired"
    assert len(hook["data"]["data"]["configuration"]["signatureToken"]) == 48

    made = session.post(f"{api}/feedback_templates", json=SCORE_TEMPLATE, timeout=10)
    assert made.status_code == 201
    template = made.json()
    assert "data" not in template and template["text"] == "Assessment" and len(template["fields"]) == 3
    got = session.get(f"{api}/feedback_templates/{template['id']}", timeout=10).json()
    assert "data" not in got and got["id"] == template["id"]

    rating = template["fields"][0]["id"]
    answer = session.post(f"{api}/opportunities/{opp['id']}/feedback", params={"perform_as": world.interviewer},
                          json={"baseTemplateId": template["id"], "fieldValues": [{"id": rating, "value": "3 - Hire"}]},
                          timeout=10)
    assert answer.status_code == 201
    fb = answer.json()
    assert "data" not in fb and fb["user"] == world.interviewer and fb["opportunityId"] == opp["id"]
    # Other answers keep the one envelope.
    listed = session.get(f"{api}/opportunities/{opp['id']}", timeout=10).json()
    assert listed["data"]["id"] == opp["id"]


def test_top_level_archived_shape_replaces_the_archived_object(world):
    sandbox = world.sandbox
    archived, live = world.apply(2)
    sandbox.admin("POST", f"/_admin/opportunities/{archived['id']}/archive", {})
    api, session = sandbox.api_url, world.api()
    as_object = session.get(f"{api}/opportunities/{archived['id']}", timeout=10).json()["data"]["archived"]
    assert as_object["reason"] and isinstance(as_object["archivedAt"], int)

    sandbox.configure(archived_shape="top_level")
    one = session.get(f"{api}/opportunities/{archived['id']}", timeout=10).json()["data"]
    assert "archived" not in one
    assert one["archivedAt"] == as_object["archivedAt"] and one["archiveReason"] == as_object["reason"]
    listed = {o["id"]: o for o in session.get(f"{api}/opportunities", timeout=10).json()["data"]}
    assert "archived" not in listed[live["id"]]
    assert listed[live["id"]]["archivedAt"] is None and listed[live["id"]]["archiveReason"] is None
    assert listed[archived["id"]]["archiveReason"] == as_object["reason"]
    tagged = session.post(f"{api}/opportunities/{live['id']}/addTags", json={"tags": ["x"]}, timeout=10)
    assert "archived" not in tagged.json()["data"] and tagged.json()["data"]["archivedAt"] is None
    # The filter still reads the archived state.
    only = session.get(f"{api}/opportunities", params={"archived": "true"}, timeout=10).json()["data"]
    assert [o["id"] for o in only] == [archived["id"]]


def test_urls_can_be_left_out_of_list_answers(world):
    opp = world.apply()[0]
    sandbox, session = world.sandbox, world.api()
    url = f"{sandbox.api_url}/opportunities"
    assert session.get(url, timeout=10).json()["data"][0]["urls"]["show"] == f"{sandbox.url}/candidates/{opp['id']}"
    sandbox.configure(omit_urls_in_lists=True)
    listed = session.get(url, timeout=10).json()["data"]
    assert [o["id"] for o in listed] == [opp["id"]] and "urls" not in listed[0]
    single = session.get(f"{url}/{opp['id']}", timeout=10).json()["data"]
    assert single["urls"]["show"] == f"{sandbox.url}/candidates/{opp['id']}"
