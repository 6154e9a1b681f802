"""Lever pacing shared by every process on one PostgreSQL database.

Lever's limit is per credential, not per process: with several web and worker processes each
one's own bucket would add up past it. Here the bucket of each Lever account is one row holding
its "theoretical arrival time" (the generic cell rate algorithm, equivalent to a token bucket of
`rate` per second and `burst` at once). Taking a slot is ONE atomic upsert, so PostgreSQL's row
lock serialises concurrent callers; the caller then sleeps outside any transaction. The table is
`LeverPaceBucket` (connection models).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

_TAKE_SLOT = text("""
    INSERT INTO lever_pace_buckets AS b (account_key, tat)
    VALUES (:key, extract(epoch from clock_timestamp()) + :interval)
    ON CONFLICT (account_key) DO UPDATE
        SET tat = GREATEST(b.tat, extract(epoch from clock_timestamp())) + :interval
    RETURNING tat - :window - extract(epoch from clock_timestamp()) AS wait
""")


class PostgresPacer:
    """A `Pacer` whose buckets live in PostgreSQL: `rate` requests/s per account, `burst` at once,
    across every process and thread using the same database."""

    def __init__(self, engine: Engine, rate: float = 8.0, burst: int = 16, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresPacer needs a PostgreSQL database")
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.engine = engine
        self.rate = float(rate)
        self.burst = float(burst)
        self._sleep = sleep

    def reserve(self, account_key: str) -> float:
        """Take the next slot for `account_key`; returns the seconds to wait before sending."""
        interval = 1.0 / self.rate
        with self.engine.begin() as conn:
            wait = conn.execute(_TAKE_SLOT, {"key": account_key[:200], "interval": interval,
                                             "window": self.burst * interval}).scalar_one()
        return max(0.0, float(wait))

    def acquire(self, account_key: str) -> None:
        """Block until one request may be sent for this account."""
        wait = self.reserve(account_key)
        if wait > 0:
            self._sleep(wait)
