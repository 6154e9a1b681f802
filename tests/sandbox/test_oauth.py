"""OAuth against the sandbox over HTTP: consent, codes, PKCE, refresh rotation, revocation."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import requests

from tests.support.sandbox import REDIRECT


def _params(sandbox, **extra) -> dict:
    return {"client_id": "app", "redirect_uri": REDIRECT, "response_type": "code", "state": "st-1",
            "scope": "offline_access opportunities:read:admin", "audience": sandbox.api_url + "/", **extra}


def _decide(world, params: dict, decision: str = "accept", user_id: str | None = None) -> dict:
    page = requests.get(world.sandbox.authorize_url, params=params, timeout=10)
    assert page.status_code == 200
    assert "opportunities:read:admin" in page.text
    resp = requests.post(world.sandbox.authorize_url, timeout=10, allow_redirects=False,
                         data={**params, "decision": decision, "user_id": user_id or world.super_admin})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _token(sandbox, **data) -> requests.Response:
    return requests.post(sandbox.token_url, data={"client_id": "app", "client_secret": "app-secret", **data},
                         timeout=10)


def test_code_exchange_refresh_rotation_and_reuse_revokes_family(world):
    sandbox = world.sandbox
    back = _decide(world, _params(sandbox))
    assert back["state"] == "st-1"
    first = _token(sandbox, grant_type="authorization_code", code=back["code"], redirect_uri=REDIRECT)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600 and tokens["refresh_token"]
    claims = _claims(tokens["access_token"])
    assert claims["https://oauth.lever.co/accountId"] == world.account_id
    assert claims["https://oauth.lever.co/userId"] == world.super_admin

    again = _token(sandbox, grant_type="authorization_code", code=back["code"], redirect_uri=REDIRECT)
    assert again.status_code == 403 and again.json()["error"] == "invalid_grant"

    second = _token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert second["refresh_token"] != tokens["refresh_token"]
    auth = {"Authorization": f"Bearer {second['access_token']}"}
    assert requests.get(sandbox.api_url + "/opportunities", headers=auth, timeout=10).status_code == 200

    reuse = _token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert reuse.status_code == 403 and reuse.json() == {
        "error": "invalid_grant", "error_description": reuse.json()["error_description"]}
    dead = requests.get(sandbox.api_url + "/opportunities", headers=auth, timeout=10)
    assert dead.status_code == 401 and dead.json()["code"] == "UnauthorizedError"
    newest = _token(sandbox, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert newest.status_code == 403


def _claims(jwt: str) -> dict:
    import json

    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_no_refresh_token_without_offline_access(world):
    back = _decide(world, _params(world.sandbox, scope="opportunities:read:admin"))
    body = _token(world.sandbox, grant_type="authorization_code", code=back["code"],
                  redirect_uri=REDIRECT).json()
    assert "refresh_token" not in body and body["scope"] == "opportunities:read:admin"


def test_pkce_requires_matching_verifier(world):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = _params(world.sandbox, code_challenge=challenge, code_challenge_method="S256")
    code = _decide(world, params)["code"]
    wrong = _token(world.sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                   code_verifier="x" * 50)
    assert wrong.status_code == 403
    code = _decide(world, params)["code"]
    ok = _token(world.sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                code_verifier=verifier)
    assert ok.status_code == 200


def test_deny_and_non_super_admin_fail_with_access_denied(world):
    denied = _decide(world, _params(world.sandbox), decision="deny")
    assert denied["error"] == "access_denied" and denied["state"] == "st-1" and "code" not in denied
    refused = _decide(world, _params(world.sandbox), user_id=world.interviewer)
    assert refused["error"] == "access_denied" and "Super Admin" in refused["error_description"]


def test_unregistered_redirect_and_bad_audience_get_an_error_page(world):
    for bad in ({"redirect_uri": "http://evil.example/cb"}, {"client_id": "nope"},
                {"audience": "https://api.lever.co/v1/"}, {"state": ""}):
        resp = requests.get(world.sandbox.authorize_url, params=_params(world.sandbox, **bad), timeout=10,
                            allow_redirects=False)
        assert resp.status_code == 400
        assert "Location" not in resp.headers


def test_revoke_app_kills_tokens(world):
    session = world.api()
    assert session.get(world.sandbox.api_url + "/stages", timeout=10).status_code == 200
    world.sandbox.admin("POST", "/_admin/revoke", {"client_id": "app", "account_id": world.account_id})
    resp = session.get(world.sandbox.api_url + "/stages", timeout=10)
    assert resp.status_code == 401 and resp.json()["code"] == "UnauthorizedError"


def test_expired_access_token_is_refused(world):
    token = world.sandbox.mint_token(client_id="app", account_id=world.account_id, scopes=["stages:read:admin"],
                                     ttl=1)
    import time

    time.sleep(1.1)
    resp = requests.get(world.sandbox.api_url + "/stages", timeout=10,
                        headers={"Authorization": f"Bearer {token['access_token']}"})
    assert resp.status_code == 401


NEW_SCOPES = "applications:read:admin confidential:access:admin archive_reasons:read:admin"


def test_consent_offers_new_scopes_and_grants_only_the_ticked_ones(world):
    params = _params(world.sandbox, scope=f"offline_access opportunities:read:admin {NEW_SCOPES}")
    page = requests.get(world.sandbox.authorize_url, params=params, timeout=10)
    assert page.status_code == 200
    for scope in NEW_SCOPES.split():
        assert f'name="granted" value="{scope}" checked' in page.text
    ticked = ["opportunities:read:admin", "archive_reasons:read:admin"]
    resp = requests.post(world.sandbox.authorize_url, timeout=10, allow_redirects=False,
                         data={**params, "decision": "accept", "user_id": world.super_admin, "scope_choice": "1",
                               "granted": ticked})
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    body = _token(world.sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert body["scope"] == "opportunities:read:admin archive_reasons:read:admin"
    assert "refresh_token" not in body  # offline_access was unticked
    assert _claims(body["access_token"])["scope"] == body["scope"]


def test_consent_without_any_ticked_scope_is_refused(world):
    params = _params(world.sandbox)
    resp = requests.post(world.sandbox.authorize_url, timeout=10, allow_redirects=False,
                         data={**params, "decision": "accept", "user_id": world.super_admin, "scope_choice": "1"})
    assert resp.status_code == 400 and "Location" not in resp.headers and "Tick at least one scope" in resp.text


def test_tokens_can_be_minted_with_the_new_scopes(world):
    token = world.sandbox.mint_token(client_id="app", account_id=world.account_id, scopes=NEW_SCOPES.split())
    assert token["scope"] == NEW_SCOPES
    unknown = world.sandbox.admin("POST", "/_admin/tokens", {"client_id": "app", "scopes": ["nope:read:admin"]},
                                  expect=400)
    assert "known scopes" in unknown["message"]
