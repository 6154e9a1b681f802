"""Job runs: run a job once as a recorded run, let a person request runs that a worker performs, and
read the records back (recent runs, health).

Every run is a `JobRun` row: when and by which process, the Lever calls it made, what it changed or
the error. One organisation's failure is recorded on its run and the next one still runs.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun, SchedulerLease
from dashboard.jobs.registry import JobSpec, registry
from dashboard.observability import metrics

log = logging.getLogger(__name__)
REQUEST_STALE_AFTER = timedelta(minutes=15)  # a requested run still `running` then died with its worker


class CallCounter:
    """Counts the HTTP attempts made through the clients it is attached to (any client exposing an
    `on_call(method, path, status, seconds)` hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter = Counter()

    @property
    def total(self) -> int:
        """All calls counted so far."""
        return sum(self.by_method.values())

    @property
    def writes(self) -> int:
        """Calls that change something (anything but GET)."""
        return sum(n for method, n in self.by_method.items() if method != "GET")

    def attach(self, client):
        """Chain this counter onto the client's `on_call` hook; returns the client."""
        previous = client.on_call

        def counted(method, path, status, seconds):
            with self._lock:
                self.by_method[method] += 1
            if previous is not None:
                previous(method, path, status, seconds)

        client.on_call = counted
        return client


def _finish(run_id: int, work: Callable[[CallCounter], dict | None]) -> JobRun:
    counter = CallCounter()
    try:
        changes = work(counter) or {}
        status, error = "ok", None
    except Exception as exc:  # recorded on the run; the next organisation or job still runs
        db.session.rollback()
        log.warning("job run %s failed: %s", run_id, exc)
        changes, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"[:2000]
    run = db.session.get(JobRun, run_id)
    run.status, run.error, run.changes = status, error, changes
    run.finished_at = utcnow()
    run.lever_calls = counter.total
    run.summary = ", ".join(f"{k} {v}" for k, v in changes.items() if v not in (None, False))[:500] or None
    db.session.commit()
    metrics.observe_job(run.job, (as_utc(run.finished_at) - as_utc(run.started_at)).total_seconds())
    return run


def record_run(job: str, organisation_id: int | None, work: Callable[[CallCounter], dict | None], *,
               trigger: str = "schedule", runner: str | None = None) -> JobRun:
    """Run `work(counter)` as one recorded run: start, end, calls, changes or the error (commits)."""
    run = JobRun(job=job, organisation_id=organisation_id, trigger=trigger, runner=runner, status="running",
                 started_at=utcnow(), changes={})
    db.session.add(run)
    db.session.commit()
    return _finish(run.id, work)


def _work(spec: JobSpec, target) -> Callable[[CallCounter], dict | None]:
    if spec.targets is None:
        return spec.func
    return lambda counter: spec.func(target, counter)


def run_job(job_id: str, *, organisation_id: int | None = None, trigger: str = "schedule",
            runner: str | None = None) -> list[JobRun]:
    """Run one job now (for one organisation when given); returns the recorded runs."""
    spec = registry().by_id[job_id]
    if spec.targets is None:
        return [record_run(spec.id, None, spec.func, trigger=trigger, runner=runner)]
    return [record_run(spec.id, org_id, _work(spec, target), trigger=trigger, runner=runner)
            for org_id, target in spec.targets() if organisation_id in (None, org_id)]


def request_runs(job_ids: tuple[str, ...], organisation_id: int, requested_by: int | None) -> list[JobRun]:
    """Queue runs of these jobs for one organisation, performed in order by a worker (no commit).
    Jobs with a run already queued or running for the organisation are not queued twice."""
    busy = set(db.session.scalars(select(JobRun.job).where(
        JobRun.organisation_id == organisation_id, JobRun.trigger == "manual",
        JobRun.status.in_(("queued", "running")), JobRun.started_at >= utcnow() - REQUEST_STALE_AFTER)))
    runs = [JobRun(job=job, organisation_id=organisation_id, trigger="manual", status="queued",
                   requested_by_id=requested_by, started_at=utcnow(), changes={})
            for job in job_ids if job not in busy]
    db.session.add_all(runs)
    db.session.flush()
    return runs


def run_requested(runner: str, limit: int = 10) -> int:
    """Worker step: perform the oldest queued runs (claimed one by one with a compare-and-set)."""
    done = 0
    for run_id in db.session.scalars(select(JobRun.id).where(JobRun.status == "queued")
                                     .order_by(JobRun.id).limit(limit)).all():
        claimed = db.session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "queued")
                                     .values(status="running", runner=runner, started_at=utcnow()))
        db.session.commit()
        if claimed.rowcount != 1:
            continue
        run = db.session.get(JobRun, run_id)
        spec = registry().by_id.get(run.job)
        target = None
        if spec is not None and spec.targets is not None:
            target = next((t for org, t in spec.targets() if org == run.organisation_id), None)
        if spec is None or (spec.targets is not None and target is None):
            run.status, run.finished_at = "failed", utcnow()
            run.error = "Nothing to run: the job is unknown or the organisation is not connected."
            db.session.commit()
            continue
        _finish(run_id, _work(spec, target))
        done += 1
    return done


