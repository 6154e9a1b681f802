"""The sync history: one line per webhook, decision, email, Lever write, retry and failure."""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.lever.sync.models import SyncEvent


def record(organisation_id: int, kind: str, summary: str, *, candidate_id: int | None = None,
           opportunity_id: int | None = None, effect_id: int | None = None, outcome: str = "ok",
           detail: str | None = None) -> SyncEvent:
    """Add a history line to the current transaction (the caller commits)."""
    event = SyncEvent(organisation_id=organisation_id, candidate_id=candidate_id,
                      opportunity_id=opportunity_id, effect_id=effect_id, kind=kind,
                      outcome=outcome, summary=summary[:500], detail=detail)
    db.session.add(event)
    return event
