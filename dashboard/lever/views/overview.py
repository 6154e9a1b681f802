"""Queries behind the Overview: counts and funnels (from the per-job counts), what waits, and the contexts of the
Sync now, postings refresh, backfill and scheduler health partials."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from flask import current_app, url_for
from sqlalchemy import Index, bindparam, func, select

from dashboard.extensions import db
from dashboard.jobs.registry import registry
from dashboard.jobs.runs import job_health, latest_requested, requested_in_progress, scheduler_state
from dashboard.lever.connection.models import WEBHOOK_EVENTS
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import job_counts
from dashboard.lever.sync.job_counts import JobCount
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import (
    Effect,
    InboxDelivery,
    LeverAccountCache,
    LeverOpportunity,
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
    out, base = [], url_for("lever.candidates")
    for r in job_count_rows(organisation_id) if rows is None else rows:
        posting = r.posting_lever_id or None
        applied = r.applied if posting else 0
        if r.deleted or not (applied or _invitations(r)):
            continue
        funnel = {"posting_id": posting, "job": titles.get(posting, posting), "applied": applied,
                  "invited": _invitations(r), "started": r.in_progress + r.completed, "completed": r.completed,
                  "passed": r.passed, "not_invited": max(0, applied - r.with_invitation)}
        out.append(_drawn(funnel, base))
    return sorted(out, key=lambda f: f["job"] or "")


FUNNEL_STEPS = (("Applied", "applied"), ("Invited", "invited"), ("Started", "started"), ("Completed", "completed"),
                ("Passed", "passed"))


def _drawn(funnel: dict, base_url: str) -> dict:
    """Add what the chart draws (each step's bar width, share and position) and the funnel's links."""
    top = max(funnel["applied"], funnel["invited"], 1)
    steps = []
    for i, (label, key) in enumerate(FUNNEL_STEPS):
        value = funnel[key]
        steps.append({"label": label, "value": value, "y": i * 28, "width": max(round(value / top * 180, 1), 2),
                      "opacity": 1 - i * 0.14, "percent": int(round(value / top * 100)) if i else None})
    job = {"job": funnel["posting_id"]} if funnel["posting_id"] else {}
    return {**funnel, "steps": steps,
            "summary": ", ".join(f"{s['label']} {s['value']}" for s in steps),
            "url": base_url + ("?" + urlencode(job) if job else ""),
            "not_invited_url": base_url + "?" + urlencode({**job, "status": "not_invited"})}


# The Overview's health card reads the newest delivery of each webhook event and counts what waits, each
# through an index of its own (one round trip for all of them).
Index("ix_lever_inbox_organisation_event_received", InboxDelivery.organisation_id, InboxDelivery.event,
      InboxDelivery.received_at)
Index("ix_lever_effects_organisation_state_kind", Effect.organisation_id, Effect.state, Effect.kind)
WAITING_EFFECTS = ("pending", "claimed")


def health(organisation_id: int, connection) -> dict:
    """Last webhook per event, what waits for the worker (in words) and the last reconciliation, in one
    query (plus the account cache row by its key)."""
    row = db.session.execute(_health_statement(), {"organisation_id": organisation_id}).one()
    emails, writes, deliveries, mail = (int(n or 0) for n in row[:4])
    last = {event: at for event, at in zip(WEBHOOK_EVENTS, row[4:], strict=True) if at is not None}
    cache = db.session.get(LeverAccountCache, connection.id) if connection else None
    return {"last_webhook": last, "waiting": waiting_words(deliveries, writes, emails + mail),
            "last_reconciled": cache.postings_refreshed_at if cache else None}


@functools.cache
def _health_statement():
    """(invitation emails waiting, other Lever writes waiting, webhook deliveries waiting, emails queued,
    the newest delivery of each webhook event) for the organisation bound as `organisation_id`: built
    once, since building its nine subqueries costs more than running them."""
    org = bindparam("organisation_id")

    def count(model, *where):
        return select(func.count()).select_from(model).where(model.organisation_id == org, *where).scalar_subquery()

    waiting_effect = Effect.state.in_(WAITING_EFFECTS)
    return select(
        count(Effect, waiting_effect, Effect.kind == "send_invitation"),
        count(Effect, waiting_effect, Effect.kind != "send_invitation"),
        count(InboxDelivery, InboxDelivery.state.in_(("pending", "claimed"))),
        count(MailMessage, MailMessage.status.in_(("queued", "sending"))),
        *[select(func.max(InboxDelivery.received_at)).where(
            InboxDelivery.organisation_id == org, InboxDelivery.event == event).scalar_subquery()
          for event in WEBHOOK_EVENTS])


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def waiting_words(deliveries: int, writes: int, emails: int) -> list[str]:
    """What waits for the worker, in words ("2 writes to Lever", "1 email to send", ...)."""
    out = []
    if deliveries:
        out.append(_plural(deliveries, "webhook delivery to process", "webhook deliveries to process"))
    if writes:
        out.append(_plural(writes, "write to Lever", "writes to Lever"))
    if emails:
        out.append(_plural(emails, "email to send", "emails to send"))
    return out


def backfill_held(organisation_id: int) -> tuple[int, object]:
    """(how many applicants are held for the backfill decision, when the first of them was seen), in one
    read of the reason index."""
    waiting, since = db.session.execute(select(func.count(LeverOpportunity.id), func.min(
        LeverOpportunity.first_seen_at)).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.reason_code == "backfill_held",
        LeverOpportunity.deleted.is_(False))).one()
    return int(waiting or 0), since


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


def backfill_context(organisation_id: int, viewer, held: tuple[int, object] | None = None) -> dict:
    """Context of `lever/_backfill.html`: `connection`, `backfill_waiting` (opportunities held) and
    `backfill_since`, `can_decide` (admin or owner), `backfill_error` (None), `backfill_decided` (False:
    True only in the answer to the decision). `held`: `backfill_held`, when already read."""
    waiting, since = backfill_held(organisation_id) if held is None else held
    return {"connection": get_connection(organisation_id),
            "backfill_waiting": waiting, "backfill_since": since,
            "can_decide": viewer.has_role("admin"), "backfill_error": None, "backfill_decided": False}
