"""Lever's OAuth 2.0 endpoints through Authlib: the consent URL with PKCE, the code exchange and
refresh-token rotation.

Authlib builds the requests; this module adds what Lever needs on top: `audience` and
`prompt=consent` on the consent URL, client credentials in the form body, Lever's error answers
mapped onto the one `LeverError` family, and no blind repeat of a token request whose answer was lost
(a refresh token is single-use: it raises LeverOutcomeUnknownError and the caller decides).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from dashboard.lever.api.environments import LeverEnvironment
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverError,
    LeverNetworkError,
    LeverOutcomeUnknownError,
    error_for_status,
    request_never_sent,
)
from dashboard.lever.api.pacing import backoff_delay

log = logging.getLogger(__name__)

APPLICATIONS_SCOPE = "applications:read:admin"
CONFIDENTIAL_SCOPE = "confidential:access:admin"
ARCHIVE_REASONS_SCOPE = "archive_reasons:read:admin"

# Scopes the integration cannot work without: a connection that lacks one is refused.
REQUIRED_SCOPES = (
    "offline_access", "opportunities:read:admin", "opportunities:write:admin", "postings:read:admin",
    "stages:read:admin", "users:read:admin", "feedback:write:admin", "feedback_templates:write:admin",
    "webhooks:write:admin",
)
# Scopes of single features: without one the connection works and says which feature is affected.
OPTIONAL_SCOPES = (APPLICATIONS_SCOPE, CONFIDENTIAL_SCOPE, ARCHIVE_REASONS_SCOPE)
# Every scope a feature uses, requested on every consent (the README and docs/lever-contract.md say why).
DEFAULT_SCOPES = REQUIRED_SCOPES + OPTIONAL_SCOPES

ACCOUNT_ID_CLAIM = "https://oauth.lever.co/accountId"
USER_ID_CLAIM = "https://oauth.lever.co/userId"


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what the callback must find in the session."""

    url: str
    state: str
    code_verifier: str


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


def _refuse_errors(response: requests.Response) -> requests.Response:
    """Authlib compliance hook: a non-2xx answer becomes the matching LeverError (status kept)."""
    if 200 <= response.status_code < 300:
        return response
    try:
        body = response.json()
    except ValueError:
        body = response.text
    error = error_for_status(response.status_code, body)
    if response.status_code in (400, 401, 403):  # a refused grant: the connection needs a person
        raise LeverAuthError(error.message, status=error.status, code=error.code or "invalid_request")
    raise error


class LeverOAuth:
    """The OAuth client of this product for one Lever environment."""

    def __init__(self, env: LeverEnvironment, client_id: str, client_secret: str, *,
                 timeout: float | tuple[float, float] = (3.05, 20), connect_retries: int = 2) -> None:
        self.env = env
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.connect_retries = connect_retries

    def _session(self, **kwargs) -> OAuth2Session:
        session = OAuth2Session(self.client_id, self.client_secret, token_endpoint_auth_method="client_secret_post",
                                code_challenge_method="S256", **kwargs)
        session.register_compliance_hook("access_token_response", _refuse_errors)
        session.register_compliance_hook("refresh_token_response", _refuse_errors)
        return session

    def authorize(self, redirect_uri: str, scopes: Iterable[str] = DEFAULT_SCOPES) -> AuthorizationRequest:
        """A fresh consent URL with a random single-use state and a PKCE S256 challenge."""
        state, verifier = generate_token(40), generate_token(64)
        with self._session(scope=" ".join(scopes), redirect_uri=redirect_uri) as session:
            url, _ = session.create_authorization_url(self.env.authorize_url, state=state, code_verifier=verifier,
                                                      audience=self.env.audience, prompt="consent")
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> dict:
        """Trade an authorization code for tokens (the token endpoint's JSON)."""
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        return self._token_call("authorization_code", lambda s: s.fetch_token(
            self.env.token_url, grant_type="authorization_code", code=code, redirect_uri=redirect_uri,
            timeout=self.timeout, **extra))

    def refresh(self, refresh_token: str) -> dict:
        """Use a refresh token; the answer carries a NEW refresh token that replaces it."""
        return self._token_call("refresh_token", lambda s: s.refresh_token(
            self.env.token_url, refresh_token=refresh_token, timeout=self.timeout))

    token_claims = staticmethod(token_claims)

    def _token_call(self, grant: str, call) -> dict:
        path = urlsplit(self.env.token_url).path
        attempt = 0
        while True:
            started = time.monotonic()
            outcome = "no answer"
            try:
                with self._session() as session:
                    token = dict(call(session))
                outcome = "ok"
            except requests.RequestException as exc:
                if not request_never_sent(exc):
                    raise LeverOutcomeUnknownError(f"The {grant} answer was lost ({type(exc).__name__})",
                                                   code="outcome_unknown") from None
                if attempt >= self.connect_retries:
                    raise LeverNetworkError(f"Lever's token endpoint is unreachable ({type(exc).__name__})",
                                            code="network") from None
                time.sleep(backoff_delay(attempt))
                attempt += 1
                continue
            except LeverError as exc:
                outcome = str(exc.status or exc.code)
                raise
            except (ValueError, OAuthError) as exc:  # a success answer that is not a token
                raise LeverAuthError(f"The {grant} answer is unreadable", code="invalid_response") from exc
            finally:
                log.info("lever oauth POST %s (%s) -> %s in %.3fs", path, grant, outcome, time.monotonic() - started)
            if not token.get("access_token"):
                raise LeverAuthError(f"The {grant} answer holds no access token", code="invalid_response")
            return token
