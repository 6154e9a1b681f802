"""Webhook deliveries that failed and were put right later: reconciliation (or a later delivery) read
the opportunity and applied it. They leave the failed state for `repaired`, and the applicant's sync
history says how, when, and how late."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts.services import organisation_timezone
from dashboard.core.clock import as_utc, utcnow
from dashboard.core.templating import format_datetime
from dashboard.extensions import db
from dashboard.lever.connection.models import EVENT_LABELS
from dashboard.lever.sync import history
from dashboard.lever.sync.models import InboxDelivery, LeverOpportunity


def _minutes(delta_seconds: float) -> str:
    minutes = max(0, round(delta_seconds / 60))
    return "less than a minute" if minutes == 0 else f"{minutes} minute{'s' if minutes != 1 else ''}"


def mark_repaired(connection, opp: LeverOpportunity, by: str) -> int:
    """Mark the failed deliveries about `opp` repaired `by` ("reconciliation", "a later webhook", "a
    resync") with a history line each; returns how many."""
    failed = db.session.scalars(select(InboxDelivery).where(
        InboxDelivery.connection_id == connection.id, InboxDelivery.opportunity_lever_id == opp.lever_id,
        InboxDelivery.state == "failed")).all()
    if not failed:
        return 0
    now, zone = utcnow(), organisation_timezone(opp.organisation_id)
    for delivery in failed:
        delivery.state, delivery.processed_at = "repaired", now
        label = EVENT_LABELS.get(delivery.event, delivery.event)
        late = (now - as_utc(delivery.received_at)).total_seconds()
        history.record(opp.organisation_id, "repair",
                       f"Repaired by {by} at {format_datetime(now, '%H:%M', zone)} after the webhook “{label}” "
                       f"of {format_datetime(delivery.received_at, '%d %b %H:%M', zone)} failed: applied "
                       f"{_minutes(late)} late.",
                       candidate_id=opp.candidate_id, opportunity_id=opp.id, outcome="ok", detail=delivery.error)
    return len(failed)
