"""The limits on changing an invitation, and when its one reminder is due.

- **Validity cap**: an invitation stays open at most `MAX_DEADLINE_DAYS` (30) days from the start of its
  validity window (`Attempt.valid_from`: when it was sent, or when an expired one was reopened),
  extensions included.
- **Extra time cap**: all grants of extra time to one attempt add up to at most `MAX_EXTRA_MINUTES` (180).
- **Reminder**: one per deadline, `REMINDER_HOURS` (24) before it, but never in the first half of the
  validity window (a 1-day invitation is reminded 12 hours before it closes, not at once).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app

from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc

DEFAULT_MAX_DEADLINE_DAYS = 30
DEFAULT_MAX_EXTRA_MINUTES = 180
DEFAULT_REMINDER_HOURS = 24


def max_deadline_days() -> int:
    """The longest validity of an invitation, in days."""
    return int(current_app.config.get("MAX_DEADLINE_DAYS", DEFAULT_MAX_DEADLINE_DAYS))


def max_extra_minutes() -> int:
    """The most extra time one attempt can be given, in minutes."""
    return int(current_app.config.get("MAX_EXTRA_MINUTES", DEFAULT_MAX_EXTRA_MINUTES))


def reminder_hours() -> float:
    """How long before the deadline the reminder goes out."""
    return float(current_app.config.get("REMINDER_HOURS", DEFAULT_REMINDER_HOURS))


def reopens(attempt: Attempt, now: datetime) -> bool:
    """True when extending this invitation starts a new validity window (it expired, or its deadline passed)."""
    return attempt.status == "expired" or as_utc(attempt.deadline) <= now


def latest_deadline(attempt: Attempt, now: datetime) -> datetime:
    """The latest deadline the validity cap allows for this invitation (reopened now, if it would be)."""
    start = now if reopens(attempt, now) else as_utc(attempt.valid_from)
    return start + timedelta(days=max_deadline_days())


def extension_room(attempt: Attempt, now: datetime) -> int:
    """Whole days this invitation can still be extended by (0: none)."""
    base = now if reopens(attempt, now) else as_utc(attempt.deadline)
    return max(0, math.floor((latest_deadline(attempt, now) - base) / timedelta(days=1)))


def extra_time_room(attempt: Attempt) -> int:
    """Minutes of extra time this attempt can still be given (0: none)."""
    return max(0, max_extra_minutes() - (attempt.extra_minutes or 0))


def reminder_due_at(attempt: Attempt, hours: float | None = None) -> datetime:
    """When the reminder for the current deadline is due: `hours` before it, not in the window's first half."""
    hours = reminder_hours() if hours is None else hours
    deadline, start = as_utc(attempt.deadline), as_utc(attempt.valid_from)
    return max(deadline - timedelta(hours=hours), start + (deadline - start) / 2)
