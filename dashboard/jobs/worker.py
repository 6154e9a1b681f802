"""The worker: a loop over the registered worker steps (webhook inbox, Lever effects, queued email),
and a second loop performing the job runs people requested ("Sync now").

`run_once()` does one bounded pass of every step and commits per row; `run_forever()` loops until
stopped, surviving database hiccups. Any number of workers may run: every queue is claimed row by
row with an atomic compare-and-set.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from flask import Flask
from sqlalchemy.exc import OperationalError

from dashboard.extensions import db
from dashboard.jobs.registry import registry
from dashboard.jobs.runs import run_requested

log = logging.getLogger(__name__)


def worker_id() -> str:
    """This process's identity on the rows it claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_once(wid: str | None = None) -> int:
    """One pass of every worker step; returns how much was done."""
    wid = wid or worker_id()
    return sum(source.run(wid) for source in registry().work)


def _loop(app: Flask, stop: threading.Event, name: str, step: Callable[[], int], idle_sleep: float) -> None:
    log.info("%s started", name)
    while not stop.is_set():
        with app.app_context():
            try:
                busy = step()
            except OperationalError:
                log.exception("%s: database unavailable; retrying", name)
                db.session.rollback()
                busy = 0
            except Exception:
                log.exception("%s: pass failed", name)
                db.session.rollback()
                busy = 0
            finally:
                db.session.remove()
        if not busy:
            stop.wait(idle_sleep)
    log.info("%s stopped", name)


def run_forever(app: Flask, stop: threading.Event, idle_sleep: float = 0.3) -> None:
    """Loop over the worker steps until `stop` is set."""
    wid = worker_id()
    _loop(app, stop, f"worker {wid}", lambda: run_once(wid), idle_sleep)


def run_requests_forever(app: Flask, stop: threading.Event, idle_sleep: float = 1.0) -> None:
    """Loop over the requested job runs until `stop` is set (long runs never hold up the queues)."""
    wid = worker_id()
    _loop(app, stop, f"requested runs {wid}", lambda: run_requested(wid), idle_sleep)
