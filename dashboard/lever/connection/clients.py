"""The app adapter around the plain Lever client: environment, tokens, pacing, metrics.

Everything in the app that needs Lever asks `client_for(connection)`; the client itself knows
nothing about Flask or the database.
"""

from __future__ import annotations

import logging
import threading

import requests
from flask import current_app

from dashboard.extensions import db
from dashboard.lever.api.client import LeverClient
from dashboard.lever.api.environments import environment_from_config
from dashboard.lever.api.errors import LeverAuthError
from dashboard.lever.api.pacing import LEVER_BURST, LEVER_RATE, RECOVERY_SECONDS, TokenBucketPacer
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.connection.pacing import PostgresPacer
from dashboard.lever.connection.tokens import ConnectionTokenSource
from dashboard.observability import metrics

log = logging.getLogger(__name__)

_pacer_lock = threading.Lock()
_pacer: TokenBucketPacer | PostgresPacer | None = None
_http = threading.local()


def shared_pacer():
    """The pacer every Lever client of this process shares, keyed by Lever account.

    On PostgreSQL (LEVER_PACER `auto` or `postgres`) the buckets live in the database, so every
    process together stays under the limit; otherwise one in-process `TokenBucketPacer`. Rate, burst
    and the recovery after a 429 come from LEVER_PACE_RATE / LEVER_PACE_BURST / LEVER_PACE_RECOVERY_SECONDS."""
    global _pacer
    rate = float(current_app.config.get("LEVER_PACE_RATE", LEVER_RATE))
    burst = int(current_app.config.get("LEVER_PACE_BURST", LEVER_BURST))
    recovery = float(current_app.config.get("LEVER_PACE_RECOVERY_SECONDS", RECOVERY_SECONDS))
    mode = current_app.config.get("LEVER_PACER") or "auto"
    engine = db.engine
    shared = mode == "postgres" or (mode == "auto" and engine.dialect.name == "postgresql")
    with _pacer_lock:
        if shared:
            if not (isinstance(_pacer, PostgresPacer) and _pacer.engine is engine
                    and (_pacer.rate, _pacer.burst, _pacer.recovery) == (rate, burst, recovery)):
                _pacer = PostgresPacer(engine, rate, burst, recovery=recovery)
        elif not isinstance(_pacer, TokenBucketPacer) or (_pacer.rate, _pacer.burst, _pacer.recovery) != (
                rate, burst, recovery):
            _pacer = TokenBucketPacer(rate, burst, recovery=recovery)
        return _pacer


def _session() -> requests.Session:
    """One HTTP session per thread, so connections to Lever are reused across calls."""
    if getattr(_http, "session", None) is None:
        _http.session = requests.Session()
    return _http.session


def _count_call(method: str, path: str, status: int | None, seconds: float) -> None:
    """`on_call` hook: every HTTP attempt to Lever feeds the metrics."""
    log.debug("lever %s %s -> %s in %.3fs", method, path, status, seconds)
    metrics.lever_call(method, status, seconds)


def client_for(connection: LeverConnection, *, token_source=None) -> LeverClient:
    """A `LeverClient` for this connection; raises LeverAuthError unless it is 'connected'."""
    if connection is None or connection.status != "connected":
        reason = getattr(connection, "status_reason", None) or "Lever is not connected."
        raise LeverAuthError(f"Lever is not connected: {reason}", code=getattr(connection, "status", None))
    env = environment_from_config(current_app.config)
    source = token_source or ConnectionTokenSource(connection.id)
    timeout = (3.05, float(current_app.config.get("LEVER_READ_TIMEOUT", 20)))
    return LeverClient(env.api_url, source, pacer=shared_pacer(), on_call=_count_call, session=_session(),
                       timeout=timeout, max_sleep=float(current_app.config.get("LEVER_MAX_SLEEP", 8.0)))
