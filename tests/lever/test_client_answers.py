"""The client's single reading of answers: creates whose answer cannot be read leave an unknown outcome
(never repeated), the documented `PUT /webhooks`, and the pipeline calls (stage, archived state, archive
reasons) against the sandbox over HTTP."""

from __future__ import annotations

import pytest

from dashboard.lever.api import shapes
from dashboard.lever.api.client import LeverClient, single_object
from dashboard.lever.api.errors import (
    LeverBadRequestError,
    LeverError,
    LeverForbiddenError,
    LeverNotFoundError,
    LeverOutcomeUnknownError,
)
from dashboard.lever.api.oauth import ARCHIVE_REASONS_SCOPE, DEFAULT_SCOPES
from tests.support.lever_client import RecordingPacer, ScriptedServer, StaticTokenSource

CREATES = {
    "/v1/webhooks": lambda c: c.create_webhook("https://d.example/h", "applicationCreated"),
    "/v1/feedback_templates": lambda c: c.create_feedback_template({"text": "t", "fields": []}),
    "/v1/opportunities/o1/feedback": lambda c: c.create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u"),
    "/v1/opportunities/o1/notes": lambda c: c.create_note("o1", {"value": "v"}),
}


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server) -> LeverClient:
    return LeverClient(server.url + "/v1", StaticTokenSource(), pacer=RecordingPacer(), sleep=lambda s: None,
                       timeout=(1.0, 1.0))


def test_single_object_reads_once_twice_and_bare():
    obj = {"id": "x", "text": "t"}
    assert single_object({"data": obj}) == obj
    assert single_object({"data": {"data": obj}}) == obj
    assert single_object(obj) == obj
    assert single_object({"data": {"id": "y", "data": {"id": "z"}}}) == {"id": "y", "data": {"id": "z"}}
    assert single_object([obj]) is None and single_object("text") is None


@pytest.mark.parametrize("path", CREATES)
@pytest.mark.parametrize("answer", [{"data": {}}, {"data": {"data": {}}}, {"data": None}, [], b"<html>oops",
                                    None], ids=["no-id", "twice-no-id", "null", "list", "not-json", "empty"])
def test_a_create_whose_answer_shows_no_object_is_an_unknown_outcome(server, api, path, answer):
    server.queue("POST", path, 201 if answer is not None else 204, answer)
    with pytest.raises(LeverOutcomeUnknownError) as err:
        CREATES[path](api)
    assert not err.value.retryable and "may or may not have happened" in err.value.message
    assert len(server.seen) == 1  # never repeated blindly


def test_an_unreadable_read_can_be_tried_again(server, api):
    server.queue("GET", "/v1/postings/p1", 200, b"<html>oops")
    with pytest.raises(LeverError) as err:
        api.get_posting("p1")
    assert err.value.retryable and not isinstance(err.value, LeverOutcomeUnknownError)
    server.queue("GET", "/v1/postings/p1", 200, {"id": "p1"})  # bare objects are read too
    assert api.get_posting("p1") == {"id": "p1"}
    server.queue("GET", "/v1/stages/x", 200, [1, 2])
    with pytest.raises(LeverError) as err:
        api._data("GET", "/stages/x")
    assert err.value.code == "invalid_response"


def test_webhooks_are_updated_with_the_documented_put(server, api):
    server.queue("PUT", "/v1/webhooks", 200, {"data": [{"id": "w1", "url": "u1"}, {"id": "w2", "url": "u2"}]})
    changed = api.update_webhooks([{"id": "w1", "url": "u1"}, {"id": "w2", "configuration": {"conditions": {}}}])
    assert [h["id"] for h in changed] == ["w1", "w2"]
    [seen] = server.seen
    assert seen.json() == {"data": [{"id": "w1", "url": "u1"}, {"id": "w2", "configuration": {"conditions": {}}}]}
    with pytest.raises(ValueError):
        api.update_webhooks([{"url": "no id"}])


# -- against the sandbox -----------------------------------------------------------------------------


@pytest.fixture
def demo(sandbox):
    seeded = sandbox.seed(demo=True)
    return {"account": seeded["account"]["id"], "sam": next(u["id"] for u in seeded["users"]
                                                            if u["accessRole"] == "super admin"),
            "postings": {p["text"]: p["id"] for p in seeded["postings"]},
            "stages": {s["text"]: s["id"] for s in seeded["stages"]}}


def _client(sandbox, demo, scopes=DEFAULT_SCOPES) -> LeverClient:
    token = sandbox.mint_token(client_id="dashboard-local", account_id=demo["account"], scopes=list(scopes))
    return LeverClient(sandbox.api_url, StaticTokenSource(token["access_token"], account_key=demo["account"]))


def _apply(sandbox, demo) -> dict:
    return sandbox.admin("POST", "/_admin/applications", {"posting_id": demo["postings"]["Data Analyst"],
                                                          "name": "Pia Pipeline", "email": "pia@example.com"})


def test_stage_archived_state_and_archive_reasons_through_the_client(sandbox, demo):
    client, opp = _client(sandbox, demo), _apply(sandbox, demo)
    screen = demo["stages"]["Phone Screen"]
    moved = client.update_stage(opp["id"], screen, perform_as=demo["sam"])
    assert moved["stage"] == screen and moved["stageChanges"][-1]["userId"] == demo["sam"]
    with pytest.raises(LeverBadRequestError):
        client.update_stage(opp["id"], "no-such-stage")

    reasons = client.list_archive_reasons()
    hired = client.list_archive_reasons(kind="hired")
    assert hired and {r["type"] for r in hired} == {"hired"} and len(reasons) > len(hired)
    withdrew = next(r for r in reasons if r["type"] == "non-hired" and r["status"] == "active")
    for shape in ("object", "top_level"):
        sandbox.configure(archived_shape=shape)
        archived = client.update_archived(opp["id"], withdrew["id"], perform_as=demo["sam"])
        assert shapes.is_archived(archived) and shapes.archive_reason(archived) == withdrew["id"]
        live = client.update_archived(opp["id"], None)
        assert not shapes.is_archived(live) and shapes.archive_reason(live) is None
        assert shapes.is_archived(client.get_opportunity(opp["id"])) is False
    state = sandbox.state()
    assert [o["stage"] for o in state["opportunities"]] == [screen]


def test_archive_reasons_need_their_scope(sandbox, demo):
    client = _client(sandbox, demo, [s for s in DEFAULT_SCOPES if s != ARCHIVE_REASONS_SCOPE])
    with pytest.raises(LeverForbiddenError) as err:
        client.list_archive_reasons()
    assert ARCHIVE_REASONS_SCOPE in err.value.message


def test_update_webhook_uses_the_documented_put_on_the_sandbox(sandbox, demo):
    client = _client(sandbox, demo)
    hook = client.create_webhook("https://dash.example/webhooks/lever/a", "candidateHired")
    changed = client.update_webhook(hook["id"], {"url": "https://dash.example/webhooks/lever/b"})
    assert changed["url"].endswith("/b") and "signatureToken" not in changed["configuration"]
    assert sandbox.state()["webhooks"][0]["url"].endswith("/b")
    with pytest.raises(LeverNotFoundError):
        client.update_webhook("no-such-webhook", {"url": "https://dash.example/c"})
    calls = [(c["method"], c["path"]) for c in sandbox.calls() if c["method"] == "PUT"]
    assert calls == [("PUT", "/v1/webhooks")] * 2  # never the undocumented PUT /webhooks/:id
