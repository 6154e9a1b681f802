"""Client-side pacing and retry backoff for Lever calls.

Lever limits each credential to a token bucket (10 requests/s, bursts of 20). Staying a little
under that on our side keeps 429s rare; the pacer here enforces it for every thread of one
process, keyed by Lever account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple, Protocol

from tenacity import wait_random_exponential


class Pacer(Protocol):
    """Anything that can hold a caller back until a request for `account_key` may go out."""

    def acquire(self, account_key: str) -> None:
        """Block until one request may be sent for this account."""


class TokenBucketPacer:
    """A thread-safe token bucket per account key: `rate` requests/s, at most `burst` at once.

    Waiters reserve their slot under the lock (the bucket may go negative) and sleep outside
    it, so concurrent threads are served in arrival order without busy-waiting.
    """

    def __init__(self, rate: float = 8.0, burst: int = 16, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def reserve(self, account_key: str) -> float:
        """Take one slot for `account_key` and return how many seconds the caller must wait."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(account_key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate) - 1.0
            self._buckets[account_key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / self.rate

    def acquire(self, account_key: str) -> None:
        """Block until one request may be sent for this account."""
        wait = self.reserve(account_key)
        if wait > 0:
            self._sleep(wait)


class NoPacer:
    """A pacer that never waits (for tools that pace elsewhere)."""

    def acquire(self, account_key: str) -> None:
        """Return at once."""


def backoff_delay(attempt: int, *, base: float = 0.25, cap: float = 8.0) -> float:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2**attempt)] seconds
    (tenacity's `wait_random_exponential`; `attempt` counts from 0)."""
    return wait_random_exponential(multiplier=base, max=cap)(_Attempt(attempt + 1))


class _Attempt(NamedTuple):
    """The one field of tenacity's retry state that its wait strategies read."""

    attempt_number: int
