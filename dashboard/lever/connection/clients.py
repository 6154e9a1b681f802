"""The app adapter around the plain Lever client: environment, tokens, pacing, call counting.

Everything in the app that needs Lever asks `client_for(connection)`; the client itself knows
nothing about Flask or the database.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from flask import current_app

from dashboard.lever.api.errors import LeverAuthError
from dashboard.lever.connection.models import LeverConnection

log = logging.getLogger(__name__)

_pacer_lock = threading.Lock()
_pacer = None
_counts_lock = threading.Lock()
_call_counts: Counter = Counter()


_http = threading.local()


def shared_pacer():
    """The pacer every Lever client of this process shares, keyed by Lever account.

    On PostgreSQL (LEVER_PACER `auto` or `postgres`) the buckets live in the database, so every
    process together stays under the limit; otherwise one in-process `TokenBucketPacer`. Rate
    and burst come from LEVER_PACE_RATE / LEVER_PACE_BURST (default 8/s, burst 16)."""
    global _pacer
    from dashboard.extensions import db

    rate = float(current_app.config.get("LEVER_PACE_RATE", 8.0))
    burst = int(current_app.config.get("LEVER_PACE_BURST", 16))
    mode = current_app.config.get("LEVER_PACER") or "auto"
    engine = db.engine
    shared = mode == "postgres" or (mode == "auto" and engine.dialect.name == "postgresql")
    with _pacer_lock:
        if shared:
            from dashboard.lever.api.pacing_pg import PostgresPacer

            if not (isinstance(_pacer, PostgresPacer) and _pacer.engine is engine
                    and (_pacer.rate, _pacer.burst) == (rate, burst)):
                _pacer = PostgresPacer(engine, rate, burst)
            return _pacer
        from dashboard.lever.api.pacing import TokenBucketPacer

        if not isinstance(_pacer, TokenBucketPacer) or (_pacer.rate, _pacer.burst) != (rate, burst):
            _pacer = TokenBucketPacer(rate, burst)
        return _pacer


def _session():
    """One HTTP session per thread, so connections to Lever are reused across calls."""
    import requests

    if getattr(_http, "session", None) is None:
        _http.session = requests.Session()
    return _http.session


def _count_call(method: str, path: str, status: int | None, seconds: float) -> None:
    """`on_call` hook: counts every HTTP attempt by method and status class."""
    status_class = f"{status // 100}xx" if status else "error"
    with _counts_lock:
        _call_counts[(method, status_class)] += 1
    log.debug("lever %s %s -> %s in %.3fs", method, path, status, seconds)
    from dashboard.observability import metrics

    metrics.lever_call(method, status, seconds)


def call_counts() -> dict[tuple[str, str], int]:
    """A snapshot of the Lever calls made by this process: {(method, '2xx'|...): count}."""
    with _counts_lock:
        return dict(_call_counts)


def client_for(connection: LeverConnection, *, token_source=None):
    """A `LeverClient` for this connection; raises LeverAuthError unless it is 'connected'."""
    from dashboard.lever.api.client import LeverClient
    from dashboard.lever.api.environments import environment_from_config
    from dashboard.lever.connection.tokens import ConnectionTokenSource

    if connection is None or connection.status != "connected":
        reason = getattr(connection, "status_reason", None) or "Lever is not connected."
        raise LeverAuthError(f"Lever is not connected: {reason}", code=getattr(connection, "status", None))
    env = environment_from_config(current_app.config)
    source = token_source or ConnectionTokenSource(connection.id)
    timeout = (3.05, float(current_app.config.get("LEVER_READ_TIMEOUT", 20)))
    return LeverClient(env.api_url, source, pacer=shared_pacer(), on_call=_count_call, session=_session(),
                       timeout=timeout, max_sleep=float(current_app.config.get("LEVER_MAX_SLEEP", 8.0)))
