"""Actions people take on the sync: resync a candidate or an applicant, retry or resend an outbox row,
try a webhook delivery again, "Sync now", a postings refresh and the backfill decision."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from dashboard.core.boundary import DomainError
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.runs import request_runs
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import history, outbox, reconcile, rules
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity


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
        _queue_resync(opp, acting_user_id)
    return len(opps)


def resync_opportunity(organisation_id: int, opportunity_id: int, acting_user_id: int) -> LeverOpportunity:
    """Queue a fresh read of one Lever opportunity (an applicant who was not invited, say) and a re-run
    of the rules, done by the worker."""
    opp = db.session.get(LeverOpportunity, opportunity_id)
    if opp is None or opp.organisation_id != organisation_id:
        raise LookupError(opportunity_id)
    if opp.deleted:
        raise SyncActionError("This applicant was deleted in Lever: there is nothing to read.")
    _queue_resync(opp, acting_user_id)
    return opp


def _queue_resync(opp: LeverOpportunity, acting_user_id: int) -> None:
    db.session.add(InboxDelivery(organisation_id=opp.organisation_id, connection_id=opp.connection_id,
                                 token=f"resync-{uuid.uuid4().hex}", event="resync",
                                 opportunity_lever_id=opp.lever_id, triggered_at=0))
    history.record(opp.organisation_id, "decision", "Resync requested: Lever will be read again.",
                   candidate_id=opp.candidate_id, opportunity_id=opp.id, outcome="info",
                   detail=f"by user {acting_user_id}")


def retry_delivery(organisation_id: int, delivery_id: int, acting_user_id: int) -> InboxDelivery:
    """Process a webhook delivery again now: one that failed, or one still waiting for its next try."""
    delivery = db.session.get(InboxDelivery, delivery_id)
    if delivery is None or delivery.organisation_id != organisation_id:
        raise LookupError(delivery_id)
    if delivery.state not in ("failed", "pending"):
        raise SyncActionError("Only a failed or waiting webhook delivery can be tried again.")
    if delivery.state == "failed":
        delivery.attempts = 0  # fresh tries, as for a retried outbox row
    delivery.state, delivery.next_try_at = "pending", utcnow()
    opp = db.session.scalar(select(LeverOpportunity).where(
        LeverOpportunity.connection_id == delivery.connection_id,
        LeverOpportunity.lever_id == delivery.opportunity_lever_id))
    history.record(organisation_id, "retry", "Webhook processing tried again at a person's request.",
                   candidate_id=opp.candidate_id if opp else None, opportunity_id=opp.id if opp else None,
                   outcome="info", detail=f"by user {acting_user_id}")
    return delivery


def retry_effect(organisation_id: int, effect_id: int, acting_user_id: int) -> Effect:
    """Give a failed (or undecided) outbox row fresh attempts."""
    effect = db.session.get(Effect, effect_id)
    if effect is None or effect.organisation_id != organisation_id:
        raise LookupError(effect_id)
    if effect.state not in ("dead", "needs_decision", "pending"):
        raise SyncActionError("Only failed, undecided or waiting items can be retried.")
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
    else:  # nothing to read again: those held are simply not invited
        db.session.execute(update(LeverOpportunity).where(
            LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.reason_code == "backfill_held")
            .values(reason_code="backfill_skipped", reason=rules.BACKFILL_SKIPPED)
            .execution_options(synchronize_session=False))
    return connection


def backfill_waiting(organisation_id: int) -> int:
    """How many opportunities are held until the backfill decision."""
    return db.session.scalar(select(func.count(LeverOpportunity.id)).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.reason_code == "backfill_held",
        LeverOpportunity.deleted.is_(False))) or 0


def backfill_since(organisation_id: int):
    """When the integration first saw one of the applicants held for the backfill decision (or None)."""
    return db.session.scalar(select(func.min(LeverOpportunity.first_seen_at)).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.reason_code == "backfill_held",
        LeverOpportunity.deleted.is_(False)))


def request_postings_refresh(organisation_id: int, acting_user_id: int) -> list:
    """Queue a refresh of the postings and stages (their tags) for the worker; none twice at a time."""
    connected(organisation_id)
    return request_runs(("postings",), organisation_id, acting_user_id)
