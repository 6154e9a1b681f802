"""Changes reconciliation applied that no webhook announced: the sign of webhook groups switched off.

For each opportunity it applies, reconciliation compares what it knew before with what Lever shows: a
new application, a new stage or a new archived state should each have come with a webhook
(applicationCreated, candidateStageChange, candidateArchiveChange). A change made before the connection,
or too recent for its webhook to have arrived yet (WEBHOOK_GRACE_SECONDS, 120), proves nothing. Two
runs in a row that apply unannounced changes make a Needs attention item naming the webhook groups to
switch on; a delivery of one of those events afterwards (or a run whose changes were all announced)
clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from dashboard.core.clock import as_utc
from dashboard.extensions import db
from dashboard.jobs.registry import setting
from dashboard.lever.sync.models import InboxDelivery, LeverOpportunity, ReconcileState

RUNS_FOR_ALARM = 2
SLACK_MS = 5 * 60 * 1000  # a delivery triggered a little before the version we knew still announced it


@dataclass(frozen=True)
class Before:
    """What we knew of an opportunity before reconciliation applied Lever's version."""

    stage: str | None
    archived: bool
    updated_at: int | None


@dataclass
class Tally:
    """One run's changes that should have had a webhook, and those that had none."""

    expected: int = 0
    unannounced: int = 0
    events: set[str] = field(default_factory=set)


def snapshot(opp: LeverOpportunity | None) -> Before | None:
    """What we know now (None: never seen)."""
    return None if opp is None else Before(opp.stage_lever_id, bool(opp.archived), opp.lever_updated_at)


def check(connection, before: Before | None, opp: LeverOpportunity, data: dict, started_ms: int,
          tally: Tally) -> None:
    """Count the change reconciliation just applied to `opp` (`before` it, `data` as Lever shows it)."""
    if before is None:
        events, changed_at = {"applicationCreated"}, data.get("createdAt")
    else:
        events = {"candidateStageChange"} if opp.stage_lever_id != before.stage else set()
        if bool(opp.archived) != before.archived:
            events.add("candidateArchiveChange")
        changed_at = data.get("updatedAt")
    grace_ms = int(float(setting(current_app.config, "WEBHOOK_GRACE_SECONDS", 120)) * 1000)
    connected_ms = int(as_utc(connection.connected_at).timestamp() * 1000) if connection.connected_at else None
    if (not events or not isinstance(changed_at, int) or connected_ms is None or changed_at < connected_ms
            or changed_at > started_ms - grace_ms):
        return
    since = min(changed_at, (before.updated_at or changed_at) if before else changed_at) - SLACK_MS
    heard = set(db.session.scalars(select(InboxDelivery.event).where(
        InboxDelivery.connection_id == connection.id, InboxDelivery.opportunity_lever_id == opp.lever_id,
        InboxDelivery.event.in_(events), InboxDelivery.triggered_at >= since)))
    tally.expected += 1
    if events - heard:
        tally.unannounced += 1
        tally.events |= events - heard


def _heard_since(state: ReconcileState) -> bool:
    """A delivery of one of the missing events arrived after the run that found them missing."""
    return db.session.scalar(select(InboxDelivery.id).where(
        InboxDelivery.connection_id == state.connection_id, InboxDelivery.id > (state.unannounced_after_id or 0),
        InboxDelivery.event.in_(state.unannounced_events or [])).limit(1)) is not None


def record(state: ReconcileState, tally: Tally) -> None:
    """Keep the run's verdict on the reconciliation state (no commit)."""
    if state.unannounced_runs and _heard_since(state):
        state.unannounced_runs, state.unannounced_events = 0, []
    if tally.unannounced:
        state.unannounced_runs = (state.unannounced_runs or 0) + 1
        state.unannounced_events = sorted(set(state.unannounced_events or []) | tally.events)
        state.unannounced_after_id = db.session.scalar(select(func.max(InboxDelivery.id))) or 0
    elif tally.expected:
        state.unannounced_runs, state.unannounced_events = 0, []


def switched_off(state: ReconcileState | None) -> list[str]:
    """The webhook events that look switched off in Lever (empty when none do)."""
    if state is None or (state.unannounced_runs or 0) < RUNS_FOR_ALARM or _heard_since(state):
        return []
    return list(state.unannounced_events or [])
