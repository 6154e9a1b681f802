"""The Data API's shapes and rules over HTTP: scopes, pagination, tags, feedback templates, feedback."""

from __future__ import annotations

from tests.support.sandbox import SCORE_TEMPLATE


def test_scope_enforcement_write_implies_read(world):
    api = world.sandbox.api_url
    opp = world.apply()[0]
    read_only = world.api(["opportunities:read:admin"])
    assert read_only.get(f"{api}/opportunities/{opp['id']}", timeout=10).status_code == 200
    resp = read_only.post(f"{api}/opportunities/{opp['id']}/addTags", json={"tags": ["x"]}, timeout=10)
    assert resp.status_code == 403 and resp.json()["code"] == "ForbiddenError"
    assert read_only.get(f"{api}/postings", timeout=10).status_code == 403
    writer = world.api(["opportunities:write:admin"])
    assert writer.get(f"{api}/opportunities", timeout=10).status_code == 200


def test_pagination_tokens_walk_250_opportunities_and_reject_bad_offsets(world):
    world.apply(250)
    api, session = world.sandbox.api_url, world.api()
    seen, params = [], {"limit": 100}
    while True:
        body = session.get(f"{api}/opportunities", params=params, timeout=10).json()
        seen += [o["id"] for o in body["data"]]
        if not body["hasNext"]:
            assert "next" not in body
            break
        params = {"limit": 100, "offset": body["next"]}
    assert len(seen) == len(set(seen)) == 250
    bad = session.get(f"{api}/opportunities", params={"offset": "MTAwOmFiYw=="}, timeout=10)
    assert bad.status_code == 400 and "Invalid offset token" in bad.json()["message"]
    assert session.get(f"{api}/opportunities", params={"limit": 101}, timeout=10).status_code == 400


def test_opportunity_shape_filters_and_expand(world):
    opp = world.apply(2)[0]
    api, session = world.sandbox.api_url, world.api()
    body = session.get(f"{api}/opportunities/{opp['id']}", timeout=10).json()["data"]
    assert body["stage"] == "applicant-new" and body["tags"] == ["Assess"] and body["archived"] is None
    assert body["urls"]["show"] == f"{world.sandbox.url}/candidates/{opp['id']}"
    assert isinstance(body["applications"][0], str)
    expanded = session.get(f"{api}/opportunities/{opp['id']}", params=[("expand", "applications"),
                                                                         ("expand", "stage")], timeout=10)
    data = expanded.json()["data"]
    assert data["applications"][0]["posting"] == world.posting_id
    assert data["stage"] == {"id": "applicant-new", "text": "New applicant"}
    found = session.get(f"{api}/opportunities", params={"email": "c0@example.com"}, timeout=10).json()
    assert [o["id"] for o in found["data"]] == [opp["id"]]
    by_posting = session.get(f"{api}/opportunities", params={"posting_id": world.posting_id}, timeout=10)
    assert len(by_posting.json()["data"]) == 2


def test_tags_have_set_semantics_and_bump_updated_at(world):
    opp = world.apply()[0]
    api, session = world.sandbox.api_url, world.api()
    url = f"{api}/opportunities/{opp['id']}"
    added = session.post(f"{url}/addTags", json={"tags": ["a", "a", "Assess", "b"]}, timeout=10).json()["data"]
    assert added["tags"] == ["Assess", "a", "b"] and added["updatedAt"] > opp["updatedAt"]
    again = session.post(f"{url}/addTags", json={"tags": ["a"]}, timeout=10).json()["data"]
    assert again["tags"] == ["Assess", "a", "b"] and again["updatedAt"] > added["updatedAt"]
    removed = session.post(f"{url}/removeTags", json={"tags": ["a", "missing"]}, timeout=10).json()["data"]
    assert removed["tags"] == ["Assess", "b"]
    links = session.post(f"{url}/addLinks", json={"links": ["https://x/1", "https://x/1"]}, timeout=10)
    assert links.json()["data"]["links"] == ["https://x/1"]
    assert session.post(f"{url}/addTags", json={"tags": "a"}, timeout=10).status_code == 400


def test_template_needs_exactly_one_score_system_and_put_regenerates_ids(world):
    api, session = world.sandbox.api_url, world.api()
    none = {"text": "T", "fields": [{"type": "text", "text": "Summary"}]}
    two = {"text": "T", "fields": [{"type": "score-system", "text": "A"}, {"type": "score-system", "text": "B"}]}
    for body in (none, two):
        resp = session.post(f"{api}/feedback_templates", json=body, timeout=10)
        assert resp.status_code == 400 and resp.json()["code"] == "BadRequestError"
    created = session.post(f"{api}/feedback_templates", json=SCORE_TEMPLATE, timeout=10)
    assert created.status_code == 201
    template = created.json()["data"]
    updated = session.put(f"{api}/feedback_templates/{template['id']}", json=SCORE_TEMPLATE, timeout=10)
    new_ids = {f["id"] for f in updated.json()["data"]["fields"]}
    assert len(new_ids) == 3 and not new_ids & {f["id"] for f in template["fields"]}


