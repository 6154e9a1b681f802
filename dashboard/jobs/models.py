"""Tables of the periodic jobs: the scheduler lease, one row per job run, reconciliation watermarks.

Also the small read helpers the dashboard uses to show them (`recent_runs`, `job_health`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db

TS = DateTime(timezone=True)


class SchedulerLease(db.Model):
    """Who may run the periodic jobs: one row per lease name, held until `expires_at`."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class JobRun(db.Model):
    """One run of one periodic job (for one organisation, or for all when organisation_id is None)."""

    __tablename__ = "scheduler_job_runs"
    __table_args__ = (Index("ix_scheduler_job_runs_org_job", "organisation_id", "job", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | manual
    runner: Mapped[str | None] = mapped_column(String(120), nullable=True)  # scheduler process, if any
    status: Mapped[str] = mapped_column(String(12), default="running")  # running | ok | failed
    started_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    lever_calls: Mapped[int] = mapped_column(default=0)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReconcileState(db.Model):
    """Per-connection progress of the opportunity reconciliation."""

    __tablename__ = "lever_reconcile_state"

    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Lever `updatedAt` (ms) up to which every change has been applied; None before the first run.
    watermark_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Postings whose opportunities have been listed completely at least once.
    listed_postings: Mapped[list] = mapped_column(JSON, default=list)
    full_pass_requested: Mapped[bool] = mapped_column(default=False)
    last_completed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


JOB_LABELS = {
    "postings": "Postings and stages",
    "opportunities": "Opportunities",
    "outbox": "Outbox safety net",
    "tokens": "Lever tokens",
    "invitations": "Invitation expiry and reminders",
    "inbox": "Purge of old webhook deliveries",
}


def recent_runs(organisation_id: int, limit: int = 50) -> list[JobRun]:
    """The latest runs that concern this organisation (its own and the all-organisation ones)."""
    return list(db.session.scalars(select(JobRun).where(
        or_(JobRun.organisation_id == organisation_id, JobRun.organisation_id.is_(None)))
        .order_by(JobRun.id.desc()).limit(max(1, min(int(limit), 500)))))


@dataclass
class JobHealth:
    """What the health partial shows for one job."""

    job: str
    label: str
    interval: timedelta
    last_ok: JobRun | None
    last_run: JobRun | None
    late: bool


def job_health(organisation_id: int, intervals: dict[str, timedelta], now: datetime | None = None
               ) -> list[JobHealth]:
    """Last successful run per job, and whether it has not succeeded for two intervals."""
    now = now or utcnow()
    out = []
    for job, interval in intervals.items():
        scope = or_(JobRun.organisation_id == organisation_id, JobRun.organisation_id.is_(None))
        base = select(JobRun).where(JobRun.job == job, scope).order_by(JobRun.id.desc()).limit(1)
        last_ok = db.session.scalar(base.where(JobRun.status == "ok"))
        last_run = db.session.scalar(base)
        since = as_utc(last_ok.finished_at) if last_ok and last_ok.finished_at else None
        out.append(JobHealth(job, JOB_LABELS.get(job, job), interval, last_ok, last_run,
                             late=since is None or now - since > 2 * interval))
    return out
