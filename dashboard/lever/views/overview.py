"""Queries behind the overview, linked-jobs and activity pages."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import case, func, select

from dashboard.assessments.models import Assessment
from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.jobs.runs import job_health, latest_requested, recent_runs, requested_in_progress
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import catalog
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.jobs import SYNC_JOBS
from dashboard.lever.sync.models import (
    Effect,
    InboxDelivery,
    Invitation,
    LeverAccountCache,
    LeverOpportunity,
    LeverPosting,
)


@dataclass
class JobRow:
    """One posting as the linked-jobs page shows it."""

    posting: LeverPosting
    assessments: list[str]
    trigger: str
    warnings: list[str]
    counts: dict = field(default_factory=dict)


def jobs(connection) -> tuple[list[JobRow], list[LeverPosting]]:
    """(postings with one of our tags, with what they resolve to; postings without any)."""
    brand = connection.tag_brand or "Alooba"
    postings = db.session.scalars(select(LeverPosting).where(
        LeverPosting.connection_id == connection.id).order_by(LeverPosting.text)).all()
    names = dict(db.session.execute(select(Assessment.id, Assessment.name).where(
        Assessment.organisation_id == connection.organisation_id)).all())
    counts = _counts_by_posting(connection.organisation_id)
    published, others = catalog.assessment_names(connection.organisation_id)  # once, not per posting
    stages: dict[str, str] | None = None
    linked, untagged = [], []
    for posting in postings:
        parsed = tag_rules.parse_posting_tags(brand, posting.tags or [])
        if not (parsed.assessment_names or parsed.stage_names or parsed.malformed):
            untagged.append(posting)
            continue
        if parsed.stage_names and stages is None:
            stages = catalog.stage_map(connection)
        res = tag_rules.resolve(parsed, published, others, stages if parsed.stage_names else {})
        if res.waits_for_stage:
            stages = " or ".join(f"“{s}”" for s in res.stage_names)
            trigger = f"at stage {stages}" + (" (stage not found)" if res.blocked else "")
        else:
            trigger = "on application"
        linked.append(JobRow(posting, [names.get(i, "?") for i in res.assessment_ids], trigger, res.warnings,
                             counts.get(posting.lever_id, {})))
    return linked, untagged


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


def _counts_by_posting(organisation_id: int) -> dict[str, dict[str, int]]:
    """Invitations per posting and attempt status, in one pass ordered by the posting index."""
    return cached_aggregate("counts_by_posting", organisation_id, lambda: _read_counts_by_posting(organisation_id))


def _read_counts_by_posting(organisation_id: int) -> dict[str, dict[str, int]]:
    rows = db.session.execute(
        select(LeverOpportunity.posting_lever_id, *status_sums())
        .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
        .join(Attempt, Attempt.id == Invitation.attempt_id)
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False))
        .group_by(LeverOpportunity.posting_lever_id)).all()
    return {row[0]: {s: int(n or 0) for s, n in zip(COUNTED_STATUSES, row[1:], strict=True)} for row in rows}


def tag_suggestions(organisation_id: int, connection) -> list[str]:
    """The tag to copy for each published assessment."""
    brand = (connection.tag_brand if connection else None) or "Alooba"
    names = db.session.scalars(select(Assessment.name).where(
        Assessment.organisation_id == organisation_id, Assessment.status == "published")
        .order_by(Assessment.name)).all()
    return [f"{brand} Assessment - {name}" for name in names]


def funnels(organisation_id: int) -> list[dict]:
    """Per linked job: applied → invited → started → completed → passed."""
    return cached_aggregate("funnels", organisation_id, lambda: _read_funnels(organisation_id))


def _read_funnels(organisation_id: int) -> list[dict]:
    applied = dict(db.session.execute(
        select(LeverOpportunity.posting_lever_id, func.count(LeverOpportunity.id))
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
               LeverOpportunity.tags_inherited.is_(True))
        .group_by(LeverOpportunity.posting_lever_id)).all())
    started = case((Attempt.status.in_(("in_progress", "completed")), 1), else_=0)
    completed = case((Attempt.status == "completed", 1), else_=0)
    passed = case(((Attempt.status == "completed") & (Attempt.final_score >= Attempt.passing_score), 1), else_=0)
    rows = db.session.execute(  # aggregated in the database: one row per job, never one per candidate
        select(LeverOpportunity.posting_lever_id, func.count(Invitation.id), func.sum(started),
               func.sum(completed), func.sum(passed))
        .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
        .join(Attempt, Attempt.id == Invitation.attempt_id)
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False))
        .group_by(LeverOpportunity.posting_lever_id)).all()
    titles = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
        LeverPosting.organisation_id == organisation_id)).all())
    out: dict[str, dict] = {}
    for posting_id, count in applied.items():
        out[posting_id] = {"posting_id": posting_id, "job": titles.get(posting_id, posting_id), "applied": count,
                           "invited": 0,
                           "started": 0, "completed": 0, "passed": 0}
    for posting_id, invited, n_started, n_completed, n_passed in rows:
        f = out.setdefault(posting_id, {"posting_id": posting_id, "job": titles.get(posting_id, posting_id),
                                        "applied": 0})
        f.update(invited=invited, started=int(n_started or 0), completed=int(n_completed or 0),
                 passed=int(n_passed or 0))
    return sorted(out.values(), key=lambda f: f["job"])


def health(organisation_id: int, connection) -> dict:
    """Last webhook per event, queue depth and failures, for the overview card."""
    last = dict(db.session.execute(select(InboxDelivery.event, func.max(InboxDelivery.received_at)).where(
        InboxDelivery.organisation_id == organisation_id).group_by(InboxDelivery.event)).all())
    pending = db.session.scalar(select(func.count(Effect.id)).where(
        Effect.organisation_id == organisation_id, Effect.state.in_(("pending", "claimed")))) or 0
    cache = db.session.get(LeverAccountCache, connection.id) if connection else None
    return {"last_webhook": last, "pending": pending,
            "last_reconciled": cache.postings_refreshed_at if cache else None}


ACTIVITY_KINDS = ("", "webhooks", "failures", "scheduler")
DELIVERY_STATES = ("pending", "claimed", "done", "failed")


def activity(organisation_id: int, kind: str = "", limit: int = 100, delivery_state: str = "") -> dict:
    """Recent deliveries, outbox rows needing a person and scheduler runs (each bounded by `limit`)."""
    deliveries = []
    if kind in ("", "webhooks"):
        query = select(InboxDelivery).where(InboxDelivery.organisation_id == organisation_id)
        if delivery_state in DELIVERY_STATES:
            query = query.where(InboxDelivery.state == delivery_state)
        deliveries = db.session.scalars(query.order_by(InboxDelivery.id.desc()).limit(limit)).all()
    failures = []
    if kind in ("", "failures"):
        failures = db.session.scalars(select(Effect).where(
            Effect.organisation_id == organisation_id, Effect.state.in_(("dead", "needs_decision")))
            .order_by(Effect.id.desc()).limit(limit)).all()
    runs = recent_runs(organisation_id, limit) if kind in ("", "scheduler") else []
    return {"deliveries": deliveries, "failures": failures, "runs": runs}


def sync_now_context(organisation_id: int, viewer) -> dict:
    """Context of `lever/_sync_now.html`: `sync_running`, `sync_runs` (latest requested run per job),
    `can_sync` (admin or owner), `connected`."""
    connection = get_connection(organisation_id)
    return {"sync_running": requested_in_progress(organisation_id),
            "sync_runs": latest_requested(organisation_id, SYNC_JOBS),
            "can_sync": viewer.has_role("admin"),
            "connected": connection is not None and connection.status == "connected"}


def scheduler_health_context(organisation_id: int, config) -> dict:
    """Context of `lever/_scheduler_health.html`: `scheduler_health` (a list of JobHealth)."""
    return {"scheduler_health": job_health(organisation_id, config)}


def backfill_context(organisation_id: int, viewer) -> dict:
    """Context of `lever/_backfill.html`: `connection`, `backfill_waiting` (opportunities held),
    `can_decide` (admin or owner)."""
    return {"connection": get_connection(organisation_id),
            "backfill_waiting": sync_services.backfill_waiting(organisation_id),
            "can_decide": viewer.has_role("admin")}
