"""Queries behind the Overview: counts and funnels (briefly cached), what waits, and the contexts of the
Sync now, postings refresh, backfill and scheduler health partials."""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import case, func, select

from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.jobs.registry import registry
from dashboard.jobs.runs import job_health, latest_requested, requested_in_progress, scheduler_state
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import (
    Effect,
    InboxDelivery,
    Invitation,
    LeverAccountCache,
    LeverOpportunity,
    LeverPosting,
)
from dashboard.mail.models import MailMessage

COUNTED_STATUSES = ("invited", "in_progress", "completed", "expired", "cancelled")
_AGGREGATES: dict[tuple, tuple[float, tuple, object]] = {}
_AGGREGATES_LOCK = threading.Lock()


def _fingerprint(organisation_id: int) -> tuple:
    """Changes whenever the sync engine records something for the organisation: a new opportunity,
    invitation or outbox row (every status change, score or evaluation queues a Lever write)."""
    return tuple(db.session.scalar(select(func.max(model.id)).where(model.organisation_id == organisation_id))
                 for model in (LeverOpportunity, Invitation, Effect))


def cached_aggregate(name: str, organisation_id: int, compute):
    """Per-organisation aggregates over every invitation (counts, funnels) are reused while nothing new
    was recorded for the organisation, for at most DASHBOARD_COUNTS_TTL seconds (default 60; 0 under
    tests), so that a page view does not re-read 100,000 rows each time."""
    ttl = current_app.config.get("DASHBOARD_COUNTS_TTL", 0 if current_app.testing else 60)
    if not ttl:
        return compute()
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], name, organisation_id)
    now, fingerprint = time.monotonic(), _fingerprint(organisation_id)
    with _AGGREGATES_LOCK:
        hit = _AGGREGATES.get(key)
    if hit and now - hit[0] < ttl and hit[1] == fingerprint:
        return hit[2]
    value = compute()
    with _AGGREGATES_LOCK:
        if len(_AGGREGATES) > 1000:  # bounded: drop everything rather than grow without limit
            _AGGREGATES.clear()
        _AGGREGATES[key] = (now, fingerprint, value)
    return value


def status_sums():
    """One `sum(case ...)` column per attempt status: aggregates without grouping by status."""
    return [func.sum(case((Attempt.status == status, 1), else_=0)) for status in COUNTED_STATUSES]


def counts_by_posting(organisation_id: int) -> dict[str, dict[str, int]]:
    """Invitations per posting and attempt status, in one pass ordered by the posting index (briefly cached)."""
    return cached_aggregate("counts_by_posting", organisation_id, lambda: _read_counts_by_posting(organisation_id))


def _read_counts_by_posting(organisation_id: int) -> dict[str, dict[str, int]]:
    rows = db.session.execute(
        select(LeverOpportunity.posting_lever_id, *status_sums())
        .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
        .join(Attempt, Attempt.id == Invitation.attempt_id)
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False))
        .group_by(LeverOpportunity.posting_lever_id)).all()
    return {row[0]: {s: int(n or 0) for s, n in zip(COUNTED_STATUSES, row[1:], strict=True)} for row in rows}


def funnels(organisation_id: int) -> list[dict]:
    """Per job: applied (every applicant the integration has seen on it) → invited → started → completed
    → passed, and how many were not invited."""
    return cached_aggregate("funnels", organisation_id, lambda: _read_funnels(organisation_id))


def _read_funnels(organisation_id: int) -> list[dict]:
    applied = dict(db.session.execute(
        select(LeverOpportunity.posting_lever_id, func.count(LeverOpportunity.id))
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
               LeverOpportunity.posting_lever_id.is_not(None))
        .group_by(LeverOpportunity.posting_lever_id)).all())
    started = case((Attempt.status.in_(("in_progress", "completed")), 1), else_=0)
    completed = case((Attempt.status == "completed", 1), else_=0)
    passed = case(((Attempt.status == "completed") & (Attempt.final_score >= Attempt.passing_score), 1), else_=0)
    rows = db.session.execute(  # aggregated in the database: one row per job, never one per candidate
        select(LeverOpportunity.posting_lever_id, func.count(Invitation.id), func.sum(started),
               func.sum(completed), func.sum(passed), func.count(func.distinct(LeverOpportunity.id)))
        .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
        .join(Attempt, Attempt.id == Invitation.attempt_id)
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False))
        .group_by(LeverOpportunity.posting_lever_id)).all()
    titles = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
        LeverPosting.organisation_id == organisation_id)).all())
    out: dict[str, dict] = {}
    for posting_id, count in applied.items():
        out[posting_id] = {"posting_id": posting_id, "job": titles.get(posting_id, posting_id), "applied": count,
                           "invited": 0, "started": 0, "completed": 0, "passed": 0, "not_invited": count}
    for posting_id, invited, n_started, n_completed, n_passed, opportunities in rows:
        f = out.setdefault(posting_id, {"posting_id": posting_id, "job": titles.get(posting_id, posting_id),
                                        "applied": 0, "not_invited": 0})
        f.update(invited=invited, started=int(n_started or 0), completed=int(n_completed or 0),
                 passed=int(n_passed or 0), not_invited=max(0, f["applied"] - opportunities))
    return sorted(out.values(), key=lambda f: f["job"])


