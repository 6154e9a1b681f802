"""Contract tests: the Lever client against the embedded sandbox, a real subprocess over HTTP."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from dashboard.lever.api.client import LeverClient
from dashboard.lever.api.environments import local_environment
from dashboard.lever.api.errors import LeverAuthError, LeverBadRequestError, LeverOutcomeUnknownError
from dashboard.lever.api.oauth import ACCOUNT_ID_CLAIM, DEFAULT_SCOPES, LeverOAuth
from dashboard.lever.api.pacing import NoPacer, TokenBucketPacer
from tests.support.lever_client import RefreshingTokenSource, StaticTokenSource

CLIENT_ID, CLIENT_SECRET = "dashboard-local", "dashboard-local-secret"
REDIRECT = "http://127.0.0.1:5000/settings/integrations/lever/callback"
TAG = "Alooba Assessment - Data Analyst Assessment"


@pytest.fixture
def demo(sandbox):
    """The demo account; returns its ids by name."""
    sandbox.seed(demo=True)
    state = sandbox.state()
    return {
        "account": state["account"]["id"],
        "users": {u["name"]: u["id"] for u in state["users"]},
        "postings": {p["text"]: p["id"] for p in state["postings"]},
        "stages": {s["text"]: s["id"] for s in state["stages"]},
    }


@pytest.fixture
def oauth(sandbox):
    return LeverOAuth(local_environment(urlsplit(sandbox.url).port), CLIENT_ID, CLIENT_SECRET)


def consent(oauth: LeverOAuth, user_id: str) -> tuple[str, str]:
    """Walk the sandbox's consent page as `user_id`; returns (code, PKCE verifier)."""
    auth = oauth.authorize(REDIRECT)
    url = auth.url
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = requests.post(oauth.env.authorize_url, data={**form, "decision": "accept", "user_id": user_id},
                           allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303)
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["state"] == [auth.state]
    return back["code"][0], auth.code_verifier


@pytest.fixture
def tokens(sandbox):
    def _mint(**kw):
        return sandbox.mint_token(client_id=CLIENT_ID, scopes=[*DEFAULT_SCOPES, "notes:write:admin"], **kw)
    return _mint


@pytest.fixture
def client_for(sandbox, demo, tokens):
    def _make(**kw):
        source = kw.pop("source", None) or StaticTokenSource(tokens()["access_token"], account_key=demo["account"])
        kw.setdefault("pacer", TokenBucketPacer())
        return LeverClient(sandbox.api_url, source, **kw)
    return _make


def apply(sandbox, posting_id: str, name: str) -> dict:
    """A new applicant on a posting (through the sandbox's admin API)."""
    body = {"posting_id": posting_id, "name": name, "email": f"{name.lower()}@x.example"}
    return sandbox.admin("POST", "/_admin/applications", body)


def statuses(sandbox, path: str) -> list[int]:
    return [c["status"] for c in sandbox.calls() if c["path"] == path]


