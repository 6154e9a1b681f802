"""The scheduler process: lease (R8), takeover, catch-up after downtime."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun, SchedulerLease
from dashboard.jobs.scheduler import LeasedScheduler, try_acquire

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_lease_is_exclusive_until_it_expires(app):
    ttl = timedelta(seconds=30)
    assert try_acquire("a", ttl)
    assert not try_acquire("b", ttl)
    assert try_acquire("a", ttl)  # renewal
    lease = db.session.get(SchedulerLease, "scheduler")
    lease.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert try_acquire("b", ttl)
    assert not try_acquire("a", ttl)


def test_two_hours_down_gives_one_catch_up_run_per_job(app):
    two_hours_ago = utcnow() - timedelta(hours=2)
    for job in ("outbox", "invitations", "inbox"):
        db.session.add(JobRun(job=job, status="ok", started_at=two_hours_ago, finished_at=two_hours_ago))
    db.session.commit()
    app.config.update(SCHEDULER_RENEW_SECONDS=0.5, SCHEDULER_LEASE_SECONDS=5)
    leased = LeasedScheduler(app)
    try:
        assert leased.tick()
        wait_until(lambda: db.session.scalar(select(func.count(JobRun.id)).where(
            JobRun.status == "ok", JobRun.started_at > two_hours_ago + timedelta(minutes=1))) == 3)
        jobs = {j.id: j for j in leased.scheduler.get_jobs()}
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
        # The next runs are one interval away, not a backlog of missed ones.
        assert jobs["inbox"].next_run_time > utcnow() + timedelta(minutes=50)
    finally:
        leased.scheduler.shutdown(wait=True)
    for job in ("outbox", "invitations", "inbox"):
        assert db.session.scalar(select(func.count(JobRun.id)).where(JobRun.job == job)) == 2


def _start(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _holder_pid() -> int | None:
    lease = db.session.get(SchedulerLease, "scheduler")
    if lease is None or not lease.holder or lease.expires_at is None:
        return None
    return int(lease.holder.split(":")[1])


def test_two_scheduler_processes_only_one_runs_and_the_other_takes_over(app):
    from flask_migrate import stamp

    stamp()  # the schema was built by create_all; mark it current for the CLI's check
    db.session.commit()
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TOKEN_ENCRYPTION_KEYS": app.config["TOKEN_ENCRYPTION_KEYS"], "SECRET_KEY": "x",
           "SCHEDULER_LEASE_SECONDS": "3", "SCHEDULER_RENEW_SECONDS": "0.5", "SCHEDULE_OUTBOX_SECONDS": "1"}
    first = _start(env)
    second = None
    try:
        wait_until(lambda: _holder_pid() == first.pid)
        second = _start(env)
        # Both alive for a while: every run is the first one's.
        wait_until(lambda: db.session.scalar(select(func.count(JobRun.id)).where(JobRun.job == "outbox")) >= 4)
        runners = set(db.session.scalars(select(JobRun.runner)))
        assert len(runners) == 1 and f":{first.pid}:" in runners.pop()
        assert second.poll() is None
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_until(lambda: _holder_pid() == second.pid, timeout=60)
        wait_until(lambda: db.session.scalar(select(func.count(JobRun.id)).where(
            JobRun.runner.like(f"%:{second.pid}:%"))) >= 2)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
