"""The periodic jobs as data, how one run is recorded, and the invitation housekeeping job.

`run_job(job_id)` runs a job once: per connected organisation for the Lever jobs (one
organisation's failure is recorded and the next one still runs), once for all otherwise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: its id, what it runs, its interval's config key and default, its scope."""

    id: str
    func: Callable
    interval_key: str
    default_seconds: int
    per_organisation: bool
    misfire_grace_seconds: int = 3600

    def interval(self, config) -> timedelta:
        """The configured interval."""
        return timedelta(seconds=float(setting(config, self.interval_key, self.default_seconds)))


def setting(config, key: str, default):
    """A scheduler setting: the app's configuration, else the environment, else `default`."""
    value = config.get(key)
    if value is None:
        value = os.environ.get(key)
    return default if value in (None, "") else value


def _postings(connection_id, counter):
    from dashboard.lever.sync.reconcile import refresh_catalog

    return refresh_catalog(connection_id, counter)


def _opportunities(connection_id, counter):
    from dashboard.lever.sync.reconcile import reconcile_opportunities

    return reconcile_opportunities(connection_id, counter)


def _tokens(connection_id, counter):
    from dashboard.lever.sync.reconcile import refresh_tokens

    return refresh_tokens(connection_id, counter)


def _outbox(counter):
    from dashboard.lever.sync.inbox import run_once

    return {"processed": run_once()}


def _invitations(counter):
    return invitation_housekeeping()


def _inbox(counter):
    from dashboard.lever.sync.inbox import purge_inbox

    return {"purged": purge_inbox()}


JOBS: tuple[JobSpec, ...] = (
    JobSpec("postings", _postings, "SCHEDULE_POSTINGS_SECONDS", 300, True),
    JobSpec("opportunities", _opportunities, "SCHEDULE_OPPORTUNITIES_SECONDS", 300, True),
    JobSpec("outbox", _outbox, "SCHEDULE_OUTBOX_SECONDS", 30, False, misfire_grace_seconds=60),
    JobSpec("tokens", _tokens, "SCHEDULE_TOKENS_SECONDS", 3600, True),
    JobSpec("invitations", _invitations, "SCHEDULE_INVITATIONS_SECONDS", 3600, False),
    JobSpec("inbox", _inbox, "SCHEDULE_INBOX_PURGE_SECONDS", 3600, False),
)
JOBS_BY_ID = {spec.id: spec for spec in JOBS}


def intervals(config=None) -> dict[str, timedelta]:
    """Job id → interval, from configuration."""
    config = config if config is not None else current_app.config
    return {spec.id: spec.interval(config) for spec in JOBS}


def record_run(job: str, organisation_id: int | None, work: Callable, *, trigger: str = "schedule",
               runner: str | None = None) -> JobRun:
    """Run `work(counter)` as one recorded run: start, end, Lever calls, changes or the error."""
    from dashboard.lever.sync.reconcile import CallCounter

    run = JobRun(job=job, organisation_id=organisation_id, trigger=trigger, runner=runner, status="running",
                 started_at=utcnow(), changes={})
    db.session.add(run)
    db.session.commit()
    run_id, counter = run.id, CallCounter()
    try:
        changes = work(counter) or {}
        status, error = "ok", None
    except Exception as exc:  # recorded on the run; the next organisation or job still runs
        db.session.rollback()
        log.warning("job %s for organisation %s failed: %s", job, organisation_id, exc)
        changes, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"[:2000]
    run = db.session.get(JobRun, run_id)
    run.status, run.error, run.changes = status, error, changes
    run.finished_at = utcnow()
    run.lever_calls = counter.total
    run.summary = ", ".join(f"{k} {v}" for k, v in changes.items() if v not in (None, False))[:500] or None
    db.session.commit()
    from dashboard.observability.metrics import observe_job

    observe_job(job, (as_utc(run.finished_at) - as_utc(run.started_at)).total_seconds())
    return run


