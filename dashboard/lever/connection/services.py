"""Connecting an organisation to Lever: authorization, webhooks, settings, disconnecting.

Services take explicit arguments, flush and never commit. Lever is reached only through
`LeverOAuth` (token endpoint) and `LeverClient` (Data API) objects passed in by the caller.
Refusals raise `ConnectError` with a message meant for the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import inspect, select

from dashboard.accounts.models import Organisation
from dashboard.core.boundary import DomainError
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverError, LeverNotFoundError, LeverOutcomeUnknownError
from dashboard.lever.api.oauth import ACCOUNT_ID_CLAIM, USER_ID_CLAIM
from dashboard.lever.connection import crypto, scopes, webhook_keys
from dashboard.lever.connection.models import (
    EVENT_LABELS,
    WEBHOOK_EVENTS,
    LeverConnection,
    LeverConnectionEvent,
    LeverWebhook,
)

CALLBACK_PATH = "/settings/integrations/lever/callback"
WEBHOOK_PATH = "/webhooks/lever/"


class ConnectError(DomainError):
    """A refusal while connecting or configuring Lever; the message is shown to the user."""


def callback_url(config: Mapping) -> str:
    """The OAuth redirect URI: always from PUBLIC_BASE_URL, never from the request's Host."""
    return str(config["PUBLIC_BASE_URL"]).rstrip("/") + CALLBACK_PATH


def webhook_url(config: Mapping, connection: LeverConnection) -> str:
    """The URL Lever delivers this connection's webhooks to."""
    return str(config["PUBLIC_BASE_URL"]).rstrip("/") + WEBHOOK_PATH + connection.public_id


def get_connection(organisation_id: int) -> LeverConnection | None:
    """The organisation's Lever connection row (any status), or None if it never connected.

    Within a request the row is remembered, so that the page, its partials and the layout's banner use
    it instead of querying again (a row expired by a commit is re-read by its key; a row deleted or
    detached since is looked up again)."""
    known = request.environ.setdefault(_REQUEST_KEY, {}) if has_request_context() else None
    conn = known.get(organisation_id) if known else None
    if conn is not None and conn in db.session and not inspect(conn).deleted:
        return conn
    conn = db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == organisation_id))
    if known is not None:
        known.pop(organisation_id, None)
        if conn is not None:
            known[organisation_id] = conn
    return conn


_REQUEST_KEY = "dashboard.lever_connections"


_UNREAD = object()
_LAYOUT_KEY = "dashboard.layout"  # in the request's environ: per request even when tests share an app context


def layout_connection(organisation_id: int) -> LeverConnection | None:
    """The connection as the page layout shows it (banners): read once per request."""
    held = request.environ.get(_LAYOUT_KEY, {}) if has_request_context() else {}
    if held.get("organisation_id") != organisation_id:
        held = {"organisation_id": organisation_id, "connection": get_connection(organisation_id)}
        if has_request_context():
            request.environ[_LAYOUT_KEY] = held
    return held["connection"]


def read_layout(organisation_id: int) -> None:
    """Read the organisation (the header names it) and its connection (the banners) in one query, ahead
    of the layout: both are held for the rest of the request (the session's identity map keeps objects
    only weakly, and the organisation is then found there instead of being read again)."""
    row = db.session.execute(select(Organisation, LeverConnection).outerjoin(
        LeverConnection, LeverConnection.organisation_id == Organisation.id).where(
        Organisation.id == organisation_id)).first()
    if row is not None and has_request_context():
        request.environ[_LAYOUT_KEY] = {"organisation_id": organisation_id, "organisation": row[0],
                                        "connection": row[1]}
        if row[1] is not None:  # the page's own get_connection() finds it too
            request.environ.setdefault(_REQUEST_KEY, {})[organisation_id] = row[1]


def _record(conn: LeverConnection, kind: str, detail: str = "", user_id: int | None = None) -> None:
    db.session.add(LeverConnectionEvent(connection_id=conn.id, kind=kind, detail=detail, user_id=user_id))


