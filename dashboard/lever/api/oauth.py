"""Lever's OAuth 2.0 endpoints: the consent URL, code exchange and refresh-token rotation.

A refresh token is single-use (Lever rotates it on every refresh), so a refresh whose answer
is lost is never repeated here: it raises LeverOutcomeUnknownError and the caller decides.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

import requests

from dashboard.lever.api.environments import LeverEnvironment
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverError,
    LeverNetworkError,
    LeverOutcomeUnknownError,
    LeverRateLimitedError,
    LeverServerError,
    request_never_sent,
)

log = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "offline_access", "opportunities:read:admin", "opportunities:write:admin", "postings:read:admin",
    "stages:read:admin", "tags:read:admin", "users:read:admin", "feedback:write:admin",
    "feedback_templates:write:admin", "notes:write:admin", "webhooks:write:admin",
)

ACCOUNT_ID_CLAIM = "https://oauth.lever.co/accountId"
USER_ID_CLAIM = "https://oauth.lever.co/userId"


def new_pkce_pair() -> tuple[str, str]:
    """A fresh PKCE (code_verifier, S256 code_challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_claims(access_token: str) -> dict:
    """The claims of a JWT access token, decoded WITHOUT verifying the signature.

    Lever's signing keys are not public; the token comes straight from Lever's token endpoint
    over TLS, and the claims are only used to identify the connected account.
    """
    parts = str(access_token).split(".")
    if len(parts) != 3:
        raise LeverAuthError("The access token is not a JWT", code="invalid_token")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise LeverAuthError("The access token's claims are unreadable", code="invalid_token") from exc
    if not isinstance(claims, dict):
        raise LeverAuthError("The access token's claims are unreadable", code="invalid_token")
    return claims


class LeverOAuth:
    """The OAuth client of this product for one Lever environment."""

    def __init__(self, env: LeverEnvironment, client_id: str, client_secret: str, *,
                 timeout: float | tuple[float, float] = (3.05, 20), session: requests.Session | None = None,
                 connect_retries: int = 2) -> None:
        self.env = env
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.session = session or requests.Session()
        self.connect_retries = connect_retries

    def authorization_url(self, *, redirect_uri: str, state: str, scopes: Iterable[str] = DEFAULT_SCOPES,
                          code_challenge: str | None = None) -> str:
        """The consent URL to send a Lever Super Admin to."""
        params = {
            "client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code",
            "state": state, "scope": " ".join(scopes), "audience": self.env.audience, "prompt": "consent",
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.env.authorize_url}?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> dict:
        """Trade an authorization code for tokens (the token endpoint's JSON)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token_request(form)

    def refresh(self, refresh_token: str) -> dict:
        """Use a refresh token; the answer carries a NEW refresh token that replaces it."""
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    token_claims = staticmethod(token_claims)

    def _token_request(self, form: dict) -> dict:
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        grant = form["grant_type"]
        path = urlsplit(self.env.token_url).path
        attempt = 0
        while True:
            started = time.monotonic()
            status = None
            try:
                response = self.session.post(self.env.token_url, data=form, timeout=self.timeout,
                                             headers={"Accept": "application/json"})
                status = response.status_code
            except requests.RequestException as exc:
                if not request_never_sent(exc):
                    raise LeverOutcomeUnknownError(f"The {grant} answer was lost ({type(exc).__name__})",
                                                   code="outcome_unknown") from None
                if attempt >= self.connect_retries:
                    raise LeverNetworkError(f"Lever's token endpoint is unreachable ({type(exc).__name__})",
                                            code="network") from None
                attempt += 1
                time.sleep(0.2 * attempt)
                continue
            finally:
                log.info("lever oauth POST %s (%s) -> %s in %.3fs", path, grant, status or "no answer",
                         time.monotonic() - started)
            return self._parse(response, grant)

    @staticmethod
    def _parse(response: requests.Response, grant: str) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if 200 <= status < 300:
            if not isinstance(body, dict) or not body.get("access_token"):
                raise LeverAuthError(f"The {grant} answer holds no access token", status=status,
                                     code="invalid_response")
            return body
        code = body.get("error") if isinstance(body, dict) else None
        message = (body.get("error_description") or body.get("message")) if isinstance(body, dict) else None
        message = str(message or f"Lever's token endpoint answered HTTP {status}")
        if status == 429:
            raise LeverRateLimitedError(message, code=code or "rate_limited")
        if status >= 500:
            raise LeverServerError(message, status=status, code=code or "server_error")
        if status in (400, 401, 403):
            raise LeverAuthError(message, status=status, code=str(code or "invalid_request"))
        raise LeverError(message, status=status, code=str(code) if code else None)
