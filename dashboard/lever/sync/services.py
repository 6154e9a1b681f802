"""Actions people take on the sync: resync a candidate, retry or resend an outbox row, "Sync now" and
the backfill decision."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from dashboard.core.boundary import DomainError
from dashboard.extensions import db
from dashboard.jobs.runs import request_runs
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import history, outbox, reconcile, rules
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity, SyncEvent


class SyncActionError(DomainError):
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


BACKFILL_DECISIONS = {"all": "invite the candidates already in Lever", "new_only": "invite only new candidates"}


def connected(organisation_id: int) -> LeverConnection:
    """The organisation's connection when it is connected, else SyncActionError."""
    connection = db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == organisation_id))
    if connection is None or connection.status != "connected":
        raise SyncActionError("Lever is not connected: connect it in Organisation settings first.")
    return connection


def request_sync(organisation_id: int, acting_user_id: int) -> list:
    """Queue the postings and opportunities jobs for this organisation, performed by a worker in order
    (no second request while one is queued or running)."""
    connected(organisation_id)
    return request_runs(SYNC_JOBS, organisation_id, acting_user_id)


def decide_backfill(organisation_id: int, acting_user_id: int, acting_name: str, decision: str) -> LeverConnection:
    """Record what to do with candidates who were in Lever before the connection; "all" also asks for a
    full reconciliation pass and queues it."""
    if decision not in BACKFILL_DECISIONS:
        raise SyncActionError("Choose whether to invite the candidates already in Lever or only new ones.")
    connection = connected(organisation_id)
    connection.backfill_decision = decision
    history.record(organisation_id, "decision", f"Backfill decision by {acting_name}: {BACKFILL_DECISIONS[decision]}.",
                   outcome="info")
    if decision == "all":
        reconcile.request_full_pass(connection.id)
        request_runs(SYNC_JOBS, organisation_id, acting_user_id)
    return connection


def backfill_waiting(organisation_id: int) -> int:
    """How many opportunities are held until the backfill decision."""
    return db.session.scalar(select(func.count(func.distinct(SyncEvent.opportunity_id))).where(
        SyncEvent.organisation_id == organisation_id, SyncEvent.summary == rules.BACKFILL_WAITING)) or 0
