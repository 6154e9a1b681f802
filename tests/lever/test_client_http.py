"""LeverClient over real HTTP against a scripted local server: auth, retries, errors, pagination."""

from __future__ import annotations

import logging

import pytest
import requests

from dashboard.lever.api.client import LeverClient
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverBadRequestError,
    LeverForbiddenError,
    LeverNetworkError,
    LeverNotFoundError,
    LeverOutcomeUnknownError,
    LeverRateLimitedError,
    LeverServerError,
)
from tests.support.lever_client import DROP, HANG, RecordingPacer, ScriptedServer, StaticTokenSource


@pytest.fixture
def server():
    srv = ScriptedServer(hang_seconds=1.0).start()
    yield srv
    srv.stop()


@pytest.fixture
def calls():
    return []


@pytest.fixture
def make_client(server, calls):
    def _make(*tokens, **kw):
        source = StaticTokenSource(*(tokens or ("tok-1",)))
        kw.setdefault("pacer", RecordingPacer())
        kw.setdefault("timeout", (1.0, 0.3))
        kw.setdefault("sleep", lambda s: None)
        kw.setdefault("on_call", lambda m, p, st, sec: calls.append((m, p, st)))
        return LeverClient(server.url + "/v1", source, **kw)

    return _make


def test_bearer_token_and_data_payload(server, make_client):
    server.queue("GET", "/v1/postings/p1", 200, {"data": {"id": "p1", "text": "Analyst", "newField": 1}})
    assert make_client("tok-abc").get_posting("p1") == {"id": "p1", "text": "Analyst", "newField": 1}
    assert server.seen[0].headers["Authorization"] == "Bearer tok-abc"


def test_401_refreshes_once_and_retries(server, make_client, calls):
    server.queue("GET", "/v1/stages", 401, {"code": "Unauthorized", "message": "expired"})
    server.queue("GET", "/v1/stages", 200, {"data": [{"id": "s1", "text": "New"}], "hasNext": False})
    client = make_client("old", "new")
    assert client.list_stages() == [{"id": "s1", "text": "New"}]
    assert client.token_source.refreshed_from == ["old"]
    assert [s.headers["Authorization"] for s in server.seen] == ["Bearer old", "Bearer new"]
    assert calls == [("GET", "/stages", 401), ("GET", "/stages", 200)]


def test_second_401_is_an_auth_error(server, make_client):
    server.queue("GET", "/v1/users", 401, {"code": "Unauthorized", "message": "revoked"}, times=2)
    client = make_client("old", "new")
    with pytest.raises(LeverAuthError) as err:
        client.list_users()
    assert err.value.status == 401 and err.value.message == "revoked" and not err.value.retryable
    assert client.token_source.refreshed_from == ["old"]
    assert len(server.seen) == 2


def test_pacer_is_asked_before_every_attempt_including_retries(server, make_client):
    server.queue("GET", "/v1/postings/p1", 503, times=2)
    pacer = RecordingPacer()
    make_client(pacer=pacer).get_posting("p1")
    assert pacer.keys == ["acct-test"] * 3


def test_5xx_is_retried_with_backoff_until_success(server, make_client):
    slept = []
    for status in (500, 502, 503, 504):
        server.queue("GET", "/v1/postings/p1", status)
    client = make_client(sleep=slept.append, backoff_base=0.5, max_sleep=8.0)
    assert client.get_posting("p1") == {}
    assert len(slept) == 4
    assert all(0 <= s <= cap for s, cap in zip(slept, [0.5, 1.0, 2.0, 4.0], strict=True))


def test_5xx_beyond_max_retries_is_a_server_error(server, make_client):
    server.queue("GET", "/v1/postings/p1", 500, {"code": "InternalError", "message": "boom"}, times=5)
    with pytest.raises(LeverServerError) as err:
        make_client(max_retries=2).get_posting("p1")
    assert err.value.retryable and err.value.status == 500 and err.value.code == "InternalError"
    assert len(server.seen) == 3


def test_429_honours_retry_after(server, make_client):
    slept = []
    server.queue("GET", "/v1/postings/p1", 429, {"code": "TooManyRequests"}, {"Retry-After": "2"})
    assert make_client(sleep=slept.append).get_posting("p1") == {}
    assert slept == [2.0]