def test_code_grant_and_refresh_rotation(sandbox, demo, oauth):
    code, verifier = consent(oauth, demo["users"]["Sam Super"])
    first = oauth.exchange_code(code, REDIRECT, code_verifier=verifier)
    assert first["token_type"] == "Bearer" and first["refresh_token"]
    assert oauth.token_claims(first["access_token"])[ACCOUNT_ID_CLAIM] == demo["account"]
    second = oauth.refresh(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    with pytest.raises(LeverAuthError) as err:
        oauth.refresh(first["refresh_token"])  # reuse of a rotated token
    assert err.value.code == "invalid_grant"


def test_code_exchange_needs_the_matching_verifier(sandbox, demo, oauth):
    code, verifier = consent(oauth, demo["users"]["Sam Super"])
    with pytest.raises(LeverAuthError) as err:
        oauth.exchange_code(code, REDIRECT, code_verifier="x" * 43)
    assert err.value.code == "invalid_grant"


def test_401_refreshes_once_then_retries(sandbox, demo, oauth, client_for):
    code, verifier = consent(oauth, demo["users"]["Sam Super"])
    grant = oauth.exchange_code(code, REDIRECT, code_verifier=verifier)
    source = RefreshingTokenSource(oauth, "not-a-valid-token", grant["refresh_token"], demo["account"])
    client = client_for(source=source)
    assert {s["text"] for s in client.list_stages()} >= {"Phone Screen", "On-site"}
    assert source.refreshes == 1
    assert statuses(sandbox, "/v1/stages") == [401, 200]
    sandbox.admin("POST", "/_admin/revoke", {"client_id": CLIENT_ID})
    with pytest.raises(LeverAuthError) as err:
        client.list_stages()
    assert err.value.code == "invalid_grant"


def test_every_endpoint_the_product_uses(sandbox, demo, client_for):
    client = client_for()
    sam = demo["users"]["Sam Super"]
    tagged = list(client.list_postings(tags=[TAG]))
    assert {p["text"] for p in tagged} == {"Data Analyst", "Senior Data Analyst"}
    posting = client.get_posting(demo["postings"]["Data Analyst"])
    assert posting["tags"] == [TAG]
    assert {u["name"] for u in client.list_users()} == {"Sam Super", "Riley Recruiter"}
    assert [u["id"] for u in client.list_users(email="sam@acme.example")] == [sam]
    apply(sandbox, posting["id"], "Ada")
    [opp] = list(client.list_opportunities(posting_id=posting["id"], expand=["applications", "stage"]))
    assert opp["applications"][0]["posting"] == posting["id"] and opp["stage"]["id"]
    assert client.get_opportunity(opp["id"], expand=["contact"])["contact"]["name"] == "Ada"
    assert TAG in client.add_tags(opp["id"], ["Assessment: Invited"])["tags"]
    assert "Assessment: Invited" not in client.remove_tags(opp["id"], ["Assessment: Invited"])["tags"]
    assert client.add_links(opp["id"], ["https://r.example/1"])["links"] == ["https://r.example/1"]
    assert client.remove_links(opp["id"], ["https://r.example/1"])["links"] == []

    fields = [{"type": "score-system", "text": "Rating"}, {"type": "textarea", "text": "Summary"}]
    template = client.create_feedback_template({"text": "Assessment results", "fields": fields})
    assert template["id"] in {t["id"] for t in client.list_feedback_templates()}
    updated = client.update_feedback_template(template["id"], {"text": "Assessment results", "fields": fields})
    assert {f["id"] for f in updated["fields"]}.isdisjoint({f["id"] for f in template["fields"]})
    score, summary = (f["id"] for f in client.get_feedback_template(template["id"])["fields"])
    values = [{"id": score, "value": "3 - Hire"}, {"id": summary, "value": "Scored 78%"}]
    fb = client.create_feedback(opp["id"], {"baseTemplateId": template["id"], "fieldValues": values},
                                perform_as=sam)
    assert [f["id"] for f in client.list_feedback(opp["id"])] == [fb["id"]]
    assert client.get_feedback(opp["id"], fb["id"])["id"] == fb["id"]
    client.update_feedback(opp["id"], fb["id"], {"fieldValues": [{"id": score, "value": "4 - Strong Hire"}]},
                           perform_as=sam)
    assert client.create_note(opp["id"], {"value": "Invited to the assessment"}, perform_as=sam)["id"]
    with pytest.raises(LeverBadRequestError):
        client.create_feedback(opp["id"], {"baseTemplateId": template["id"], "fieldValues": [
            {"id": score, "value": "5 - Amazing"}]}, perform_as=sam)

    hook = client.create_webhook("https://dash.example/webhooks/lever/abc", "candidateStageChange")
    assert len(hook["configuration"]["signatureToken"]) == 48
    assert [h["id"] for h in client.list_webhooks()] == [hook["id"]]
    assert "signatureToken" not in client.list_webhooks()[0]["configuration"]
    assert client.update_webhook(hook["id"], {"url": "https://dash.example/webhooks/lever/xyz"})["url"].endswith("xyz")
    assert client.delete_webhook(hook["id"]) is True
    assert client.delete_webhook(hook["id"]) is False
    assert client.delete_feedback_template(template["id"]) is True
    state = sandbox.state()
    [stored] = state["opportunities"]
    assert len(stored["feedback"]) == 1 and len(stored["notes"]) == 1 and state["webhooks"] == []


def test_pagination_over_250_opportunities(sandbox, demo, client_for):
    posting = demo["postings"]["Data Analyst"]
    apps = [{"posting_id": posting, "name": f"C {n}", "email": f"c{n}@x.example"} for n in range(260)]
    sandbox.admin("POST", "/_admin/applications", {"applications": apps})
    sandbox.admin("POST", "/_admin/calls/clear")
    seen = [o["id"] for o in client_for().list_opportunities(posting_id=posting)]
    assert len(seen) == 260 and len(set(seen)) == 260
    assert statuses(sandbox, "/v1/opportunities") == [200, 200, 200]


def test_burst_of_60_calls_is_paced_at_the_limit(sandbox, demo, client_for):
    client = client_for()  # default pacer: Lever's own 10/s, burst 20, against the sandbox's 10/s, burst 20
    posting = demo["postings"]["Data Analyst"]
    errors: list[Exception] = []

    def work():
        for _ in range(10):
            try:
                client.get_posting(posting)
            except Exception as exc:  # noqa: BLE001  (collected and asserted below)
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seen = statuses(sandbox, f"/v1/postings/{posting}")
    # Paced at exactly Lever's limit, a call that arrives early by network jitter may meet a 429; the pacer
    # then slows down and the call is retried: every call succeeds and refusals stay rare.
    assert seen.count(200) == 60 and set(seen) <= {200, 429}
    assert seen.count(429) <= 3, seen


def test_429_answers_are_waited_out(sandbox, demo, client_for):
    sandbox.configure(rate=5, burst=2, send_retry_after=True)
    client = client_for(pacer=NoPacer())  # no client-side pacing: the sandbox must refuse some calls
    for _ in range(6):
        assert client.list_stages()
    got = statuses(sandbox, "/v1/stages")
    assert got.count(200) == 6 and 429 in got


def test_injected_500_is_retried(sandbox, demo, client_for):
    sandbox.set_faults(error_rate=1.0)

    def heal(method, path, status, seconds):
        if status == 500:
            sandbox.set_faults(error_rate=0.0)

    assert client_for(on_call=heal).get_posting(demo["postings"]["Data Engineer"])["text"] == "Data Engineer"
    assert statuses(sandbox, f"/v1/postings/{demo['postings']['Data Engineer']}") == [500, 200]


def test_timeout_is_retried(sandbox, demo, client_for):
    sandbox.set_faults(timeout_rate=1.0, timeout_seconds=1.0)
    attempts = []

    def heal(method, path, status, seconds):
        attempts.append(status)
        if status is None:
            sandbox.set_faults(timeout_rate=0.0)

    users = client_for(on_call=heal, timeout=(3.05, 0.3)).list_users()
    assert len(users) == 2
    assert attempts == [None, 200]


def test_dropped_feedback_post_is_outcome_unknown_and_not_repeated(sandbox, demo, client_for):
    client = client_for()
    posting = demo["postings"]["Data Analyst"]
    opp = apply(sandbox, posting, "Bo")
    fields = [{"type": "score-system", "text": "Rating"}]
    template = client.create_feedback_template({"text": "Results", "fields": fields})
    body = {"baseTemplateId": template["id"], "fieldValues": [{"id": template["fields"][0]["id"], "value": "3 - Hire"}]}
    sandbox.set_faults(drop_response_after_write_rate=1.0, timeout_seconds=1.0)
    with pytest.raises(LeverOutcomeUnknownError):
        client.create_feedback(opp["id"], body, perform_as=demo["users"]["Sam Super"])
    sandbox.set_faults(drop_response_after_write_rate=0.0)
    [stored] = [o for o in sandbox.state()["opportunities"] if o["id"] == opp["id"]]
    assert len(stored["feedback"]) == 1  # written once, never repeated
    assert statuses(sandbox, f"/v1/opportunities/{opp['id']}/feedback") == [201]


def test_dropped_tag_write_is_retried(sandbox, demo, client_for):
    posting = demo["postings"]["Data Analyst"]
    opp = apply(sandbox, posting, "Cy")
    sandbox.set_faults(drop_response_after_write_rate=1.0, timeout_seconds=1.0)

    def heal(method, path, status, seconds):
        if status is None:
            sandbox.set_faults(drop_response_after_write_rate=0.0)

    result = client_for(on_call=heal).add_tags(opp["id"], ["Assessment: Invited"])
    assert result["tags"].count("Assessment: Invited") == 1
    assert statuses(sandbox, f"/v1/opportunities/{opp['id']}/addTags") == [200, 200]
