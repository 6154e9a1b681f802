"""When to try queued work again, and when a claim on it is abandoned (shared by every queue).

Exponential back-off with full jitter (tenacity's `wait_random_exponential`): a random wait up to
5 s × 2^(attempt-1), capped at an hour, plus one second.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from tenacity import wait_random_exponential

_WAIT = wait_random_exponential(multiplier=5, max=3600)


class _Attempt(NamedTuple):
    """The one field of tenacity's retry state that its wait strategies read."""

    attempt_number: int


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before try number `attempts + 1` of a queued row."""
    return timedelta(seconds=1 + _WAIT(_Attempt(max(1, attempts))))


def claim_timeout() -> timedelta:
    """How long a claim may stand before its worker is presumed dead (EFFECT_CLAIM_TIMEOUT, 120 s)."""
    return timedelta(seconds=current_app.config.get("EFFECT_CLAIM_TIMEOUT", 120))
