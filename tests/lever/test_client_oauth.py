"""LeverOAuth over real HTTP against a scripted token endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.lever.api.environments import local_environment
from dashboard.lever.api.errors import LeverAuthError, LeverOutcomeUnknownError, LeverServerError
from dashboard.lever.api.oauth import DEFAULT_SCOPES, LeverOAuth, token_claims
from tests.support.lever_client import DROP, ScriptedServer


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def oauth(server):
    return LeverOAuth(local_environment(server.port), "cid", "csecret", timeout=(1.0, 0.5))


def _jwt(claims: dict) -> str:
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'RS256'})}.{enc(claims)}.c2ln"


def test_exchange_code_posts_a_form_with_the_pkce_verifier(server, oauth):
    answer = {"access_token": "at", "refresh_token": "rt", "token_type": "Bearer", "expires_in": 3600}
    server.queue("POST", "/oauth/token", 200, answer)
    got = oauth.exchange_code("code-1", "http://127.0.0.1:5000/cb", code_verifier="v" * 43)
    assert {key: got[key] for key in answer} == answer
    seen = server.seen[0]
    assert seen.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert seen.form() == {"grant_type": "authorization_code", "code": "code-1",
                           "redirect_uri": "http://127.0.0.1:5000/cb", "code_verifier": "v" * 43,
                           "client_id": "cid", "client_secret": "csecret"}


def test_exchange_without_verifier_sends_none(server, oauth):
    server.queue("POST", "/oauth/token", 200, {"access_token": "at"})
    oauth.exchange_code("c", "http://127.0.0.1:5000/cb")
    assert "code_verifier" not in server.seen[0].form()


def test_refresh_returns_the_rotated_token(server, oauth):
    server.queue("POST", "/oauth/token", 200, {"access_token": "at2", "refresh_token": "rt2"})
    assert oauth.refresh("rt1")["refresh_token"] == "rt2"
    assert server.seen[0].form()["grant_type"] == "refresh_token"
    assert server.seen[0].form()["refresh_token"] == "rt1"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_grant_errors_become_auth_errors_with_the_oauth_code(server, oauth, status):
    server.queue("POST", "/oauth/token", status, {"error": "invalid_grant", "error_description": "revoked"})
    with pytest.raises(LeverAuthError) as err:
        oauth.refresh("rt-dead")
    assert err.value.code == "invalid_grant" and err.value.message == "revoked"
    assert err.value.status == status and not err.value.retryable


def test_server_error_is_retryable_and_not_repeated(server, oauth):
    server.queue("POST", "/oauth/token", 503)
    with pytest.raises(LeverServerError) as err:
        oauth.refresh("rt")
    assert err.value.retryable
    assert len(server.seen) == 1


def test_lost_refresh_answer_is_outcome_unknown(server, oauth):
    server.queue("POST", "/oauth/token", DROP)
    with pytest.raises(LeverOutcomeUnknownError):
        oauth.refresh("rt")
    assert len(server.seen) == 1


def test_success_without_access_token_is_refused(server, oauth):
    server.queue("POST", "/oauth/token", 200, {"token_type": "Bearer"})
    with pytest.raises(LeverAuthError) as err:
        oauth.exchange_code("c", "http://127.0.0.1:5000/cb")
    assert err.value.code == "invalid_response"


def test_authorization_url_carries_every_parameter_and_a_fresh_pkce_pair(oauth):
    auth = oauth.authorize("http://127.0.0.1:5000/cb")
    parts = urlsplit(auth.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == oauth.env.authorize_url
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(auth.code_verifier.encode()).digest()).rstrip(b"=").decode()
    assert q == {"client_id": "cid", "redirect_uri": "http://127.0.0.1:5000/cb", "response_type": "code",
                 "state": auth.state, "scope": " ".join(DEFAULT_SCOPES), "audience": oauth.env.audience,
                 "prompt": "consent", "code_challenge": challenge, "code_challenge_method": "S256"}
    assert "offline_access" in q["scope"].split()
    again = oauth.authorize("http://127.0.0.1:5000/cb")
    assert again.state != auth.state and again.code_verifier != auth.code_verifier
    assert len(auth.state) >= 32 and 43 <= len(auth.code_verifier) <= 128


def test_token_claims_decodes_without_verification(oauth):
    token = _jwt({"https://oauth.lever.co/accountId": "acct-1", "sub": "x"})
    assert token_claims(token)["https://oauth.lever.co/accountId"] == "acct-1"
    assert oauth.token_claims(token)["sub"] == "x"


NOT_AN_OBJECT = "a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c"


@pytest.mark.parametrize("bad", ["not-a-jwt", "a.!!!.c", NOT_AN_OBJECT])
def test_token_claims_rejects_garbage(bad):
    with pytest.raises(LeverAuthError) as err:
        token_claims(bad)
    assert err.value.code == "invalid_token"