def health(organisation_id: int, connection) -> dict:
    """Last webhook per event, what waits for the worker (in words) and the last reconciliation."""
    last = dict(db.session.execute(select(InboxDelivery.event, func.max(InboxDelivery.received_at)).where(
        InboxDelivery.organisation_id == organisation_id).group_by(InboxDelivery.event)).all())
    cache = db.session.get(LeverAccountCache, connection.id) if connection else None
    return {"last_webhook": last, "waiting": waiting_work(organisation_id),
            "last_reconciled": cache.postings_refreshed_at if cache else None}


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def waiting_work(organisation_id: int) -> list[str]:
    """What waits for the worker, in words ("2 Lever writes", "1 invitation email", "3 webhooks")."""
    kinds = dict(db.session.execute(select(Effect.kind, func.count(Effect.id)).where(
        Effect.organisation_id == organisation_id, Effect.state.in_(("pending", "claimed")))
        .group_by(Effect.kind)).all())
    emails = kinds.pop("send_invitation", 0)
    writes = sum(kinds.values())
    deliveries = db.session.scalar(select(func.count(InboxDelivery.id)).where(
        InboxDelivery.organisation_id == organisation_id, InboxDelivery.state.in_(("pending", "claimed")))) or 0
    mail = db.session.scalar(select(func.count(MailMessage.id)).where(
        MailMessage.organisation_id == organisation_id, MailMessage.status.in_(("queued", "sending")))) or 0
    out = []
    if deliveries:
        out.append(_plural(deliveries, "webhook delivery to process", "webhook deliveries to process"))
    if writes:
        out.append(_plural(writes, "write to Lever", "writes to Lever"))
    if emails + mail:
        out.append(_plural(emails + mail, "email to send", "emails to send"))
    return out


def sync_now_context(organisation_id: int, viewer) -> dict:
    """Context of `lever/_sync_now.html`: `sync_running`, `sync_runs` (latest requested run per job),
    `can_sync` (admin or owner), `connected`, `sync_error` (None)."""
    connection = get_connection(organisation_id)
    return {"sync_running": requested_in_progress(organisation_id, SYNC_JOBS),
            "sync_runs": latest_requested(organisation_id, SYNC_JOBS),
            "can_sync": viewer.has_role("admin"), "sync_error": None,
            "connected": connection is not None and connection.status == "connected"}


def refresh_context(organisation_id: int, viewer) -> dict:
    """Context of `lever/_refresh_postings.html`: the latest requested postings refresh and whether one
    is queued or running, `can_refresh` (admin or owner), `refresh_error` (None), `postings_interval`."""
    runs = latest_requested(organisation_id, ("postings",))
    minutes = max(1, round(registry().by_id["postings"].interval(current_app.config).total_seconds() / 60))
    return {"refresh_run": runs[0] if runs else None,
            "refresh_running": requested_in_progress(organisation_id, ("postings",)),
            "can_refresh": viewer.has_role("admin"), "refresh_error": None,
            "postings_interval": f"{minutes} minute{'s' if minutes != 1 else ''}"}


def scheduler_health_context(organisation_id: int, config) -> dict:
    """Context of `lever/_scheduler_health.html`: `scheduler_health` (JobHealth per job) and `scheduler`
    (is one running, since when). Jobs run per organisation wait for their first run from the connection."""
    connection = get_connection(organisation_id)
    scheduler = scheduler_state()
    since = connection.connected_at if connection is not None and connection.is_connected else None
    return {"scheduler_health": job_health(organisation_id, config, waiting_since=since, scheduler=scheduler),
            "scheduler": scheduler}


def backfill_context(organisation_id: int, viewer) -> dict:
    """Context of `lever/_backfill.html`: `connection`, `backfill_waiting` (opportunities held) and
    `backfill_since`, `can_decide` (admin or owner), `backfill_error` (None), `backfill_decided` (False:
    True only in the answer to the decision)."""
    return {"connection": get_connection(organisation_id),
            "backfill_waiting": sync_services.backfill_waiting(organisation_id),
            "backfill_since": sync_services.backfill_since(organisation_id),
            "can_decide": viewer.has_role("admin"), "backfill_error": None, "backfill_decided": False}
