"""Actions people take on the sync: resync a candidate, retry or resend an outbox row."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.sync import history, outbox
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity


class SyncActionError(ValueError):
    """A user-facing reason a sync action was refused."""


def resync_candidate(organisation_id: int, candidate_id: int, acting_user_id: int) -> int:
    """Queue a fresh read of each of the candidate's Lever opportunities and a re-run of the rules
    (done by the worker, exactly as a webhook would be). Returns how many were queued."""
    opps = db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.candidate_id == candidate_id,
        LeverOpportunity.deleted.is_(False))).all()
    if not opps:
        raise SyncActionError("This candidate has no Lever opportunity to resync.")
    for opp in opps:
        db.session.add(InboxDelivery(organisation_id=organisation_id, connection_id=opp.connection_id,
                                     token=f"resync-{uuid.uuid4().hex}", event="resync",
                                     opportunity_lever_id=opp.lever_id, triggered_at=0))
        history.record(organisation_id, "decision", "Resync requested: Lever will be read again.",
                       candidate_id=candidate_id, opportunity_id=opp.id, outcome="info",
                       detail=f"by user {acting_user_id}")
    return len(opps)


def retry_effect(organisation_id: int, effect_id: int, acting_user_id: int) -> Effect:
    """Give a failed (or undecided) outbox row fresh attempts."""
    effect = db.session.get(Effect, effect_id)
    if effect is None or effect.organisation_id != organisation_id:
        raise LookupError(effect_id)
    if effect.state not in ("dead", "needs_decision"):
        raise SyncActionError("Only failed or undecided items can be retried.")
    was = effect.state
    outbox.retry_now(effect)
    what = "Resend" if was == "needs_decision" else "Retry"
    history.record(organisation_id, "retry", f"{what} requested by a person.", candidate_id=effect.candidate_id,
                   opportunity_id=effect.opportunity_id, effect_id=effect.id, outcome="info",
                   detail=f"by user {acting_user_id}")
    return effect