def complete_authorization(organisation_id: int, user_id: int, *, code: str, redirect_uri: str,
                           code_verifier: str | None, oauth, lever_env: str) -> LeverConnection:
    """Exchange the code, check account and scopes, and store the connection (tokens encrypted)."""
    try:
        answer = oauth.exchange_code(code, redirect_uri, code_verifier=code_verifier)
    except LeverError as exc:
        raise ConnectError(f"Lever did not accept the authorization ({exc.message}). "
                           "Nothing was changed; please try again.") from exc
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not access:
        raise ConnectError("Lever's answer contained no access token. Nothing was changed.")
    try:
        claims = oauth.token_claims(access)
    except (LeverError, ValueError) as exc:
        raise ConnectError("Lever's access token could not be read. Nothing was changed.") from exc
    account_id = claims.get(ACCOUNT_ID_CLAIM)
    if not account_id:
        raise ConnectError("Lever's access token does not name a Lever account. Nothing was changed.")
    granted = str(answer.get("scope") or claims.get("scope") or "").split()
    missing = scopes.missing_required(granted)  # optional ones only switch their feature off
    if missing:
        raise ConnectError("Lever granted fewer permissions than needed (missing: "
                           + ", ".join(missing) + "). Nothing was changed.")
    if not refresh:
        raise ConnectError("Lever gave no refresh token (offline access). Nothing was changed.")
    taken = db.session.scalar(select(LeverConnection).where(
        LeverConnection.lever_account_id == str(account_id),
        LeverConnection.organisation_id != organisation_id,
        LeverConnection.status.in_(("connected", "reconnect_needed")),
    ))
    if taken is not None:
        raise ConnectError("This Lever account is already connected to another organisation. "
                           "Disconnect it there first. Nothing was changed.")
    conn = get_connection(organisation_id)
    kind = "reconnected" if conn is not None else "connected"
    switched = False
    if conn is None:

        conn = LeverConnection(organisation_id=organisation_id,
                               reuse_days=int(current_app.config.get("RESULT_REUSE_DAYS", 180)),
                               tag_brand=current_app.config.get("TAG_BRAND", "Alooba"))
        db.session.add(conn)
        db.session.flush()
    elif conn.lever_account_id and conn.lever_account_id != str(account_id):
        switched = True
        for hook in list(conn.webhooks):  # they belong to the other Lever account
            db.session.delete(hook)
        conn.lever_users = None
        conn.perform_as_user_id = conn.perform_as_user_name = None
    now = utcnow()
    # Reconnecting the same account while (paused but) connected keeps the original start, so work
    # that arrived during the pause is not mistaken for candidates from before the integration.
    resumed = (conn.status in ("connected", "reconnect_needed") and conn.connected_at is not None
               and conn.lever_account_id == str(account_id))
    conn.status, conn.status_reason = "connected", None
    conn.stage_changes_refused = None  # a new consent: Lever is asked again
    conn.lever_account_id, conn.lever_env, conn.scopes = str(account_id), lever_env, " ".join(granted)
    conn.lever_user_id = str(claims.get(USER_ID_CLAIM) or "") or None
    conn.access_token_enc = crypto.encrypt(access)
    conn.refresh_token_enc = crypto.encrypt(refresh)
    conn.expires_at = now + timedelta(seconds=int(answer.get("expires_in") or 3600))
    conn.connected_by_id, conn.last_refresh_at = user_id, now
    conn.connected_at = conn.connected_at if resumed else now
    lacking = scopes.missing_features(conn)
    notes = ["another Lever account than before"] if switched else []
    if lacking:
        notes.append("without " + ", ".join(f"{f.scope} ({f.name.lower()})" for f in lacking))
    detail = "; ".join(notes)
    _record(conn, kind, detail, user_id)
    db.session.flush()
    return conn


