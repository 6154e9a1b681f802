"""Signature keys of each webhook address, decrypted once and kept briefly in this process.

The webhook route is the hot path: without this every delivery would read the connection and its
webhooks and decrypt each signature token. Entries live WEBHOOK_KEY_CACHE_SECONDS (default 10 s);
connecting, disconnecting and changing webhooks call `forget()` so this process sees it at once,
and other processes within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection.crypto import decrypt
from dashboard.lever.connection.models import LeverConnection, LeverWebhook

log = logging.getLogger(__name__)
_lock = threading.Lock()
_entries: dict[tuple[str, str], WebhookAddress] = {}


@dataclass
class WebhookAddress:
    """What the receiver needs to know about one `/webhooks/lever/<public_id>` address."""

    connection_id: int
    organisation_id: int
    live: bool
    keys: list[tuple[int, str]] = field(default_factory=list)  # (webhook id, signature token)
    fetched: float = 0.0
    touched: dict[int, float] = field(default_factory=dict)  # webhook id → last recorded verification


def _load(public_id: str) -> WebhookAddress | None:

    connection = db.session.scalar(select(LeverConnection).where(LeverConnection.public_id == public_id))
    if connection is None:
        return None
    keys = []
    for hook_id, token in db.session.execute(select(LeverWebhook.id, LeverWebhook.signature_token_enc).where(
            LeverWebhook.connection_id == connection.id)):
        try:
            keys.append((hook_id, decrypt(token)))
        except Exception:  # its key was retired: it can never match
            log.warning("webhook %s has a signature token no configured key decrypts", hook_id)
    return WebhookAddress(connection.id, connection.organisation_id, connection.status != "disconnected", keys,
                          time.monotonic())


def lookup(public_id: str, ttl: float) -> WebhookAddress | None:
    """The address, from this process's cache when younger than `ttl` seconds."""
    cache_key = (str(db.engine.url), public_id)
    now = time.monotonic()
    with _lock:
        entry = _entries.get(cache_key)
    if entry is not None and now - entry.fetched < ttl:
        return entry
    entry = _load(public_id)
    if entry is not None and ttl > 0:
        with _lock:
            _entries[cache_key] = entry
    return entry


def forget(public_id: str | None = None) -> None:
    """Drop one address (or all) from this process's cache after a change."""
    with _lock:
        if public_id is None:
            _entries.clear()
        else:
            for key in [k for k in _entries if k[1] == public_id]:
                del _entries[key]