def test_429_retry_after_as_an_http_date(server, make_client):
    slept = []
    server.queue("GET", "/v1/postings/p1", 429, None, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert make_client(sleep=slept.append).get_posting("p1") == {}
    assert slept == []  # a date in the past: retry at once


def test_a_timeout_is_required(server):
    with pytest.raises(ValueError):
        LeverClient(server.url, StaticTokenSource(), timeout=None)


def test_429_wait_beyond_the_cap_goes_back_to_the_caller(server, make_client):
    server.queue("POST", "/v1/opportunities/o1/feedback", 429, None, {"Retry-After": "30"})
    with pytest.raises(LeverRateLimitedError) as err:
        make_client(max_sleep=8.0).create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u1")
    assert err.value.retry_after == 30.0 and err.value.retryable
    assert len(server.seen) == 1


def test_429_retries_exhausted(server, make_client):
    server.queue("GET", "/v1/postings/p1", 429, times=3)
    with pytest.raises(LeverRateLimitedError) as err:
        make_client(max_retries=2).get_posting("p1")
    assert err.value.retry_after is None and err.value.status == 429


def test_non_idempotent_post_is_retried_after_429_and_503(server, make_client):
    server.queue("POST", "/v1/opportunities/o1/notes", 429)
    server.queue("POST", "/v1/opportunities/o1/notes", 503)
    server.queue("POST", "/v1/opportunities/o1/notes", 201, {"data": {"id": "n1"}})
    assert make_client().create_note("o1", {"value": "hi"}) == {"id": "n1"}
    assert len(server.seen) == 3


@pytest.mark.parametrize(("status", "error"), [
    (400, LeverBadRequestError), (403, LeverForbiddenError), (404, LeverNotFoundError),
    (422, LeverBadRequestError),
])
def test_client_errors_are_not_retried(server, make_client, status, error):
    server.queue("GET", "/v1/postings/p1", status, {"code": "Nope", "message": "no such thing"})
    with pytest.raises(error) as err:
        make_client().get_posting("p1")
    assert err.value.status == status and err.value.code == "Nope" and err.value.message == "no such thing"
    assert not err.value.retryable
    assert len(server.seen) == 1


def test_read_timeout_on_a_get_is_retried(server, make_client, calls):
    server.queue("GET", "/v1/postings/p1", HANG)
    server.queue("GET", "/v1/postings/p1", 200, {"data": {"id": "p1"}})
    assert make_client().get_posting("p1") == {"id": "p1"}
    assert [c[2] for c in calls] == [None, 200]


def test_dropped_connection_on_put_is_retried(server, make_client):
    server.queue("PUT", "/v1/webhooks", DROP)
    server.queue("PUT", "/v1/webhooks", 200, {"data": [{"id": "w1", "url": "https://x.example/h"}]})
    assert make_client().update_webhook("w1", {"url": "https://x.example/h"})["url"] == "https://x.example/h"
    assert [s.json() for s in server.seen] == [{"data": [{"url": "https://x.example/h", "id": "w1"}]}] * 2


def test_tag_writes_are_retried_after_a_lost_answer(server, make_client):
    server.queue("POST", "/v1/opportunities/o1/addTags", DROP)
    server.queue("POST", "/v1/opportunities/o1/addTags", 200, {"data": {"id": "o1", "tags": ["a"]}})
    assert make_client().add_tags("o1", ["a"])["tags"] == ["a"]
    assert [s.json() for s in server.seen] == [{"tags": ["a"]}, {"tags": ["a"]}]


@pytest.mark.parametrize("fault", [DROP, HANG])
def test_lost_answer_on_feedback_post_is_outcome_unknown_and_not_repeated(server, make_client, fault):
    server.queue("POST", "/v1/opportunities/o1/feedback", fault)
    with pytest.raises(LeverOutcomeUnknownError) as err:
        make_client().create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u1")
    assert not err.value.retryable
    assert len(server.requests_to("POST", "/v1/opportunities/o1/feedback")) == 1


@pytest.mark.parametrize("call", [
    lambda c: c.create_note("o1", {"value": "x"}),
    lambda c: c.create_webhook("https://x.example/h", "candidateHired"),
    lambda c: c.create_feedback_template({"text": "t", "fields": []}),
])
def test_other_creates_are_not_repeated_after_a_lost_answer(server, make_client, call):
    for path in ("/v1/opportunities/o1/notes", "/v1/webhooks", "/v1/feedback_templates"):
        server.queue("POST", path, DROP)
    with pytest.raises(LeverOutcomeUnknownError):
        call(make_client())
    assert len(server.seen) == 1


def test_connect_errors_are_retried_even_for_creates(calls):
    sock_port = _closed_port()
    client = LeverClient(f"http://127.0.0.1:{sock_port}/v1", StaticTokenSource(), pacer=RecordingPacer(),
                         max_retries=2, sleep=lambda s: None,
                         on_call=lambda m, p, st, sec: calls.append((m, p, st)))
    with pytest.raises(LeverNetworkError) as err:
        client.create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u1")
    assert err.value.retryable
    assert calls == [("POST", "/opportunities/o1/feedback", None)] * 3


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_pagination_passes_next_back_as_offset(server, make_client):
    server.queue("GET", "/v1/opportunities", 200, {"data": [{"id": "1"}, {"id": "2"}], "hasNext": True,
                                                   "next": "tok-a"})
    server.queue("GET", "/v1/opportunities", 200, {"data": [{"id": "3"}], "hasNext": True, "next": "tok-b"})
    server.queue("GET", "/v1/opportunities", 200, {"data": [{"id": "4"}], "hasNext": False})
    items = make_client().list_opportunities(posting_id="p1", tags=["x", "y"], archived=False,
                                             expand=["applications", "stage"], limit=2,
                                             updated_at_start=1700000000000)
    assert [o["id"] for o in items] == ["1", "2", "3", "4"]
    q = [s.query for s in server.seen]
    assert q[0] == {"posting_id": ["p1"], "tag": ["x", "y"], "archived": ["false"],
                    "expand": ["applications", "stage"], "limit": ["2"],
                    "updated_at_start": ["1700000000000"]}
    assert [x.get("offset") for x in q] == [None, ["tok-a"], ["tok-b"]]


def test_pagination_is_lazy(server, make_client):
    server.queue("GET", "/v1/postings", 200, {"data": [{"id": "1"}], "hasNext": True, "next": "n"})
    it = make_client().list_postings(state="published")
    assert next(it) == {"id": "1"}
    assert len(server.seen) == 1
    assert server.seen[0].query["state"] == ["published"]


def test_limit_is_validated(make_client):
    with pytest.raises(ValueError):
        list(make_client().list_opportunities(limit=101))


def test_write_bodies_and_perform_as(server, make_client):
    server.queue("POST", "/v1/opportunities/o1/feedback", 201, {"data": {"id": "f1"}})
    server.queue("POST", "/v1/opportunities/o1/notes", 201, {"data": {"noteId": "n1"}})
    client = make_client()
    client.create_feedback("o1", {"baseTemplateId": "t1", "fieldValues": []}, perform_as="u9")
    client.update_feedback("o1", "f1", {"fieldValues": []}, perform_as="u9")
    client.create_note("o1", {"value": "Scored 80%"}, perform_as="u9")
    client.remove_links("o1", ["https://x.example/r"])
    by = {(s.method, s.path): s for s in server.seen}
    assert by[("POST", "/v1/opportunities/o1/feedback")].query == {"perform_as": ["u9"]}
    assert by[("PUT", "/v1/opportunities/o1/feedback/f1")].query == {"perform_as": ["u9"]}
    assert by[("POST", "/v1/opportunities/o1/notes")].json() == {"value": "Scored 80%"}
    assert by[("POST", "/v1/opportunities/o1/removeLinks")].json() == {"links": ["https://x.example/r"]}


def test_ids_are_path_escaped(server, make_client):
    make_client().get_opportunity("../webhooks")
    assert server.seen[0].path == "/v1/opportunities/..%2Fwebhooks"
    with pytest.raises(ValueError):
        make_client().get_posting("")


def test_delete_reports_whether_it_deleted(server, make_client):
    server.queue("DELETE", "/v1/webhooks/w1", 204)
    server.queue("DELETE", "/v1/webhooks/w2", 404, {"code": "ResourceNotFound", "message": "gone"})
    client = make_client()
    assert client.delete_webhook("w1") is True
    assert client.delete_webhook("w2") is False


def test_unreadable_success_answer(server, make_client):
    server.queue("GET", "/v1/postings/p1", 200, b"<html>oops</html>", times=5)
    with pytest.raises(LeverServerError) as err:
        make_client().get_posting("p1")
    assert err.value.code == "invalid_response"


def test_logs_never_contain_the_token(server, make_client, caplog):
    server.queue("GET", "/v1/stages", 401)
    server.queue("GET", "/v1/stages", 200, {"data": [], "hasNext": False})
    with caplog.at_level(logging.DEBUG):
        make_client("secret-old-token", "secret-new-token").list_stages()
    assert "GET /stages" in caplog.text
    assert "secret" not in caplog.text and "Bearer" not in caplog.text


def test_uses_the_given_session(server, make_client):
    session = requests.Session()
    session.headers["X-Trace"] = "t1"
    make_client(session=session).get_posting("p1")
    assert server.seen[0].headers["X-Trace"] == "t1"
