"""The inbox: webhook deliveries stored by the receiver, processed by the worker.

Processing re-reads the opportunity from Lever (the payload is only a hint) and runs the rules. The
deliveries waiting for one opportunity are folded into one evaluation of Lever's current state: one
read for a backlog of a hundred stage changes. Work is taken fairly: each pass takes the oldest
delivery of each opportunity, from both ends of each organisation's queue (the opportunities waiting
longest and the newest ones) and organisations in turn (`core.queues`), so neither a busy candidate,
nor a burst of applications, nor a busy customer can hold up a new applicant. An opportunity
being processed by one worker is left alone by the others (its new deliveries wait and fold into the
next evaluation). Any number of workers may share the inbox: rows are claimed with an atomic
compare-and-set. Processed deliveries are purged once older than the webhook age window.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from dashboard.core import queues
from dashboard.core.clock import utcnow
from dashboard.core.retry import claim_timeout, retry_delay
from dashboard.extensions import db
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverError,
    LeverForbiddenError,
    LeverNotFoundError,
    LeverRateLimitedError,
)
from dashboard.lever.connection import scopes
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.models import EVENT_LABELS, LeverConnection
from dashboard.lever.sync import history, reads, repairs, rules
from dashboard.lever.sync.models import InboxDelivery

log = logging.getLogger(__name__)
MAX_DELIVERY_ATTEMPTS = 8


def max_age_hours(config) -> int:
    """WEBHOOK_MAX_AGE_HOURS: deliveries triggered longer ago are refused (Lever retries for hours,
    so the default, 72, is generous); processed inbox rows older than that are purged."""
    return int(config.get("WEBHOOK_MAX_AGE_HOURS") or 72)


def max_age_ms(config) -> int:
    """The same window in milliseconds."""
    return max_age_hours(config) * 3600 * 1000


def paused_connections() -> set[int]:
    """Connections whose work waits (disconnected, or needing a reconnect)."""
    return set(db.session.scalars(select(LeverConnection.id).where(LeverConnection.status != "connected")))


def process_delivery(delivery: InboxDelivery, folded: list[InboxDelivery] | None = None) -> None:
    """Fetch the opportunity the delivery names and run the rules (the payload is only a hint).
    `folded`: later deliveries for the same opportunity, answered by the same evaluation."""
    folded = folded or []
    group = [delivery, *folded]
    events = [d.event for d in group]
    connection = db.session.get(LeverConnection, delivery.connection_id)
    line = _received_line(delivery, events)
    if "candidateDeleted" in events:
        opp = rules.forget_opportunity(connection, delivery.opportunity_lever_id)
    else:
        client = client_for(connection)
        try:
            data, job_shown = reads.read_opportunity(connection, client, delivery.opportunity_lever_id)
        except LeverNotFoundError:
            opp = rules.forget_opportunity(connection, delivery.opportunity_lever_id)
        except LeverForbiddenError as exc:
            # Trying again cannot help until someone reconnects (a confidential job, most often):
            # say so once, and leave the candidate to reconciliation after the reconnect.
            reason = scopes.refusal_reason(connection, exc)
            known = rules.known_opportunity(connection, delivery.opportunity_lever_id)
            history.record(delivery.organisation_id, "failure", reason, outcome="failed", detail=str(exc),
                           opportunity_id=known.id if known else None,
                           candidate_id=known.candidate_id if known else None)
            line.opportunity_id = known.id if known else None
            for each in group:
                each.state, each.error, each.processed_at = "failed", reason, utcnow()
            return
        else:
            source = "candidateHired" if "candidateHired" in events else delivery.event
            hints = [d.to_stage_id for d in group if d.to_stage_id]
            opp = rules.apply_opportunity(connection, client, data, source=source,
                                          to_stage_id=hints[-1] if hints else None, stage_hints=hints,
                                          job_hidden=not job_shown)
            if "resync" in events:
                rules.repair(opp, data)
            if not opp.deleted:
                repairs.mark_repaired(connection, opp, "a resync" if events == ["resync"] else "a later webhook")
    if opp is not None:
        line.opportunity_id, line.candidate_id = opp.id, opp.candidate_id
    for each in group:
        each.state = "done"
        each.processed_at = utcnow()


def _received_line(delivery: InboxDelivery, events: list[str]):
    """The history line for what arrived: one line for the deliveries folded together."""
    if events == ["resync"]:
        return history.record(delivery.organisation_id, "decision", "Resync: reading the opportunity from Lever.",
                              outcome="info")
    labels = list(dict.fromkeys(EVENT_LABELS.get(e, e) for e in events))
    what = ", ".join(f"“{label}”" for label in labels)
    if len(events) == 1:
        return history.record(delivery.organisation_id, "webhook", f"Webhook {what} received.")
    return history.record(delivery.organisation_id, "webhook",
                          f"{len(events)} webhooks ({what}) received for one candidate: Lever read once.")


def _claim_delivery(delivery_id: int) -> bool:
    result = db.session.execute(update(InboxDelivery).where(
        InboxDelivery.id == delivery_id, InboxDelivery.state == "pending").values(
        state="claimed", claimed_at=utcnow(), attempts=InboxDelivery.attempts + 1))
    return result.rowcount == 1


def _claim_folded(delivery: InboxDelivery, now) -> list[int]:
    """Claim the other due deliveries for the same opportunity; their ids (those this worker got)."""
    if delivery.opportunity_lever_id is None:
        return []
    same = (InboxDelivery.connection_id == delivery.connection_id,
            InboxDelivery.opportunity_lever_id == delivery.opportunity_lever_id,
            InboxDelivery.id != delivery.id)
    ids = list(db.session.scalars(select(InboxDelivery.id).where(
        *same, InboxDelivery.state == "pending", InboxDelivery.next_try_at <= now)))
    if not ids:
        return []
    stamp = utcnow()
    db.session.execute(update(InboxDelivery).where(InboxDelivery.id.in_(ids), InboxDelivery.state == "pending")
                       .values(state="claimed", claimed_at=stamp, attempts=InboxDelivery.attempts + 1)
                       .execution_options(synchronize_session=False))
    return list(db.session.scalars(select(InboxDelivery.id).where(
        InboxDelivery.id.in_(ids), InboxDelivery.state == "claimed", InboxDelivery.claimed_at == stamp)
        .order_by(InboxDelivery.id)))


def fair_ids(paused: set[int], limit: int, now) -> list[int]:
    """The oldest due delivery of each opportunity not being processed elsewhere, taken from both ends
    of each organisation's queue and organisations in turn (`core.queues`): every organisation's
    longest-waiting and newest opportunity, then each one's second of each, ...; returned in the order
    they arrived, so the newest opportunity's effects are queued last, where the effects queue's new
    end takes them in its next pass."""
    busy = aliased(InboxDelivery)
    in_hand = exists().where(busy.connection_id == InboxDelivery.connection_id,
                             busy.opportunity_lever_id == InboxDelivery.opportunity_lever_id,
                             busy.state == "claimed")
    heads = select(InboxDelivery.organisation_id.label("org"), func.min(InboxDelivery.id).label("first")).where(
        InboxDelivery.state == "pending", InboxDelivery.next_try_at <= now, ~in_hand)
    if paused:
        heads = heads.where(InboxDelivery.connection_id.not_in(paused))
    heads = heads.group_by(InboxDelivery.organisation_id, InboxDelivery.connection_id,
                           InboxDelivery.opportunity_lever_id).subquery()
    ranked = select(heads.c.first, *queues.both_ends_turn(heads.c.org, (heads.c.first,),
                                                          (heads.c.first.desc(),))).subquery()
    chosen = db.session.scalars(select(ranked.c.first).order_by(queues.turn(ranked), ranked.c.first).limit(limit))
    return sorted(chosen)


def run_inbox(limit: int = 20) -> int:
    """Process up to `limit` opportunities' pending deliveries of connected organisations, fairly (see
    `fair_ids`), each opportunity's deliveries folded into one evaluation; returns how many deliveries."""
    paused = paused_connections()
    now = utcnow()
    ids = fair_ids(paused, limit, now)
    db.session.commit()
    done = 0
    for delivery_id in ids:
        if not _claim_delivery(delivery_id):
            db.session.rollback()
            continue
        folded = _claim_folded(db.session.get(InboxDelivery, delivery_id), now)
        db.session.commit()
        _process_claimed_delivery(delivery_id, folded)
        done += 1 + len(folded)
    db.session.commit()
    return done