def set_up_webhooks(conn: LeverConnection, client, url: str) -> list[str]:
    """Create (or keep) one API webhook per event at `url`; returns the failures (also on the card).

    A webhook at the same URL and event whose token we hold is kept; others are deleted and
    created again, because Lever shows a signature token only when the webhook is created.
    """
    webhook_keys.forget(conn.public_id)
    failures: list[str] = []
    try:
        existing = [w for w in client.list_webhooks() if w.get("url") == url]
    except LeverError as exc:
        conn.webhook_error = f"Could not list Lever's webhooks: {exc.message}"
        db.session.flush()
        return [conn.webhook_error]
    ours = {h.event: h for h in conn.webhooks if h.source == "api"}
    for event in WEBHOOK_EVENTS:
        row = ours.get(event)
        same = [w for w in existing if w.get("event") == event]
        if row is not None and row.url == url and row.lever_webhook_id in {w.get("id") for w in same}:
            stale = [w for w in same if w.get("id") != row.lever_webhook_id]
        else:
            stale = same
            if row is not None:
                db.session.delete(row)
                row = None
        for hook in stale:
            try:
                client.delete_webhook(hook["id"])
            except LeverNotFoundError:
                pass
            except LeverError as exc:
                failures.append(f"{EVENT_LABELS[event]}: could not remove a duplicate ({exc.message})")
        if row is not None:
            continue
        try:
            created, token = _create_webhook(client, url, event)
        except LeverError as exc:
            failures.append(f"{EVENT_LABELS[event]}: {exc.message}")
            continue
        db.session.add(LeverWebhook(connection_id=conn.id, event=event, lever_webhook_id=created.get("id"),
                                    url=url, signature_token_enc=crypto.encrypt(token), source="api"))
        db.session.flush()
    conn.webhook_error = "; ".join(failures) or None
    db.session.flush()
    return failures


def _create_webhook(client, url: str, event: str) -> tuple[dict, str]:
    """Create one webhook and read its signature token (shown only in this answer).

    When the answer is lost or unreadable, Lever may have created the webhook with a token we never
    saw: such a webhook is useless, so it is looked for and removed before the webhook is created once
    more (a second lost answer is reported; the next set-up removes what it left). A webhook Lever
    created without a readable token is removed too, so none is left behind."""
    try:
        created = client.create_webhook(url, event)
    except LeverOutcomeUnknownError:
        for hook in client.list_webhooks():
            if hook.get("url") == url and hook.get("event") == event and hook.get("id"):
                client.delete_webhook(hook["id"])
        created = client.create_webhook(url, event)
    token = (created.get("configuration") or {}).get("signatureToken")
    if not token:
        client.delete_webhook(created["id"])
        raise LeverError("Lever returned no signature token", code="no_token")
    return created, token


def disconnect(conn: LeverConnection, user_id: int, client) -> list[str]:
    """Delete our webhooks in Lever (best effort), drop every secret, mark disconnected.

    `client` may be None when Lever cannot be reached with this connection any more.
    Returns the webhooks that could not be removed in Lever.
    """
    webhook_keys.forget(conn.public_id)
    failures: list[str] = []
    for hook in list(conn.webhooks):
        if hook.source == "api" and hook.lever_webhook_id:
            if client is None:
                failures.append(f"{EVENT_LABELS.get(hook.event, hook.event)} (id {hook.lever_webhook_id})")
            else:
                try:
                    client.delete_webhook(hook.lever_webhook_id)
                except LeverNotFoundError:
                    pass
                except LeverError as exc:
                    failures.append(f"{EVENT_LABELS.get(hook.event, hook.event)} "
                                    f"(id {hook.lever_webhook_id}): {exc.message}")
        db.session.delete(hook)
    conn.status, conn.disconnected_at = "disconnected", utcnow()
    conn.access_token_enc = conn.refresh_token_enc = None
    conn.expires_at = None
    conn.webhook_error = None
    conn.status_reason = None
    if failures:
        conn.status_reason = "Some webhooks could not be removed in Lever: " + "; ".join(failures)
    _record(conn, "disconnected", conn.status_reason or "", user_id)
    db.session.flush()
    return failures


