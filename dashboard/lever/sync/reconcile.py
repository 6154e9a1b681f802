"""Periodic Lever jobs: refresh the catalog, reconcile opportunities, keep tokens alive.

Each job takes a connection id, reads what it needs, commits as it goes and is safe to run
twice: the rules are idempotent and the watermark only moves after a complete pass.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.jobs.runs import CallCounter
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.connection.tokens import ConnectionTokenSource
from dashboard.lever.sync import announced, catalog, drift, history, job_counts, reads, rules
from dashboard.lever.sync import repairs as repairs_module
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity, LeverPosting, ReconcileState

log = logging.getLogger(__name__)


def connected_connections() -> list[tuple[int, int]]:
    """(organisation id, connection id) of every connected organisation: the targets of the Lever jobs."""
    rows = db.session.execute(select(LeverConnection.organisation_id, LeverConnection.id).where(
        LeverConnection.status == "connected").order_by(LeverConnection.id)).all()
    return [(oid, cid) for oid, cid in rows]


def _client(connection: LeverConnection, counter: CallCounter | None):
    """The connection's client with a usable token. A refresh writes the connection in a session of its
    own: it happens here, before the job writes anything (on SQLite a write in progress would make the
    refresh wait on it and fail)."""
    client = client_for(connection)
    client.token_source.access_token()
    return counter.attach(client) if counter is not None else client


def _connection(connection_id: int) -> LeverConnection:
    connection = db.session.get(LeverConnection, connection_id)
    if connection is None:
        raise LookupError(f"Lever connection {connection_id} does not exist.")
    return connection


def refresh_catalog(connection_id: int, counter: CallCounter | None = None) -> dict:
    """Re-read postings and stages; report how many postings are linked and their tag warnings."""
    connection = _connection(connection_id)
    client = _client(connection, counter)
    postings = catalog.refresh_postings(connection, client)
    stages = catalog.refresh_stages(connection, client)
    linked, warnings = 0, 0
    for posting in db.session.scalars(select(LeverPosting).where(LeverPosting.connection_id == connection.id)):
        resolution = catalog.resolve_posting(connection, posting, client)
        linked += int(resolution.linked)
        warnings += len(resolution.warnings)
    db.session.commit()
    return {"postings": postings, "stages": len(stages), "linked": linked, "warnings": warnings}


def reconcile_state(connection: LeverConnection) -> ReconcileState:
    """The connection's reconciliation progress row, created on first use."""
    state = db.session.get(ReconcileState, connection.id)
    if state is None:
        state = ReconcileState(connection_id=connection.id, organisation_id=connection.organisation_id,
                               listed_postings=[])
        db.session.add(state)
        db.session.flush()
    return state


def linked_postings(connection: LeverConnection, client=None) -> list[str]:
    """Lever ids of the postings whose tags link an assessment."""
    rows = db.session.scalars(select(LeverPosting).where(LeverPosting.connection_id == connection.id)
                              .order_by(LeverPosting.id))
    return [p.lever_id for p in rows if catalog.resolve_posting(connection, p, client).linked]


def _effect_count(connection_id: int) -> int:
    return db.session.scalar(select(func.count(Effect.id)).where(Effect.connection_id == connection_id)) or 0


def _has_pending_writes(opp: LeverOpportunity) -> bool:
    return db.session.scalar(select(Effect.id).where(
        Effect.opportunity_id == opp.id, Effect.state.in_(("pending", "claimed"))).limit(1)) is not None


def _listings(state: ReconcileState, linked: list[str], overlap_ms: int) -> list[tuple[list[str], int | None]]:
    """What to list: (posting ids, updated_at_start) pairs. Postings never listed completely, or a
    requested full pass, are listed without a lower bound."""
    if state.watermark_ms is None or state.full_pass_requested:
        return [(linked, None)]
    known = [p for p in linked if p in (state.listed_postings or [])]
    fresh = [p for p in linked if p not in (state.listed_postings or [])]
    return [(known, state.watermark_ms - overlap_ms), (fresh, None)]


