"""Lever's OAuth endpoints: the consent page (`/authorize`) and the token endpoint."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request

from . import tokens
from .domain import owner_of
from .settings import get_config
from .util import sandbox

bp = Blueprint("oauth", __name__)

AUTH_PARAMS = ("client_id", "redirect_uri", "response_type", "state", "scope", "audience",
               "code_challenge", "code_challenge_method", "prompt")
LOOPBACK = ("127.0.0.1", "localhost")


def redirect_allowed(registered: list[str], uri: str) -> bool:
    """Exact match, or a loopback URI that differs only in its port (RFC 8252)."""
    if uri in registered:
        return True
    try:
        asked = urlsplit(uri)
        asked.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return False
    for reg in map(urlsplit, registered):
        if (reg.hostname in LOOPBACK and asked.hostname == reg.hostname and asked.scheme == reg.scheme
                and asked.path == reg.path and asked.query == reg.query):
            return True
    return False


def _error_page(message: str, status: int = 400):
    return render_template("error.html", message=message), status


def _validate(args) -> tuple[dict | None, str | None]:
    """Check an authorization request; returns (params, error message)."""
    store = sandbox().store
    client = store.get("clients", args.get("client_id") or "")
    if not client:
        return None, "Unknown client_id."
    if not redirect_allowed(client["redirect_uris"], args.get("redirect_uri") or ""):
        return None, "redirect_uri is not registered for this client."
    if args.get("response_type") != "code":
        return None, "response_type must be code."
    if not args.get("state"):
        return None, "state is required."
    if args.get("audience") != request.url_root + "v1/":
        return None, f"audience must be {request.url_root}v1/"
    scopes = (args.get("scope") or "").split()
    unknown = [s for s in scopes if s not in tokens.SCOPES]
    if not scopes or unknown:
        return None, f"Unknown or missing scopes: {' '.join(unknown) or '(none)'}"
    if args.get("code_challenge") and args.get("code_challenge_method", "plain") != "S256":
        return None, "code_challenge_method must be S256."
    return {k: args.get(k, "") for k in AUTH_PARAMS}, None


def _back(params: dict, **query) -> str:
    sep = "&" if "?" in params["redirect_uri"] else "?"
    return params["redirect_uri"] + sep + urlencode({**query, "state": params["state"]})


@bp.get("/authorize")
def authorize():
    """The consent page: scopes asked, which sandbox user you are, Accept or Deny."""
    params, error = _validate(request.args)
    if error:
        return _error_page(error)
    store = sandbox().store
    accounts = {a["id"]: a for a in store.list("accounts")}
    users = [(accounts[aid], u) for aid in accounts for u in store.list("users", aid)]
    return render_template("authorize.html", params=params, scopes=params["scope"].split(), users=users)


def _granted(requested: list[str], form) -> list[str]:
    """The scopes granted: those ticked on the consent page, or all requested when posted without it."""
    if not form.get("scope_choice"):
        return requested
    ticked = set(form.getlist("granted"))
    return [s for s in requested if s in ticked]


@bp.post("/authorize")
def authorize_decision():
    """Accept or Deny; only a Super Admin may complete the consent."""
    params, error = _validate(request.form)
    if error:
        return _error_page(error)
    if request.form.get("decision") != "accept":
        return redirect(_back(params, error="access_denied", error_description="The user denied access."))
    store = sandbox().store
    user_id = request.form.get("user_id", "")
    user = store.get("users", user_id)
    if not user:
        return _error_page("Choose a sandbox user.")
    if user["accessRole"] != "super admin":
        return redirect(_back(params, error="access_denied",
                              error_description="Only a Lever Super Admin may authorize this application."))
    scopes = _granted(params["scope"].split(), request.form)
    if not scopes:
        return _error_page("Tick at least one scope to grant, or Deny.")
    grant = {"client_id": params["client_id"], "redirect_uri": params["redirect_uri"], "user_id": user_id,
             "account_id": owner_of(store, "users", user_id), "scopes": scopes,
             "code_challenge": params["code_challenge"] or None}
    code = tokens.save_code(store, grant, get_config(store)["code_ttl"])
    return redirect(_back(params, code=code))


def _token_error(exc: tokens.OAuthError):
    resp = jsonify({"error": exc.error, "error_description": exc.description})
    resp.status_code = exc.status
    return resp


@bp.post("/oauth/token")
def token():
    """authorization_code and refresh_token grants (form-encoded or JSON)."""
    raw = request.get_json(silent=True) if request.is_json else request.form
    raw = raw if hasattr(raw, "get") else {}
    form = {k: raw.get(k) for k in ("client_id", "client_secret", "grant_type", "code", "redirect_uri",
                                    "code_verifier", "refresh_token") if isinstance(raw.get(k), str)}
    store = sandbox().store
    ttl = get_config(store)["access_token_ttl"]
    try:
        basic = request.authorization
        client_id = form.get("client_id") or (basic.username if basic else None)
        secret = form.get("client_secret") or (basic.password if basic else None)
        client = store.get("clients", client_id) if isinstance(client_id, str) else None
        if not client or client["client_secret"] != secret:
            raise tokens.OAuthError(401, "access_denied", "Unauthorized: invalid client credentials.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = tokens.redeem_code(store, client["id"], form.get("code"), form.get("redirect_uri"),
                                       form.get("code_verifier"))
            body = tokens.issue(store, client_id=client["id"], account_id=grant["account_id"],
                                user_id=grant["user_id"], scopes=grant["scopes"], ttl=ttl)
        elif grant_type == "refresh_token":
            body = tokens.rotate(store, client["id"], form.get("refresh_token"), ttl)
        else:
            raise tokens.OAuthError(400, "unsupported_grant_type", "grant_type is not supported.")
    except tokens.OAuthError as exc:
        return _token_error(exc)
    return jsonify(body)