def refresh_lever_users(conn: LeverConnection, client) -> list[dict]:
    """Fetch Lever's active users into the connection's cache; default the perform-as user."""
    users = []
    for user in client.list_users():
        if user.get("deactivatedAt"):
            continue
        users.append({"id": str(user.get("id")), "name": str(user.get("name") or user.get("email") or ""),
                      "email": str(user.get("email") or ""), "accessRole": str(user.get("accessRole") or "")})
    conn.lever_users, conn.lever_users_fetched_at = users, utcnow()
    ids = {u["id"] for u in users}
    if conn.perform_as_user_id not in ids:
        chosen = default_perform_as(users)
        conn.perform_as_user_id = chosen["id"] if chosen else None
        conn.perform_as_user_name = chosen["name"] if chosen else None
    db.session.flush()
    return users


def default_perform_as(users: list[dict]) -> dict | None:
    """The first Super Admin among `users` (None when there is none)."""
    return next((u for u in users if u.get("accessRole", "").lower() == "super admin"), None)


# What a change of tag prefix would unlink: the job titles it would leave unlinked. The sync layer knows
# how tags resolve; the application factory registers its function here (`register_prefix_impact`).
PREFIX_IMPACT: dict[str, Callable[[LeverConnection, str], list[str]]] = {}


def register_prefix_impact(impact: Callable[[LeverConnection, str], list[str]]) -> None:
    """Let the settings form ask which linked jobs a new tag prefix would unlink."""
    PREFIX_IMPACT["impact"] = impact


def prefix_change_impact(conn: LeverConnection, tag_brand: str) -> list[str]:
    """Titles of the linked jobs that `tag_brand` as the prefix would unlink (none when unchanged)."""
    brand = (tag_brand or "").strip()
    if not brand or brand == (conn.tag_brand or "Alooba") or "impact" not in PREFIX_IMPACT:
        return []
    return PREFIX_IMPACT["impact"](conn, brand)


def update_settings(conn: LeverConnection, user_id: int, *, perform_as_user_id: str, reuse_days: int,
                    tag_brand: str) -> LeverConnection:
    """Validate and store the integration settings."""
    chosen = next((u for u in conn.lever_users or [] if u["id"] == perform_as_user_id), None)
    if chosen is None:
        raise ConnectError("Choose the Lever user that feedback is posted as from the list.")
    if not isinstance(reuse_days, int) or not 1 <= reuse_days <= 3650:
        raise ConnectError("The reuse window must be between 1 and 3650 days.")
    brand = (tag_brand or "").strip()
    if not brand or len(brand) > 40:
        raise ConnectError("The tag prefix must be 1 to 40 characters.")
    conn.perform_as_user_id, conn.perform_as_user_name = chosen["id"], chosen["name"]
    conn.reuse_days, conn.tag_brand = reuse_days, brand
    detail = f"perform as {chosen['name']}, reuse {reuse_days} days, prefix {brand}"
    _record(conn, "settings", detail, user_id)
    db.session.flush()
    return conn


def add_pasted_webhook(conn: LeverConnection, *, event: str, token: str, url: str) -> LeverWebhook:
    """Store the signature token of a webhook an admin created in Lever's own settings."""
    webhook_keys.forget(conn.public_id)
    if event not in WEBHOOK_EVENTS:
        raise ConnectError("Choose one of the listed webhook events.")
    token = (token or "").strip()
    if not 16 <= len(token) <= 200 or any(c.isspace() for c in token):
        raise ConnectError("Paste the signature token exactly as Lever shows it (16–200 characters).")
    hook = LeverWebhook(connection_id=conn.id, event=event, lever_webhook_id=None, url=url,
                        signature_token_enc=crypto.encrypt(token), source="pasted")
    db.session.add(hook)
    db.session.flush()
    return hook


def check_connection(client) -> tuple[bool, str]:
    """One cheap authenticated call; (True, summary) or (False, reason)."""
    try:
        stages = client.list_stages()
    except LeverError as exc:
        return False, exc.message
    return True, f"Lever answered: {len(stages)} pipeline stages visible."