def _process_claimed_delivery(delivery_id: int, folded_ids: list[int] | None = None) -> None:
    folded_ids = folded_ids or []
    delivery = db.session.get(InboxDelivery, delivery_id)
    try:
        process_delivery(delivery, [db.session.get(InboxDelivery, i) for i in folded_ids])
        db.session.commit()
        return
    except IntegrityError as exc:  # another worker decided the same thing first: look again
        error, delay = f"conflict: {exc.orig}", timedelta(seconds=1)
    except LeverRateLimitedError as exc:
        error, delay = f"rate limited: {exc}", timedelta(seconds=exc.retry_after or 5)
    except LeverAuthError as exc:
        error, delay = f"Lever refused our token: {exc}", timedelta(seconds=60)
    except LeverError as exc:
        error, delay = str(exc), retry_delay(1)
    db.session.rollback()
    for each_id in [delivery_id, *folded_ids]:
        _failed_try(db.session.get(InboxDelivery, each_id), error, delay)
    db.session.commit()


def _failed_try(delivery: InboxDelivery, error: str, delay: timedelta) -> None:
    delivery.error = error[:2000]
    if delivery.attempts >= MAX_DELIVERY_ATTEMPTS:
        delivery.state = "failed"
        history.record(delivery.organisation_id, "failure",
                       f"Webhook {delivery.event} could not be processed: {error}", outcome="failed")
    else:
        delivery.state = "pending"
        delivery.next_try_at = utcnow() + delay


def release_stale_deliveries() -> int:
    """Deliveries claimed by a worker that died go back to pending (processing them is idempotent:
    the rules re-read the opportunity from Lever)."""
    cutoff = utcnow() - claim_timeout()
    result = db.session.execute(update(InboxDelivery).where(
        InboxDelivery.state == "claimed", InboxDelivery.claimed_at < cutoff).values(
        state="pending", next_try_at=utcnow()))
    return result.rowcount or 0


def purge_inbox(now=None) -> int:
    """Delete processed deliveries older than the webhook age window (WEBHOOK_MAX_AGE_HOURS); commits.

    Replay protection stays whole: a delivery that old is refused by its `triggeredAt` before its
    token is looked up, so forgetting the token changes nothing. Failed rows stay for a person."""
    now = now or utcnow()
    window_ms = max_age_ms(current_app.config)
    cutoff_ms = int(now.timestamp() * 1000) - window_ms
    cutoff = now - timedelta(milliseconds=window_ms)
    result = db.session.execute(delete(InboxDelivery).where(
        InboxDelivery.state == "done", InboxDelivery.triggered_at < cutoff_ms, InboxDelivery.received_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


def run(worker_id: str) -> int:
    """Worker step: release deliveries of dead workers, then process what is due."""
    release_stale_deliveries()
    db.session.commit()
    return run_inbox()
