"""`flask scheduler`: the one process that runs the periodic jobs (never inside web workers).

A database lease decides which scheduler process is active: the holder renews it every
SCHEDULER_RENEW_SECONDS (10); another process takes it over once it has expired
(SCHEDULER_LEASE_SECONDS, 30, so within a minute of the holder dying). Only the holder's
APScheduler runs jobs; the others wait with their scheduler paused.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import SchedulerLease
from dashboard.jobs.registry import setting
from dashboard.jobs.runs import first_run_time, run_job

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


def holder_id() -> str:
    """This process's identity in the lease row."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def try_acquire(holder: str, ttl: timedelta, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease when free, expired or already ours; commits. True when held."""
    now = utcnow()
    if db.session.get(SchedulerLease, name) is None:
        try:
            db.session.add(SchedulerLease(name=name, holder=None, expires_at=None))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    if db.engine.dialect.name == "postgresql":  # serialise contenders on the row itself
        db.session.scalar(select(SchedulerLease).where(SchedulerLease.name == name).with_for_update())
    result = db.session.execute(
        update(SchedulerLease).where(
            SchedulerLease.name == name,
            (SchedulerLease.holder == holder) | SchedulerLease.holder.is_(None)
            | SchedulerLease.expires_at.is_(None) | (SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False))
    held = result.rowcount == 1
    if held:
        db.session.execute(update(SchedulerLease).where(
            SchedulerLease.name == name, SchedulerLease.acquired_at.is_(None) | (SchedulerLease.holder != holder))
            .values(acquired_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return held


def release(holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up (on a clean stop) so another scheduler need not wait for expiry."""
    db.session.execute(update(SchedulerLease).where(
        SchedulerLease.name == name, SchedulerLease.holder == holder).values(expires_at=None, holder=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


class LeasedScheduler:
    """An APScheduler BackgroundScheduler that runs its jobs only while this process holds the lease."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.holder = holder_id()
        self.ttl = timedelta(seconds=float(setting(app.config, "SCHEDULER_LEASE_SECONDS", 30)))
        self.renew_every = float(setting(app.config, "SCHEDULER_RENEW_SECONDS", 10))
        self._held_until = 0.0  # monotonic time until which our lease is certainly valid
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        self.active = False

    @property
    def holds_lease(self) -> bool:
        """True while the lease is ours and not about to lapse."""
        return time.monotonic() < self._held_until

    def _wrap(self, job_id: str):
        def run() -> None:
            if not self.holds_lease:
                return
            with self.app.app_context():
                try:
                    run_job(job_id, runner=self.holder)
                except Exception:
                    log.exception("job %s crashed", job_id)
                finally:
                    db.session.remove()
        return run

    def _register(self) -> None:
        """Declare every job (idempotently: replace_existing) with its first run time."""
        with self.app.app_context():
            for spec in self.app.extensions["jobs"].jobs:
                self.scheduler.add_job(
                    self._wrap(spec.id), "interval", id=spec.id, name=spec.id,
                    seconds=spec.interval(self.app.config).total_seconds(),
                    next_run_time=first_run_time(spec, self.app.config), coalesce=True, max_instances=1,
                    misfire_grace_time=spec.misfire_grace_seconds, replace_existing=True)
            db.session.remove()

    def tick(self) -> bool:
        """Renew (or try to take) the lease; start or pause the jobs accordingly. True when active."""
        started = time.monotonic()
        with self.app.app_context():
            try:
                held = try_acquire(self.holder, self.ttl)
            except Exception:
                log.exception("lease check failed")
                db.session.rollback()
                held = False
            finally:
                db.session.remove()
        if held:
            self._held_until = started + self.ttl.total_seconds() - self.renew_every
            if not self.active:
                log.info("scheduler %s holds the lease: running jobs", self.holder)
                self._register()
                if self.scheduler.state == 0:
                    self.scheduler.start()
                else:
                    self.scheduler.resume()
                self.active = True
        else:
            self._held_until = 0.0
            if self.active:
                log.warning("scheduler %s lost the lease: pausing", self.holder)
                self.scheduler.pause()
                self.active = False
        return self.active

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then stop the jobs and give the lease up."""
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(self.renew_every)
        finally:
            if self.scheduler.state != 0:
                self.scheduler.shutdown(wait=True)
            if self.active:
                with self.app.app_context():
                    release(self.holder)
                    db.session.remove()
