"""Platform events → Lever effects. The platform knows nothing of Lever; this module listens.

Receivers run inside the platform service's transaction, so the queued effects commit (or roll
back) together with the change that caused them.
"""

from __future__ import annotations

from dashboard.lever.sync import rules


def _started(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)


def _scored(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=False)


def _completed(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=True)


def connect_signals() -> None:
    """Subscribe to the platform's domain events (idempotent)."""
    from dashboard.attempts import events

    events.attempt_started.connect(_started, weak=False)
    events.part_scored.connect(_scored, weak=False)
    events.attempt_evaluated.connect(_scored, weak=False)
    events.attempt_completed.connect(_completed, weak=False)