def last_finished(job_id: str) -> datetime | None:
    """When the job last finished a run (any organisation), or None."""
    value = db.session.scalar(select(JobRun.finished_at).where(
        JobRun.job == job_id, JobRun.finished_at.is_not(None)).order_by(JobRun.id.desc()).limit(1))
    return as_utc(value) if value else None


def first_run_time(spec: JobSpec, config, now: datetime | None = None) -> datetime:
    """When a freshly started scheduler should first run this job: now when a run is overdue (one
    catch-up run however long the scheduler was down), else one interval after the last run."""
    now = now or utcnow()
    last = last_finished(spec.id)
    if last is None or last + spec.interval(config) <= now:
        return now
    return last + spec.interval(config)


def _scope(organisation_id: int):
    return or_(JobRun.organisation_id == organisation_id, JobRun.organisation_id.is_(None))


def recent_runs(organisation_id: int, limit: int = 50) -> list[JobRun]:
    """The latest runs that concern this organisation (its own and the all-organisation ones)."""
    return list(db.session.scalars(select(JobRun).where(_scope(organisation_id))
                                   .order_by(JobRun.id.desc()).limit(max(1, min(int(limit), 500)))))


def _latest(conditions: list[tuple]) -> list[JobRun | None]:
    """The newest run matching each tuple of conditions, in two queries whatever their number: the ids
    (one index lookup each, side by side in one row), then the runs."""
    if not conditions:
        return []
    ids = db.session.execute(select(*[
        select(JobRun.id).where(*where).order_by(JobRun.id.desc()).limit(1).scalar_subquery()
        for where in conditions])).one()
    wanted = [i for i in ids if i is not None]
    found = {run.id: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(wanted)))} if wanted else {}
    return [found.get(i) for i in ids]


def latest_requested(organisation_id: int, job_ids: tuple[str, ...]) -> list[JobRun]:
    """The latest requested run of each job for the organisation (what "Sync now" shows)."""
    runs = _latest([(JobRun.organisation_id == organisation_id, JobRun.job == job, JobRun.trigger == "manual")
                    for job in job_ids])
    return [run for run in runs if run is not None]


def requested_in_progress(organisation_id: int, job_ids: tuple[str, ...] | None = None) -> bool:
    """True while a requested run (of these jobs) of this organisation is queued or running (and not
    abandoned)."""
    query = select(JobRun.id).where(
        JobRun.organisation_id == organisation_id, JobRun.trigger == "manual",
        JobRun.status.in_(("queued", "running")), JobRun.started_at >= utcnow() - REQUEST_STALE_AFTER)
    if job_ids:
        query = query.where(JobRun.job.in_(job_ids))
    return db.session.scalar(query.limit(1)) is not None


