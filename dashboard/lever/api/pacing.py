"""Client-side pacing and retry backoff for Lever calls.

Lever limits each credential to a token bucket (10 requests/s, bursts of 20). The pacers here start
at exactly that and adapt: a 429 halves the rate (never below a tenth of it), which then climbs back
linearly to the full rate over `recovery` seconds; a 429's `Retry-After` (or, without one, half a
second) blocks every call for that account until it has passed, including calls that had already
taken a slot and were waiting for it. `TokenBucketPacer` does this for every thread of one process;
`connection.pacing.PostgresPacer` for every process sharing a PostgreSQL database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from tenacity import wait_random_exponential

LEVER_RATE = 10.0  # Lever's documented limit per credential: requests/s ...
LEVER_BURST = 20  # ... and burst
DEFAULT_BLOCK = 0.5  # seconds every call waits after a 429 that gave no Retry-After
CUT = 0.5  # a 429 multiplies the current rate by this ...
FLOOR = 0.1  # ... never below this share of the configured rate
RECOVERY_SECONDS = 10.0  # from the cut rate back to the full rate, linearly


class Pacer(Protocol):
    """Anything that can hold a caller back until a request for `account_key` may go out."""

    def acquire(self, account_key: str) -> None:
        """Block until one request may be sent for this account."""

    def penalize(self, account_key: str, retry_after: float | None) -> bool:
        """Lever answered 429: slow down, and hold every call for this account for `retry_after` seconds.
        True when the next `acquire` waits the block out (the caller need not sleep itself)."""


def recovered_rate(rate: float, cut_rate: float | None, cut_at: float | None, now: float,
                   recovery: float) -> float:
    """The rate `now`: `cut_rate` at `cut_at`, climbing linearly back to `rate` over `recovery` seconds."""
    if cut_rate is None or cut_at is None or recovery <= 0:
        return rate
    return min(rate, cut_rate + (rate - cut_rate) * max(0.0, now - cut_at) / recovery)


def cut_rate_after_429(rate: float, current: float) -> float:
    """The rate right after a 429, from the rate in force when it came."""
    return max(rate * FLOOR, current * CUT)


def block_seconds(retry_after: float | None) -> float:
    """How long a 429 blocks the account: its Retry-After, else DEFAULT_BLOCK."""
    return retry_after if retry_after is not None and retry_after > 0 else DEFAULT_BLOCK


class SlotWaiting:
    """`acquire()` for pacers that hand out slots (`reserve`), know a 429's block (`blocked_for`) and
    sleep with `_sleep`: wait for the slot, and out any block that began meanwhile (with a fresh slot)."""

    def acquire(self, account_key: str) -> None:
        """Block until one request may be sent for this account."""
        wait = self.reserve(account_key)
        while wait > 0:
            self._sleep(wait)
            wait = self.reserve(account_key) if self.blocked_for(account_key) > 0 else 0.0


@dataclass
class _Bucket:
    tokens: float
    last: float  # when `tokens` was counted (in the future while blocked)
    cut_rate: float | None = None
    cut_at: float | None = None
    blocked_until: float = 0.0


class TokenBucketPacer(SlotWaiting):
    """A thread-safe adaptive token bucket per account key: `rate` requests/s, at most `burst` at once.

    Waiters reserve their slot under the lock (the bucket may go negative) and sleep outside
    it, so concurrent threads are served in arrival order without busy-waiting.
    """

    def __init__(self, rate: float = LEVER_RATE, burst: int = LEVER_BURST, *, recovery: float = RECOVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self.recovery = float(recovery)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def current_rate(self, account_key: str) -> float:
        """The rate in force now for this account (below `rate` for a while after a 429)."""
        with self._lock:
            bucket = self._buckets.get(account_key)
            now = self._clock()
            return self.rate if bucket is None else recovered_rate(self.rate, bucket.cut_rate, bucket.cut_at, now,
                                                                   self.recovery)

    def reserve(self, account_key: str) -> float:
        """Take one slot for `account_key` and return how many seconds the caller must wait."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(account_key, _Bucket(self.burst, now))
            rate = recovered_rate(self.rate, bucket.cut_rate, bucket.cut_at, now, self.recovery)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.last) * rate) - 1.0
            bucket.last = now
            tokens = bucket.tokens
        return 0.0 if tokens >= 0 else -tokens / rate

    def blocked_for(self, account_key: str) -> float:
        """Seconds left of a 429's block for this account (0 when none)."""
        with self._lock:
            bucket = self._buckets.get(account_key)
            return max(0.0, bucket.blocked_until - self._clock()) if bucket else 0.0

    def penalize(self, account_key: str, retry_after: float | None) -> bool:
        """A 429: cut the rate and block the account (see the module docstring)."""
        block = block_seconds(retry_after)
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(account_key, _Bucket(self.burst, now))
            current = recovered_rate(self.rate, bucket.cut_rate, bucket.cut_at, now, self.recovery)
            bucket.cut_rate, bucket.cut_at = cut_rate_after_429(self.rate, current), now
            bucket.blocked_until = max(bucket.blocked_until, now + block)
            # The bucket is empty when the block ends: the first call goes then, the next one interval later.
            if bucket.last < bucket.blocked_until:
                bucket.tokens, bucket.last = 1.0, bucket.blocked_until
        return True


class NoPacer:
    """A pacer that never waits (for tools that pace elsewhere)."""

    def acquire(self, account_key: str) -> None:
        """Return at once."""

    def penalize(self, account_key: str, retry_after: float | None) -> bool:
        """Nothing to hold back: the caller waits itself."""
        return False


def backoff_delay(attempt: int, *, base: float = 0.25, cap: float = 8.0) -> float:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2**attempt)] seconds
    (tenacity's `wait_random_exponential`; `attempt` counts from 0)."""
    return wait_random_exponential(multiplier=base, max=cap)(_Attempt(attempt + 1))


class _Attempt(NamedTuple):
    """The one field of tenacity's retry state that its wait strategies read."""

    attempt_number: int
