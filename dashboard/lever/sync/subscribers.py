"""Platform events → Lever effects. The platform knows nothing of Lever; this module listens.

Receivers run inside the platform service's transaction, so the queued effects commit (or roll
back) together with the change that caused them.
"""

from __future__ import annotations

from sqlalchemy import select

from dashboard.attempts import events
from dashboard.extensions import db
from dashboard.lever.sync import history, rules
from dashboard.lever.sync.models import Invitation, LeverOpportunity


def _opportunities(attempt_id: int) -> list[LeverOpportunity]:
    return list(db.session.scalars(select(LeverOpportunity).join(
        Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(Invitation.attempt_id == attempt_id)))


def _started(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)


def _scored(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=False)


def _completed(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=True)


def _expired(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)
    for opp in _opportunities(attempt_id):
        history.record(opp.organisation_id, "decision", "Invitation expired: the deadline passed unstarted.",
                       candidate_id=opp.candidate_id, opportunity_id=opp.id, outcome="info")


def _resent(sender, attempt_id: int, acting_user_id: int | None = None, **_):
    for opp in _opportunities(attempt_id):
        history.record(opp.organisation_id, "email", "Invitation email resent on request.",
                       candidate_id=opp.candidate_id, opportunity_id=opp.id, outcome="info",
                       detail=f"by user {acting_user_id}" if acting_user_id else None)


def _reminder_held(sender, attempt_id: int, **_) -> bool:
    """No reminder for a candidate hired in Lever, or whose every opportunity is archived or deleted."""
    opps = _opportunities(attempt_id)
    if any(o.hired for o in opps):
        return True
    return bool(opps) and all(o.archived or o.deleted for o in opps)


def connect_signals() -> None:
    """Subscribe to the platform's domain events (idempotent)."""
    events.attempt_started.connect(_started, weak=False)
    events.part_scored.connect(_scored, weak=False)
    events.attempt_evaluated.connect(_scored, weak=False)
    events.attempt_completed.connect(_completed, weak=False)
    events.attempt_expired.connect(_expired, weak=False)
    events.invitation_resent.connect(_resent, weak=False)
    events.reminder_due.connect(_reminder_held, weak=False)