def test_feedback_validated_against_template_fields(world):
    opp = world.apply()[0]
    api, session = world.sandbox.api_url, world.api()
    template = session.post(f"{api}/feedback_templates", json=SCORE_TEMPLATE, timeout=10).json()["data"]
    rating, summary, skill = (f["id"] for f in template["fields"])
    url = f"{api}/opportunities/{opp['id']}/feedback"
    good = {"baseTemplateId": template["id"], "fieldValues": [
        {"id": rating, "value": "4 - Strong Hire"}, {"id": summary, "value": "Great"}, {"id": skill, "value": 3}]}
    assert session.post(url, json=good, timeout=10).status_code == 400  # perform_as missing
    for bad in ({"id": rating, "value": "Strong Hire"}, {"id": skill, "value": 5}, {"id": "nope", "value": "x"}):
        resp = session.post(url, params={"perform_as": world.interviewer}, timeout=10,
                            json={"baseTemplateId": template["id"], "fieldValues": [bad]})
        assert resp.status_code == 400
    created = session.post(url, params={"perform_as": world.interviewer}, json=good, timeout=10)
    assert created.status_code == 201
    fb = created.json()["data"]
    assert fb["user"] == world.interviewer
    assert {f["id"]: f["value"] for f in fb["fields"]}[rating] == "4 - Strong Hire"
    put = session.put(f"{url}/{fb['id']}", params={"perform_as": world.interviewer}, timeout=10,
                      json={"fieldValues": [{"id": rating, "value": "3 - Hire"}]})
    assert {"id": rating, "value": "3 - Hire"} in put.json()["data"]["fieldValues"]
    assert session.delete(f"{url}/{fb['id']}", timeout=10).status_code == 204
    gone = session.get(f"{url}/{fb['id']}", timeout=10).json()["data"]
    assert gone["deletedAt"]
    session.put(f"{api}/feedback_templates/{template['id']}", json=SCORE_TEMPLATE, timeout=10)
    stale = session.post(url, params={"perform_as": world.interviewer}, json=good, timeout=10)
    assert stale.status_code == 400


def test_accounts_are_isolated(world, sandbox):
    opp = world.apply()[0]
    other = sandbox.seed(account={"name": "Other"},
                         users=[{"name": "O", "email": "o@other.example", "accessRole": "super admin"}])
    token = sandbox.mint_token(client_id="app", account_id=other["account"]["id"],
                               scopes=["opportunities:read:admin"])
    resp = __import__("requests").get(f"{sandbox.api_url}/opportunities/{opp['id']}", timeout=10,
                                      headers={"Authorization": f"Bearer {token['access_token']}"})
    assert resp.status_code == 404 and resp.json()["code"] == "ResourceNotFound"


def test_rate_limit_answers_429_beyond_the_burst(world):
    world.sandbox.configure(rate=0.5, burst=3)
    session = world.api(["stages:read:admin"])
    statuses = [session.get(f"{world.sandbox.api_url}/stages", timeout=10).status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429, 429]
    too_many = session.get(f"{world.sandbox.api_url}/stages", timeout=10)
    assert too_many.json()["code"] == "TooManyRequests" and "Retry-After" not in too_many.headers
    rates = world.sandbox.admin("GET", "/_admin/rate")
    assert rates[f"{world.account_id}:app"] >= 6
    assert len([c for c in world.sandbox.calls() if c["path"] == "/v1/stages"]) == 7


def test_faults_apply_to_the_api_not_to_admin(world):
    world.sandbox.set_faults(error_rate=1.0)
    resp = world.api().get(f"{world.sandbox.api_url}/stages", timeout=10)
    assert resp.status_code == 500
    assert world.sandbox.state(world.account_id)["account"]["id"] == world.account_id


def test_expand_applications_needs_its_scope_only_when_enforced(world):
    opp = world.apply()[0]
    api = world.sandbox.api_url
    without = world.api(["opportunities:read:admin"])
    with_scope = world.api(["opportunities:read:admin", "applications:read:admin"])
    params = {"expand": "applications"}
    lenient = without.get(f"{api}/opportunities/{opp['id']}", params=params, timeout=10)
    assert lenient.status_code == 200 and lenient.json()["data"]["applications"][0]["posting"] == world.posting_id

    world.sandbox.configure(enforce_applications_scope=True)
    for url in (f"{api}/opportunities/{opp['id']}", f"{api}/opportunities"):
        refused = without.get(url, params=params, timeout=10)
        assert refused.status_code == 403 and refused.json()["code"] == "ForbiddenError"
        assert "requires applications:read:admin" in refused.json()["message"]
        assert with_scope.get(url, params=params, timeout=10).status_code == 200
    assert without.get(f"{api}/opportunities/{opp['id']}", params={"expand": "stage"}, timeout=10).status_code == 200