def run_job(job_id: str, *, organisation_id: int | None = None, trigger: str = "schedule",
            runner: str | None = None) -> list[JobRun]:
    """Run one job now (for one organisation when given); returns the recorded runs."""
    from dashboard.lever.sync.reconcile import connected_connections

    spec = JOBS_BY_ID[job_id]
    if not spec.per_organisation:
        return [record_run(spec.id, None, spec.func, trigger=trigger, runner=runner)]
    runs = []
    for connection_id, org_id in connected_connections():
        if organisation_id is not None and org_id != organisation_id:
            continue
        runs.append(record_run(spec.id, org_id, lambda counter, cid=connection_id: spec.func(cid, counter),
                               trigger=trigger, runner=runner))
    return runs


def last_finished(job_id: str):
    """When the job last finished a run (any organisation), or None."""
    value = db.session.scalar(select(JobRun.finished_at).where(
        JobRun.job == job_id, JobRun.finished_at.is_not(None)).order_by(JobRun.id.desc()).limit(1))
    return as_utc(value) if value else None


def first_run_time(spec: JobSpec, config, now=None):
    """When a freshly started scheduler should first run this job: now when a run is overdue (one
    catch-up run however long the scheduler was down), else one interval after the last run."""
    now = now or utcnow()
    last = last_finished(spec.id)
    if last is None or last + spec.interval(config) <= now:
        return now
    return last + spec.interval(config)


def invitation_housekeeping(now=None) -> dict:
    """Expire invitations past their deadline (the Lever status tag follows), finish overdue
    attempts, and send one reminder 24 h before expiry."""
    from dashboard.attempts import services as attempts
    from dashboard.lever.sync import history, rules
    from dashboard.lever.sync.models import Invitation, LeverOpportunity

    now = now or utcnow()
    expired = attempts.expire_due_attempts(now)
    for attempt_id in expired:
        rules.on_attempt_event(attempt_id, feedback=False, status=True)
        for opp in db.session.scalars(select(LeverOpportunity).join(
                Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(
                Invitation.attempt_id == attempt_id)):
            history.record(opp.organisation_id, "decision", "Invitation expired: the deadline passed unstarted.",
                           candidate_id=opp.candidate_id, opportunity_id=opp.id, outcome="info")
    db.session.commit()
    finished = attempts.finish_overdue_attempts(now)
    db.session.commit()
    sent, failed = send_reminders(now)
    return {"expired": len(expired), "finished": len(finished), "reminders": sent, "reminder_failures": failed}


def _reminder_blocked(attempt_id: int) -> bool:
    from dashboard.lever.sync.models import Invitation, LeverOpportunity

    opps = db.session.scalars(select(LeverOpportunity).join(
        Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(
        Invitation.attempt_id == attempt_id)).all()
    if any(o.hired for o in opps):
        return True
    return bool(opps) and all(o.archived or o.deleted for o in opps)


def send_reminders(now=None) -> tuple[int, int]:
    """One reminder per unstarted invitation expiring within REMINDER_HOURS (24); (sent, failed)."""
    from dashboard.attempts.models import Attempt
    from dashboard.attempts.services import assessment_organisation_name, attempt_link
    from dashboard.mail.services import MailError, send_email

    now = now or utcnow()
    horizon = now + timedelta(hours=int(current_app.config.get("REMINDER_HOURS", 24)))
    candidates = db.session.scalars(select(Attempt).where(
        Attempt.status == "invited", Attempt.reminder_sent_at.is_(None))).all()
    due = [a.id for a in candidates if now < as_utc(a.deadline) <= horizon]
    sent = failed = 0
    for attempt_id in due:
        attempt = db.session.get(Attempt, attempt_id)
        if _reminder_blocked(attempt.id):
            continue
        assessment = attempt.assessment
        context = {"candidate_name": attempt.candidate.name or attempt.candidate.email,
                   "assessment_name": assessment.name,
                   "organisation_name": assessment_organisation_name(assessment),
                   "link": attempt_link(attempt), "deadline": as_utc(attempt.deadline),
                   "time_limit_minutes": assessment.time_limit_minutes + (attempt.extra_minutes or 0)}
        try:
            send_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                       subject=f"Reminder: {assessment.name} closes soon", template="reminder",
                       context=context, idempotency_key=f"reminder:{attempt.id}")
        except MailError as exc:
            db.session.commit()  # keep the failed message row; retried next run with the same key
            log.warning("reminder for attempt %s failed: %s", attempt.id, exc)
            failed += 1
            continue
        attempt.reminder_sent_at = now
        db.session.commit()
        sent += 1
    return sent, failed
