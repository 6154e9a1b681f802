"""The worker: takes inbox deliveries in order of arrival and performs due outbox rows.

`run_once()` does one bounded batch and commits per row; `run_forever()` loops until stopped.
Any number of workers may run: rows are claimed with an atomic compare-and-set.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverAuthError, LeverError, LeverNotFoundError, LeverRateLimitedError
from dashboard.lever.sync import history, outbox, performers, rules
from dashboard.lever.sync.models import InboxDelivery

log = logging.getLogger(__name__)
MAX_DELIVERY_ATTEMPTS = 8


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _client_for(connection):
    from dashboard.lever.connection.clients import client_for

    return client_for(connection)


def _paused_connections() -> set[int]:
    from dashboard.lever.connection.models import LeverConnection

    return set(db.session.scalars(select(LeverConnection.id).where(LeverConnection.status != "connected")))


def process_delivery(delivery: InboxDelivery) -> None:
    """Fetch the opportunity the delivery names and run the rules (the payload is only a hint)."""
    from dashboard.lever.connection.models import LeverConnection

    connection = db.session.get(LeverConnection, delivery.connection_id)
    if delivery.event == "resync":
        line = history.record(delivery.organisation_id, "decision", "Resync: reading the opportunity from Lever.",
                              outcome="info")
    else:
        line = history.record(delivery.organisation_id, "webhook", f"Webhook {delivery.event} received.")
    if delivery.event == "candidateDeleted":
        opp = rules.forget_opportunity(connection, delivery.opportunity_lever_id)
    else:
        client = _client_for(connection)
        try:
            data = client.get_opportunity(delivery.opportunity_lever_id, expand=("applications",))
        except LeverNotFoundError:
            opp = rules.forget_opportunity(connection, delivery.opportunity_lever_id)
        else:
            opp = rules.apply_opportunity(connection, client, data, source=delivery.event,
                                          to_stage_id=delivery.to_stage_id)
            if delivery.event == "resync":
                rules.repair(opp, data)
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
    paused = _paused_connections()
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
        error, delay = str(exc), outbox.backoff(1)
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


def run_effects(wid: str, limit: int = 20) -> int:
    """Perform up to `limit` due outbox rows; returns how many were attempted."""
    ids = outbox.due_ids(_paused_connections(), limit)
    done = 0
    for effect_id in ids:
        if not outbox.claim(effect_id, wid):
            db.session.rollback()
            continue
        db.session.commit()  # the claim is durable before the effect happens
        from dashboard.lever.sync.models import Effect

        effect = db.session.get(Effect, effect_id)
        try:
            performers.perform(effect, _client_for)
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            effect = db.session.get(Effect, effect_id)
            outbox.mark_retry(effect, f"conflict: {exc.orig}", delay=timedelta(seconds=1))
            db.session.commit()
        done += 1
    db.session.commit()
    return done


def release_stale_deliveries() -> int:
    """Deliveries claimed by a worker that died go back to pending (processing them is idempotent:
    the rules re-read the opportunity from Lever)."""
    cutoff = utcnow() - outbox.claim_timeout()
    result = db.session.execute(update(InboxDelivery).where(
        InboxDelivery.state == "claimed", InboxDelivery.claimed_at < cutoff).values(
        state="pending", next_try_at=utcnow()))
    return result.rowcount or 0


def purge_inbox(now=None) -> int:
    """Delete processed deliveries older than the webhook age window (WEBHOOK_MAX_AGE_HOURS); commits.

    Replay protection stays whole: a delivery that old is refused by its `triggeredAt` before its
    token is looked up, so forgetting the token changes nothing. Failed rows stay for a person."""
    from flask import current_app

    from dashboard.lever.sync.webhooks import max_age_ms

    now = now or utcnow()
    window_ms = max_age_ms(current_app.config)
    cutoff_ms = int(now.timestamp() * 1000) - window_ms
    cutoff = now - timedelta(milliseconds=window_ms)
    result = db.session.execute(delete(InboxDelivery).where(
        InboxDelivery.state == "done", InboxDelivery.triggered_at < cutoff_ms, InboxDelivery.received_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


def run_once(wid: str | None = None) -> int:
    """One pass: stale claims released, inbox processed, due effects performed."""
    wid = wid or worker_id()
    outbox.release_stale_claims()
    release_stale_deliveries()
    db.session.commit()
    return run_inbox() + run_effects(wid)


def run_forever(app, stop: threading.Event, idle_sleep: float = 0.3) -> None:
    """Loop until `stop` is set; survives database hiccups."""
    wid = worker_id()
    log.info("worker %s started", wid)
    while not stop.is_set():
        with app.app_context():
            try:
                busy = run_once(wid)
            except OperationalError:
                log.exception("database unavailable; retrying")
                db.session.rollback()
                busy = 0
            except Exception:
                log.exception("worker pass failed")
                db.session.rollback()
                busy = 0
            finally:
                db.session.remove()
        if not busy:
            stop.wait(idle_sleep)
    log.info("worker %s stopped", wid)