@dataclass
class JobHealth:
    """What the health partial shows for one job.

    `state`: ok; waiting (no run yet, and none due yet since the scheduler or the connection started);
    retrying (the last run failed, the last success is recent); late (no success for two intervals, or
    the first run overdue)."""

    job: str
    label: str
    interval: timedelta
    last_ok: JobRun | None
    last_run: JobRun | None
    state: str = "ok"
    due_by: datetime | None = None  # waiting: when the first run should have happened

    @property
    def late(self) -> bool:
        """True when the job needs a person to look at it."""
        return self.state == "late"


@dataclass
class SchedulerState:
    """Whether a scheduler holds the lease: `running`, since `started_at`; `ever` when one ever did."""

    running: bool
    started_at: datetime | None
    ever: bool


def scheduler_state(now: datetime | None = None) -> SchedulerState:
    """The lease row read once: is a scheduler running, and since when."""
    now = now or utcnow()
    lease = db.session.get(SchedulerLease, "scheduler")
    if lease is None:
        return SchedulerState(False, None, False)
    running = lease.holder is not None and lease.expires_at is not None and as_utc(lease.expires_at) > now
    return SchedulerState(running, as_utc(lease.acquired_at) if lease.acquired_at else None, True)


def grace(interval: timedelta) -> timedelta:
    """How late a run may be before it is a problem: a tenth of the interval, at least a minute."""
    return max(timedelta(minutes=1), interval / 10)


def job_health(organisation_id: int, config, now: datetime | None = None, *,
               waiting_since: datetime | None = None, scheduler: SchedulerState | None = None) -> list[JobHealth]:
    """Each job's last run and success, and its state. A job that has not succeeded since the scheduler
    started (or, for jobs run per organisation, since `waiting_since`: the connection) is waiting, not
    late, until one interval and a grace have passed."""
    now = now or utcnow()
    scheduler = scheduler or scheduler_state(now)
    out = []
    specs = registry().jobs
    ids = db.session.execute(_health_statement(tuple(spec.id for spec in specs)),
                             {"organisation_id": organisation_id}).one()
    wanted = [i for i in ids if i is not None]
    found = {run.id: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(wanted)))} if wanted else {}
    runs = iter(found.get(i) for i in ids)
    for spec in specs:
        last_ok, last_run = next(runs), next(runs)
        health = JobHealth(spec.id, spec.label, spec.interval(config), last_ok, last_run)
        starts = [scheduler.started_at, as_utc(waiting_since) if waiting_since and spec.targets else None]
        health.state, health.due_by = _state(health, max((t for t in starts if t), default=None), now)
        out.append(health)
    return out


@functools.lru_cache(maxsize=8)
def _health_statement(job_ids: tuple[str, ...]):
    """For each job, the ids of its newest successful run and of its newest finished run, for the
    organisation given as `organisation_id` (or for all organisations): built once per job list, since
    building a dozen subqueries costs more than running them."""
    scope = or_(JobRun.organisation_id == bindparam("organisation_id"), JobRun.organisation_id.is_(None))
    return select(*[select(JobRun.id).where(JobRun.job == job, scope, status).order_by(JobRun.id.desc())
                    .limit(1).scalar_subquery()
                    for job in job_ids for status in (JobRun.status == "ok", JobRun.status.in_(("ok", "failed")))])


def _state(health: JobHealth, started: datetime | None, now: datetime) -> tuple[str, datetime | None]:
    interval = health.interval
    succeeded = as_utc(health.last_ok.finished_at) if health.last_ok and health.last_ok.finished_at else None
    failed_last = health.last_run is not None and health.last_run.status == "failed"
    if succeeded is not None and now - succeeded <= 2 * interval:
        return ("retrying" if failed_last else "ok"), None
    if succeeded is not None and (started is None or succeeded >= started):
        return "late", None
    if started is None:
        return "waiting", None  # nothing has started that would run it (the scheduler's state says why)
    due_by = started + interval + grace(interval)
    return ("waiting" if now <= due_by else "late"), due_by
