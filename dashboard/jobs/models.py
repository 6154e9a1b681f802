"""Tables of background work: the scheduler lease and one row per job run (scheduled, or requested by
a person and performed by the worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.core.clock import utcnow
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
    """One run of one job (for one organisation, or for all when organisation_id is None).

    A scheduled run is recorded `running` when it starts; a run a person asked for ("Sync now") is
    recorded `queued` and taken by a worker. Then `ok` or `failed`."""

    __tablename__ = "scheduler_job_runs"
    __table_args__ = (Index("ix_scheduler_job_runs_org_job", "organisation_id", "job", "id"),
                      Index("ix_scheduler_job_runs_status", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | manual
    runner: Mapped[str | None] = mapped_column(String(120), nullable=True)  # the process that ran it
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="running")  # queued | running | ok | failed
    started_at: Mapped[datetime] = mapped_column(TS, default=utcnow)  # when queued, then when started
    finished_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    lever_calls: Mapped[int] = mapped_column(default=0)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