def reconcile_opportunities(connection_id: int, counter: CallCounter | None = None) -> dict:
    """List the opportunities of linked jobs changed since the watermark and apply the same rules
    as webhooks, plus repairs for invited ones. The watermark moves only when the pass completes; the
    drift check (drift.py) then compares live opportunities with what was written, within its budget,
    without reading again those the listing just showed (their data was compared as listed)."""
    connection = _connection(connection_id)
    client = _client(connection, counter)
    state = reconcile_state(connection)
    started_at = utcnow()
    started_ms = int(started_at.timestamp() * 1000)
    overlap_ms = int(current_app.config.get("RECONCILE_OVERLAP_SECONDS", 300)) * 1000
    _catalog_read_once(connection, client)
    linked = linked_postings(connection, client)
    full = state.watermark_ms is None or state.full_pass_requested
    effects_before = _effect_count(connection.id)
    invited_before = db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.organisation_id == connection.organisation_id)) or 0
    db.session.commit()
    seen = applied = repairs = 0
    tally = announced.Tally()
    for postings, since in _listings(state, linked, overlap_ms):
        for data, posting_hint in reads.list_candidates(connection, client, postings, since):
            seen += 1
            known = db.session.scalar(select(LeverOpportunity).where(
                LeverOpportunity.connection_id == connection.id, LeverOpportunity.lever_id == data["id"]))
            had_invitation = known is not None and db.session.scalar(select(Invitation.id).where(
                Invitation.opportunity_id == known.id).limit(1)) is not None
            if (not full and known is not None and known.lever_updated_at == data.get("updatedAt")
                    and known.posting_lever_id is not None):
                # Already applied at this version (the overlap window). The listing's data is in hand:
                # compare it now, so the drift check need not read it again.
                if had_invitation and not _has_pending_writes(known):
                    repairs += rules.repair(known, data)
                    db.session.commit()
                continue
            before = announced.snapshot(known)
            opp = rules.apply_opportunity(connection, client, data, source="reconcile", posting_hint=posting_hint)
            opp.last_checked_at = utcnow()  # applied from the listing: the drift check need not read it again
            applied += 1
            _after_apply(connection, before, opp, data, started_ms, tally)
            if had_invitation and not _has_pending_writes(opp):
                repairs += rules.repair(opp, data)
            db.session.commit()
    state = reconcile_state(_connection(connection_id))
    state.watermark_ms = max(started_ms, state.watermark_ms or 0)
    state.listed_postings = sorted(set(state.listed_postings or []) | set(linked))
    state.full_pass_requested = False
    state.last_completed_at = utcnow()
    announced.record(state, tally)
    if job_counts.recount(connection.organisation_id):  # a change made outside the ORM's sight
        history.record(connection.organisation_id, "repair", "The dashboard's counts per job were recounted "
                       "from the records: they had drifted.", outcome="info")
    db.session.commit()
    checked = drift.check(_connection(connection_id), client, checked_before=started_at)
    invited_after = db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.organisation_id == connection.organisation_id)) or 0
    changes = {"listed": seen, "applied": applied, "invited": invited_after - invited_before,
               "repairs": repairs, "effects": _effect_count(connection.id) - effects_before,
               "unannounced": tally.unannounced, "full": full, **{f"drift_{k}": v for k, v in checked.items()}}
    db.session.commit()
    return changes


def _catalog_read_once(connection: LeverConnection, client) -> None:
    """A connection's first reconciliation reads the postings and stages first, when the postings job
    has not yet run for it (it may be minutes away): otherwise no job would look linked."""
    if catalog.account_cache(connection).postings_refreshed_at is None:
        catalog.refresh_postings(connection, client)
        catalog.refresh_stages(connection, client)
        db.session.commit()


def _after_apply(connection, before, opp: LeverOpportunity, data: dict, started_ms: int,
                 tally: announced.Tally) -> None:
    """What reconciliation learns from applying one opportunity: a webhook that failed for it is
    repaired; a change that no webhook announced is counted."""
    if not opp.deleted:
        repairs_module.mark_repaired(connection, opp, "reconciliation")
        announced.check(connection, before, opp, data, started_ms, tally)


def refresh_tokens(connection_id: int, counter: CallCounter | None = None) -> dict:
    """Refresh the access token when under two hours remain, and every connection at least daily."""
    ahead = timedelta(seconds=int(current_app.config.get("TOKEN_REFRESH_AHEAD_SECONDS", 7200)))
    connection = _connection(connection_id)
    left = connection.expires_in()
    if left is not None and left < ahead.total_seconds():
        ConnectionTokenSource(connection_id, refresh_ahead=ahead).access_token()
        refreshed = True
    else:
        refreshed = ConnectionTokenSource(connection_id).keep_alive(max_age=timedelta(hours=23))
    db.session.rollback()
    connection = _connection(connection_id)
    return {"refreshed": int(refreshed),
            "expires_at": as_utc(connection.expires_at).isoformat() if connection.expires_at else None}


def request_full_pass(connection_id: int) -> None:
    """Make the next opportunities run list every opportunity of linked jobs (no commit)."""
    connection = _connection(connection_id)
    reconcile_state(connection).full_pass_requested = True
