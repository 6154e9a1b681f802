"""Lever pacing shared by every process on one PostgreSQL database.

Lever's limit is per credential, not per process: with several web and worker processes each
one's own bucket would add up past it. Here the bucket of each Lever account is one row holding
its "theoretical arrival time" (the generic cell rate algorithm, equivalent to a token bucket of
`rate` per second and `burst` at once). Taking a slot is ONE atomic upsert, so PostgreSQL's row
lock serialises concurrent callers; the caller then sleeps outside any transaction. The table is
`LeverPaceBucket` (connection models).

The row also holds the adaptation after a 429 (`api.pacing`): the cut rate and when it was cut (the
rate climbs back from there), and `blocked_until`, the end of the 429's `Retry-After`: no process
sends a call for that account before it, including callers that took a slot earlier and are still
sleeping (they look again when they wake).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

from dashboard.lever.api.pacing import (
    CUT,
    FLOOR,
    LEVER_BURST,
    LEVER_RATE,
    RECOVERY_SECONDS,
    SlotWaiting,
    block_seconds,
)

# In each statement, the rate in force for row `b` now (api.pacing.recovered_rate) is
#   LEAST(:rate, COALESCE(b.cut_rate + (:rate - b.cut_rate) * GREATEST(0, <now> - b.cut_at) / :recovery, :rate))
# with <now> = extract(epoch from clock_timestamp()).
_TAKE_SLOT = text("""
    INSERT INTO lever_pace_buckets AS b (account_key, tat)
    VALUES (:key, extract(epoch from clock_timestamp()) + 1.0 / :rate)
    ON CONFLICT (account_key) DO UPDATE
        SET tat = GREATEST(b.tat, extract(epoch from clock_timestamp())) + 1.0 / LEAST(:rate, COALESCE(
            b.cut_rate + (:rate - b.cut_rate) * GREATEST(0, extract(epoch from clock_timestamp()) - b.cut_at)
            / :recovery, :rate))
    RETURNING GREATEST(tat - :burst / LEAST(:rate, COALESCE(
            b.cut_rate + (:rate - b.cut_rate) * GREATEST(0, extract(epoch from clock_timestamp()) - b.cut_at)
            / :recovery, :rate)), COALESCE(blocked_until, 0)) - extract(epoch from clock_timestamp()) AS wait
""")

_BLOCKED_FOR = text("""
    SELECT GREATEST(0, COALESCE(blocked_until, 0) - extract(epoch from clock_timestamp()))
    FROM lever_pace_buckets WHERE account_key = :key
""")

# The cut rate, the block, and the bucket empty when the block ends (its first call goes then).
_PENALIZE = text("""
    INSERT INTO lever_pace_buckets AS b (account_key, tat, cut_rate, cut_at, blocked_until)
    VALUES (:key, extract(epoch from clock_timestamp()) + :block + (:burst - 1.0) / (:rate * :cut), :rate * :cut,
            extract(epoch from clock_timestamp()), extract(epoch from clock_timestamp()) + :block)
    ON CONFLICT (account_key) DO UPDATE
        SET cut_rate = GREATEST(:rate * :floor, :cut * LEAST(:rate, COALESCE(
                b.cut_rate + (:rate - b.cut_rate) * GREATEST(0, extract(epoch from clock_timestamp()) - b.cut_at)
                / :recovery, :rate))),
            cut_at = extract(epoch from clock_timestamp()),
            blocked_until = GREATEST(COALESCE(b.blocked_until, 0), extract(epoch from clock_timestamp()) + :block),
            tat = GREATEST(b.tat, GREATEST(COALESCE(b.blocked_until, 0), extract(epoch from clock_timestamp()) + :block)
                + (:burst - 1.0) / GREATEST(:rate * :floor, :cut * LEAST(:rate, COALESCE(
                b.cut_rate + (:rate - b.cut_rate) * GREATEST(0, extract(epoch from clock_timestamp()) - b.cut_at)
                / :recovery, :rate))))
""")


class PostgresPacer(SlotWaiting):
    """A `Pacer` whose buckets live in PostgreSQL: `rate` requests/s per account, `burst` at once,
    across every process and thread using the same database, adapting to 429s (`penalize`)."""

    def __init__(self, engine: Engine, rate: float = LEVER_RATE, burst: int = LEVER_BURST, *,
                 recovery: float = RECOVERY_SECONDS, sleep: Callable[[float], None] = time.sleep) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresPacer needs a PostgreSQL database")
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.engine = engine
        self.rate = float(rate)
        self.burst = float(burst)
        self.recovery = float(recovery)
        self._sleep = sleep

    def _params(self, account_key: str) -> dict:
        return {"key": account_key[:200], "rate": self.rate, "burst": self.burst, "recovery": self.recovery,
                "cut": CUT, "floor": FLOOR}

    def reserve(self, account_key: str) -> float:
        """Take the next slot for `account_key`; returns the seconds to wait before sending."""
        with self.engine.begin() as conn:
            wait = conn.execute(_TAKE_SLOT, self._params(account_key)).scalar_one()
        return max(0.0, float(wait))

    def blocked_for(self, account_key: str) -> float:
        """Seconds left of a 429's block for this account (0 when none)."""
        with self.engine.begin() as conn:
            left = conn.execute(_BLOCKED_FOR, {"key": account_key[:200]}).scalar()
        return float(left or 0.0)

    def penalize(self, account_key: str, retry_after: float | None) -> bool:
        """A 429: cut the account's rate and block it for `retry_after` seconds, for every process."""
        block = block_seconds(retry_after)
        with self.engine.begin() as conn:
            conn.execute(_PENALIZE, {**self._params(account_key), "block": float(block)})
        return True
