"""OAuth tokens: HS256 JWT access tokens, rotating refresh tokens grouped in families, codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from .store import Store
from .util import ApiError, new_id

CLAIM_ACCOUNT = "https://oauth.lever.co/accountId"
CLAIM_USER = "https://oauth.lever.co/userId"
SCOPES = (
    "offline_access", "opportunities:read:admin", "opportunities:write:admin", "postings:read:admin",
    "postings:write:admin", "stages:read:admin", "tags:read:admin", "users:read:admin",
    "feedback:read:admin", "feedback:write:admin", "feedback_templates:read:admin",
    "feedback_templates:write:admin", "notes:read:admin", "notes:write:admin", "webhooks:read:admin",
    "webhooks:write:admin", "contact:read:admin", "contact:write:admin", "applications:read:admin",
    "confidential:access:admin", "archive_reasons:read:admin",
)


class OAuthError(Exception):
    """A token-endpoint refusal: `{"error", "error_description"}` with an HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_secret(store: Store) -> bytes:
    """The sandbox's own HS256 key (created once per data file)."""
    with store.lock:
        doc = store.get("settings", "secret")
        if not doc:
            doc = store.put("settings", {"id": "secret", "value": secrets.token_hex(32)})
    return doc["value"].encode()


def encode_jwt(store: Store, claims: dict) -> str:
    """Sign claims as an HS256 JWT."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(signing_secret(store), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "UnauthorizedError", message)


def decode_access(store: Store, token: str) -> dict:
    """Verify an access token (signature, expiry, family not revoked) and return its claims."""
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(signing_secret(store), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(sig), expected):
            raise ValueError("bad signature")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise _unauthorized("Invalid access token") from exc
    if not isinstance(claims, dict) or claims.get("exp", 0) <= time.time():
        raise _unauthorized("Access token expired")
    family = store.get("families", claims.get("fam", ""))
    if not family or family["revoked"]:
        raise _unauthorized("Access token revoked")
    return claims


def issue(store: Store, *, client_id: str, account_id: str, user_id: str, scopes: list[str], ttl: int,
          family_id: str | None = None) -> dict:
    """New tokens for a grant (a new family unless continuing one); the token endpoint's JSON."""
    if family_id is None:
        family_id = new_id()
        store.put("families", {"id": family_id, "client_id": client_id, "account_id": account_id,
                               "revoked": False}, account_id)
    now = int(time.time())
    claims = {"iss": "lever-sandbox", "sub": user_id, "aud": "lever-sandbox-api", "azp": client_id,
              CLAIM_ACCOUNT: account_id, CLAIM_USER: user_id, "scope": " ".join(scopes),
              "iat": now, "exp": now + ttl, "jti": new_id(), "fam": family_id}
    out = {"access_token": encode_jwt(store, claims), "token_type": "Bearer", "scope": " ".join(scopes),
           "expires_in": ttl}
    if "offline_access" in scopes:
        refresh = secrets.token_urlsafe(32)
        store.put("refresh", {"id": _digest(refresh), "family": family_id, "client_id": client_id,
                              "account_id": account_id, "user_id": user_id, "scopes": scopes, "used": False},
                  account_id)
        out["refresh_token"] = refresh
    return out


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_family(store: Store, family_id: str) -> None:
    """Kill every access and refresh token of a family."""
    with store.lock:
        family = store.get("families", family_id)
        if family:
            family["revoked"] = True
            store.put("families", family, family["account_id"])


def rotate(store: Store, client_id: str, refresh_token: str, ttl: int) -> dict:
    """Exchange a refresh token for new tokens; reusing an old one revokes its whole family."""
    with store.lock:
        record = store.get("refresh", _digest(refresh_token or ""))
        if not record or record["client_id"] != client_id:
            raise OAuthError(403, "invalid_grant", "Unknown or invalid refresh token.")
        family = store.get("families", record["family"])
        if record["used"]:
            revoke_family(store, record["family"])
            raise OAuthError(403, "invalid_grant", "Refresh token reused: the token family is revoked.")
        if not family or family["revoked"]:
            raise OAuthError(403, "invalid_grant", "Refresh token revoked.")
        record["used"] = True
        store.put("refresh", record, record["account_id"])
        return issue(store, client_id=client_id, account_id=record["account_id"], user_id=record["user_id"],
                     scopes=record["scopes"], ttl=ttl, family_id=record["family"])


def revoke_client(store: Store, client_id: str, account_id: str | None) -> int:
    """Revoke every token family of a client (in one account, or all); returns how many."""
    count = 0
    with store.lock:
        for family in store.list("families", account_id):
            if family["client_id"] == client_id and not family["revoked"]:
                revoke_family(store, family["id"])
                count += 1
    return count


def save_code(store: Store, grant: dict, ttl: int) -> str:
    """Store an authorization code for a consented grant."""
    code = secrets.token_urlsafe(24)
    store.put("codes", {**grant, "id": _digest(code), "exp": time.time() + ttl, "used": False},
              grant["account_id"])
    return code


def redeem_code(store: Store, client_id: str, code: str, redirect_uri: str, verifier: str | None) -> dict:
    """Check and consume an authorization code (single use, short-lived, same redirect_uri, PKCE)."""
    with store.lock:
        grant = store.get("codes", _digest(code or ""))
        if not grant or grant["client_id"] != client_id:
            raise OAuthError(403, "invalid_grant", "Invalid authorization code.")
        if grant["used"] or grant["exp"] < time.time():
            raise OAuthError(403, "invalid_grant", "Authorization code expired or already used.")
        grant["used"] = True
        store.put("codes", grant, grant["account_id"])
    if grant["redirect_uri"] != redirect_uri:
        raise OAuthError(403, "invalid_grant", "redirect_uri does not match the authorization request.")
    if grant.get("code_challenge"):
        if not isinstance(verifier, str) or not verifier:
            raise OAuthError(403, "invalid_grant", "code_verifier is required.")
        computed = _b64(hashlib.sha256(verifier.encode()).digest())
        if not hmac.compare_digest(computed, grant["code_challenge"]):
            raise OAuthError(403, "invalid_grant", "code_verifier does not match the code_challenge.")
    return grant
