"""Lever webhook receiver: verify, store in the inbox, acknowledge. Nothing else in the request.

The signature covers only `token` + `triggeredAt` (LEVER.md), so `data` is a hint: the worker
re-reads the opportunity before acting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time

from flask import Blueprint, current_app, request
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from dashboard.core.clock import utcnow
from dashboard.extensions import csrf, db
from dashboard.lever.connection import webhook_keys
from dashboard.lever.connection.models import LeverWebhook
from dashboard.lever.sync.inbox import max_age_hours, max_age_ms
from dashboard.lever.sync.models import InboxDelivery
from dashboard.observability import metrics

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)

EVENTS = ("applicationCreated", "candidateStageChange", "candidateArchiveChange", "candidateHired",
          "candidateDeleted")
MAX_FUTURE_MS = 5 * 60 * 1000
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


class BadDelivery(ValueError):
    """The body is not a Lever delivery we can read."""


def _count(outcome: str) -> None:
    """Report the outcome of one delivery to the metrics."""
    metrics.webhook(outcome)


def signature_for(key: str, token: str, triggered_at: int) -> str:
    """hex(HMAC-SHA256(key=signatureToken, msg=token + str(triggeredAt)))."""
    return hmac.new(key.encode(), (token + str(triggered_at)).encode(), hashlib.sha256).hexdigest()


def parse_delivery(raw: bytes) -> dict:
    """Validate the shape of a delivery body; raise BadDelivery with the reason."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting exhausts the parser
        raise BadDelivery("body is not JSON") from exc
    if not isinstance(body, dict):
        raise BadDelivery("body is not a JSON object")
    token, triggered = body.get("token"), body.get("triggeredAt")
    if not isinstance(token, str) or not 8 <= len(token) <= 128:
        raise BadDelivery("token missing or malformed")
    if not isinstance(triggered, int) or isinstance(triggered, bool) or triggered < 0:
        raise BadDelivery("triggeredAt missing or not an integer")
    if not isinstance(body.get("event"), str) or len(body["event"]) > 64:
        raise BadDelivery("event missing")
    data = body.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadDelivery("data is not an object")
    for key in ("opportunityId", "toStageId"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise BadDelivery(f"data.{key} is not a string")
    if "\x00" in token or "\x00" in body["event"] or any(
            isinstance(data.get(k), str) and "\x00" in data[k] for k in ("opportunityId", "toStageId")):
        raise BadDelivery("NUL character in a text field")  # PostgreSQL text cannot hold it
    body["data"] = data
    return body


def _matching_hook(address, body: dict) -> int | None:
    """The id of the webhook whose signature token signed the body, or None."""
    signature = body.get("signature")
    if not isinstance(signature, str) or len(signature) != 64:
        return None
    given = signature.lower().encode("utf-8", "replace")
    for hook_id, key in address.keys:
        if hmac.compare_digest(signature_for(key, body["token"], body["triggeredAt"]).encode(), given):
            return hook_id
    return None


@bp.route("/lever/<public_id>", methods=["POST"])
@csrf.exempt
def receive(public_id: str):
    """Verify and store one delivery; 2xx tells Lever not to retry."""
    limit = current_app.config.get("WEBHOOK_MAX_BYTES", 1024 * 1024)
    if request.content_length is not None and request.content_length > limit:
        _count("too_large")
        return {"error": "body too large"}, 413
    raw = request.stream.read(limit + 1)  # bounded even when no length was declared (chunked)
    if len(raw) > limit:
        _count("too_large")
        return {"error": "body too large"}, 413
    try:
        body = parse_delivery(raw)
    except BadDelivery as exc:
        _count("bad_request")
        return {"error": str(exc)}, 400
    try:
        address = None
        if PUBLIC_ID.fullmatch(public_id):  # anything else cannot be ours (and may not even be storable text)
            address = webhook_keys.lookup(public_id, current_app.config.get("WEBHOOK_KEY_CACHE_SECONDS", 10))
        if address is None or not address.live:
            _count("unknown_address")
            return {"error": "unknown webhook address"}, 404
        hook_id = _matching_hook(address, body)
        if hook_id is None:
            log.warning("webhook rejected: bad signature (connection %s)", address.connection_id)
            _count("bad_signature")
            return {"error": "invalid signature"}, 401
        now_ms = time.time() * 1000
        if body["triggeredAt"] > now_ms + MAX_FUTURE_MS:
            _count("bad_request")
            return {"error": "triggeredAt is in the future"}, 400
        if body["triggeredAt"] < now_ms - max_age_ms(current_app.config):
            _count("too_old")
            return {"error": f"triggeredAt is older than {max_age_hours(current_app.config)} hours; "
                             "reconciliation with Lever covers what it announced"}, 400
        _touch(address, hook_id)
        data = body["data"]
        if not data:  # Lever's test delivery
            db.session.commit()
            _count("test")
            return {"status": "ok", "test": True}, 200
        if body["event"] not in EVENTS or not data.get("opportunityId"):
            log.info("webhook event %s ignored", body["event"])
            db.session.commit()
            _count("ignored")
            return {"status": "ignored"}, 200
        return _store(address, body)
    except OperationalError:
        db.session.rollback()
        log.exception("database unavailable while receiving a webhook")
        _count("unavailable")
        return {"error": "temporarily unavailable"}, 503


def _touch(address, hook_id: int) -> None:
    """Record the last verified delivery per webhook, at most once a minute per process."""
    now = time.monotonic()
    if now - address.touched.get(hook_id, -1e9) < 60:
        return
    address.touched[hook_id] = now
    db.session.execute(update(LeverWebhook).where(LeverWebhook.id == hook_id).values(last_verified_at=utcnow()))


def _insert():
    """INSERT ... ON CONFLICT DO NOTHING for this database's dialect."""
    return (postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(InboxDelivery)


def _store(address, body: dict):
    """One statement stores the delivery unless its token is already in the inbox."""
    data = body["data"]
    statement = _insert().values(
        organisation_id=address.organisation_id, connection_id=address.connection_id, token=body["token"],
        event=body["event"], opportunity_lever_id=data["opportunityId"][:64],
        to_stage_id=(data.get("toStageId") or None) and data["toStageId"][:64],
        triggered_at=body["triggeredAt"], received_at=utcnow(), state="pending", attempts=0, next_try_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["connection_id", "token"]).returning(InboxDelivery.id)
    stored = db.session.execute(statement).scalar()
    db.session.commit()
    outcome = "stored" if stored is not None else "duplicate"
    _count(outcome)
    return {"status": outcome}, 200
