"""The drift check: what Lever should show for live attempts, against what was last written and what
Lever shows, repaired in the same reconciliation run even when the opportunity did not change in Lever.

Each opportunities run (`reconcile.reconcile_opportunities`) ends with `check()`, in two steps:

1. **Local, no Lever call.** For the opportunities with an open or running invitation, or whose last
   written status tag was Invited, In Progress or Expired, the status their attempts now imply is compared
   with `status_written` (what our last successful write left). A difference queues the status write:
   whatever happened on the platform (a cancellation, a reopening, an expiry) reaches Lever by the next
   run even if the write it should have queued was lost. A few database queries per run (one per 500
   such opportunities), no Lever call.
2. **Re-read, bounded.** At most `RECONCILE_DRIFT_BUDGET` (20) live opportunities (not archived or
   deleted, with an attempt that is not cancelled, no write waiting), those checked longest ago first
   (`last_checked_at`, never checked first), are read from Lever, one GET each, and compared by
   `rules.repair`: the status tag, the link, the job's tags, and our feedback against the values last
   written. A tag a person removed by hand is put back even though the watermark listing never sees the
   opportunity change. Opportunities the run's listing showed are compared with the listed data
   instead (no second read); the re-reads go to those it did not show. With N live opportunities,
   each is re-read at least every ⌈N / budget⌉ runs; the cost of a run is the budget's reads plus the
   writes the repairs need, whatever N is.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import exists, or_, select, true

from dashboard.attempts.models import Attempt
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverError, LeverNotFoundError
from dashboard.lever.sync import rules
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity

log = logging.getLogger(__name__)
DEFAULT_BUDGET = 20
OPEN = ("invited", "in_progress")
LIVE = ("invited", "in_progress", "completed", "expired")
MOVABLE = (tag_rules.STATUS_INVITED, tag_rules.STATUS_IN_PROGRESS, tag_rules.STATUS_EXPIRED)
CHUNK = 500


def budget() -> int:
    """How many opportunities one run may re-read from Lever."""
    return max(0, int(current_app.config.get("RECONCILE_DRIFT_BUDGET", DEFAULT_BUDGET)))


def check(connection, client, *, limit: int | None = None, checked_before=None) -> dict:
    """Both steps for one connection, committing per opportunity; returns what was found and queued.
    `checked_before`: re-read only opportunities last checked before then (those a listing of this run
    showed were compared with its data already)."""
    local = local_drift(connection)
    reread, repaired, failed = reread_oldest(connection, client, budget() if limit is None else limit,
                                             checked_before)
    return {"local": local, "reread": reread, "repaired": repaired, "failed": failed}


def local_drift(connection) -> int:
    """Step 1: queue a status write for every opportunity whose last written status differs from what its
    attempts imply (only where the status can still move). Returns how many were queued."""
    written = dict(db.session.execute(select(LeverOpportunity.id, LeverOpportunity.status_written).distinct()
                                      .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
                                      .join(Attempt, Attempt.id == Invitation.attempt_id)
                                      .where(LeverOpportunity.connection_id == connection.id,
                                             LeverOpportunity.deleted.is_(False),
                                             LeverOpportunity.status_written_at.is_not(None),
                                             or_(Attempt.status.in_(OPEN),
                                                 LeverOpportunity.status_written.in_(MOVABLE)))).all())
    ids = sorted(written)
    statuses: dict[int, set[str]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for opp_id, status in db.session.execute(select(Invitation.opportunity_id, Attempt.status).join(
                Attempt, Attempt.id == Invitation.attempt_id).where(Invitation.opportunity_id.in_(chunk))):
            statuses.setdefault(opp_id, set()).add(status)
    drifted = [i for i in ids if tag_rules.status_for(statuses.get(i, ())) != written[i]]
    for opp_id in drifted:
        rules.enqueue_status(db.session.get(LeverOpportunity, opp_id))
    db.session.commit()
    return len(drifted)


def _due(connection, limit: int, checked_before=None) -> list[int]:
    """Live opportunities without a write waiting, checked longest ago first (and before `checked_before`)."""
    live = exists().where(Invitation.opportunity_id == LeverOpportunity.id, Attempt.id == Invitation.attempt_id,
                          Attempt.status.in_(LIVE))
    waiting = exists().where(Effect.opportunity_id == LeverOpportunity.id, Effect.state.in_(("pending", "claimed")))
    return list(db.session.scalars(select(LeverOpportunity.id).where(
        LeverOpportunity.connection_id == connection.id, LeverOpportunity.deleted.is_(False),
        LeverOpportunity.archived.is_(False), LeverOpportunity.candidate_id.is_not(None), live, ~waiting,
        true() if checked_before is None else or_(LeverOpportunity.last_checked_at.is_(None),
                                                  LeverOpportunity.last_checked_at < checked_before),
    ).order_by(LeverOpportunity.last_checked_at.asc().nulls_first(), LeverOpportunity.id).limit(limit)))


def reread_oldest(connection, client, limit: int, checked_before=None) -> tuple[int, int, int]:
    """Step 2: read up to `limit` due opportunities from Lever and repair what differs.
    Returns (read, repairs queued, failed reads); stops at the first failure other than "not found"."""
    if limit <= 0:
        return 0, 0, 0
    read = repaired = failed = 0
    for opp_id in _due(connection, limit, checked_before):
        opp = db.session.get(LeverOpportunity, opp_id)
        try:
            data = client.get_opportunity(opp.lever_id)
        except LeverNotFoundError:
            opp.last_checked_at = utcnow()  # gone or hidden: its webhook (or the listing) says what happened
            db.session.commit()
            failed += 1
            continue
        except LeverError as exc:
            db.session.rollback()
            log.warning("drift check stopped for connection %s: %s", connection.id, exc)
            return read, repaired, failed + 1
        read += 1
        repaired += rules.repair(opp, data)
        db.session.commit()
    return read, repaired, failed
