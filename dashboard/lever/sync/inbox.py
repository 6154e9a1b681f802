"""The inbox: webhook deliveries stored by the receiver, processed in order of arrival by the worker.

Processing re-reads the opportunity from Lever (the payload is only a hint) and runs the rules. Any
number of workers may share the inbox: rows are claimed with an atomic compare-and-set. Processed
deliveries are purged once older than the webhook age window.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

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


def process_delivery(delivery: InboxDelivery) -> None:
    """Fetch the opportunity the delivery names and run the rules (the payload is only a hint)."""
    connection = db.session.get(LeverConnection, delivery.connection_id)
    if delivery.event == "resync":
        line = history.record(delivery.organisation_id, "decision", "Resync: reading the opportunity from Lever.",
                              outcome="info")
    else:
        label = EVENT_LABELS.get(delivery.event, delivery.event)
        line = history.record(delivery.organisation_id, "webhook", f"Webhook “{label}” received.")
    if delivery.event == "candidateDeleted":
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
            delivery.state, delivery.error, delivery.processed_at = "failed", reason, utcnow()
            return
        else:
            opp = rules.apply_opportunity(connection, client, data, source=delivery.event,
                                          to_stage_id=delivery.to_stage_id, job_hidden=not job_shown)
            if delivery.event == "resync":
                rules.repair(opp, data)
            if not opp.deleted:
                repairs.mark_repaired(connection, opp, "a resync" if delivery.event == "resync" else "a later webhook")
    if opp is not None:
        line.opportunity_id, line.candidate_id = opp.id, opp.candidate_id
    delivery.state = "done"
    delivery.processed_at = utcnow()


def _claim_delivery(delivery_id: int) -> bool:
    result = db.session.execute(update(InboxDelivery).where(
        InboxDelivery.id == delivery_id, InboxDelivery.state == "pending").values(
        state="claimed", claimed_at=utcnow(), attempts=InboxDelivery.attempts + 1))
    return result.rowcount == 1


def run_inbox(limit: int = 20) -> int:
    """Process up to `limit` pending deliveries of connected organisations; returns how many."""
    paused = paused_connections()
    query = select(InboxDelivery.id).where(InboxDelivery.state == "pending",
                                           InboxDelivery.next_try_at <= utcnow())
    if paused:
        query = query.where(InboxDelivery.connection_id.not_in(paused))
    query = query.order_by(InboxDelivery.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    done = 0
    for delivery_id in ids:
        if not _claim_delivery(delivery_id):
            db.session.rollback()
            continue
        db.session.commit()
        _process_claimed_delivery(delivery_id)
        done += 1
    db.session.commit()
    return done


def _process_claimed_delivery(delivery_id: int) -> None:
    delivery = db.session.get(InboxDelivery, delivery_id)
    try:
        process_delivery(delivery)
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
    delivery = db.session.get(InboxDelivery, delivery_id)
    delivery.error = error[:2000]
    if delivery.attempts >= MAX_DELIVERY_ATTEMPTS:
        delivery.state = "failed"
        history.record(delivery.organisation_id, "failure",
                       f"Webhook {delivery.event} could not be processed: {error}", outcome="failed")
    else:
        delivery.state = "pending"
        delivery.next_try_at = utcnow() + delay
    db.session.commit()


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
