"""Queries behind the Overview: counts and funnels (from the per-job counts), what waits, and the contexts of the
Sync now, postings refresh, backfill and scheduler health partials."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.jobs.registry import registry
from dashboard.jobs.runs import job_health, latest_requested, requested_in_progress, scheduler_state
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import job_counts
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.job_counts import JobCount
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import (
    Effect,
    InboxDelivery,
    LeverAccountCache,
    LeverPosting,
)
from dashboard.mail.models import MailMessage

COUNTED_STATUSES = job_counts.STATUSES


def job_count_rows(organisation_id: int) -> list[JobCount]:
    """The organisation's per-job counts (one short row per job and deleted flag)."""
    return list(db.session.scalars(select(JobCount).where(JobCount.organisation_id == organisation_id)))


def status_counts(organisation_id: int, rows: list[JobCount] | None = None) -> dict[str, int]:
    """Invitations by attempt status (deleted opportunities' included), and applicants not invited.
    `rows`: the organisation's job counts, when already read."""
    rows = job_count_rows(organisation_id) if rows is None else rows
    counts = {s: sum(getattr(r, s) for r in rows) for s in COUNTED_STATUSES}
    counts["not_invited"] = sum(r.not_invited for r in rows if not r.deleted)
    return {s: n for s, n in counts.items() if n}


def counts_by_posting(organisation_id: int) -> dict[str | None, dict[str, int]]:
    """Invitations per posting and attempt status (deleted opportunities left out)."""
    return {r.posting_lever_id or None: {s: getattr(r, s) for s in COUNTED_STATUSES}
            for r in job_count_rows(organisation_id) if not r.deleted and _invitations(r)}


def _invitations(row: JobCount) -> int:
    return sum(getattr(row, s) for s in COUNTED_STATUSES)


def funnels(organisation_id: int, titles: dict[str, str] | None = None, rows: list[JobCount] | None = None
            ) -> list[dict]:
    """Per job: applied (every applicant the integration has seen on it) → invited → started → completed
    → passed, and how many were not invited. `titles` (posting id → title) and `rows` (the job counts):
    when already read."""
    if titles is None:
        titles = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
            LeverPosting.organisation_id == organisation_id)).all())
    out = []
    for r in job_count_rows(organisation_id) if rows is None else rows:
        posting = r.posting_lever_id or None
        applied = r.applied if posting else 0
        if r.deleted or not (applied or _invitations(r)):
            continue
        out.append({"posting_id": posting, "job": titles.get(posting, posting), "applied": applied,
                    "invited": _invitations(r),
                    "started": r.in_progress + r.completed, "completed": r.completed, "passed": r.passed,
                    "not_invited": max(0, applied - r.with_invitation)})
    return sorted(out, key=lambda f: f["job"] or "")


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
