"""Prometheus metrics: counters the code bumps through small hook functions, queue gauges
computed at scrape time, and the `/metrics` exposition.

Under gunicorn (several processes) set PROMETHEUS_MULTIPROC_DIR to a shared, empty directory
before any process starts: every process then writes its counters there and `/metrics` on any
web worker adds them all up (`make serve` does this).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # a missing directory must not break a process
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db

PREFIX = "dashboard"

WEBHOOKS = Counter(f"{PREFIX}_webhooks_received_total", "Lever webhook deliveries received, by outcome.",
                   ["outcome"])
LEVER_CALLS = Counter(f"{PREFIX}_lever_calls_total", "HTTP attempts to Lever, by method and status.",
                      ["method", "status"])
LEVER_RATE_LIMITED = Counter(f"{PREFIX}_lever_rate_limited_total", "Lever answers with 429 Too Many Requests.")
LEVER_SECONDS = Histogram(f"{PREFIX}_lever_call_duration_seconds", "Time per HTTP attempt to Lever.",
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
REFRESH_FAILURES = Counter(f"{PREFIX}_lever_token_refresh_failures_total",
                           "Lever token refreshes that failed, by reason.", ["reason"])
JOB_SECONDS = Histogram(f"{PREFIX}_job_duration_seconds", "Duration of scheduled jobs (e.g. reconciliation).",
                        ["job"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900))
HTTP_REQUESTS = Counter(f"{PREFIX}_http_requests_total", "HTTP requests served, by endpoint and status.",
                        ["method", "endpoint", "status"])
HTTP_SECONDS = Histogram(f"{PREFIX}_http_request_duration_seconds", "Time to serve a request, by endpoint.",
                         ["endpoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))


def webhook(outcome: str) -> None:
    """Count one webhook delivery: stored, duplicate, ignored, test, bad_request, bad_signature, ..."""
    WEBHOOKS.labels(outcome=outcome).inc()


def lever_call(method: str, status: int | None, seconds: float) -> None:
    """Count one HTTP attempt to Lever (`status` None when no answer arrived)."""
    LEVER_CALLS.labels(method=method, status=str(status) if status else "error").inc()
    LEVER_SECONDS.observe(max(0.0, seconds))
    if status == 429:
        LEVER_RATE_LIMITED.inc()


def refresh_failed(reason: str) -> None:
    """Count a failed token refresh (`reason`: Lever's error code or a short word)."""
    REFRESH_FAILURES.labels(reason=(reason or "unknown")[:40]).inc()


def observe_job(name: str, seconds: float) -> None:
    """Record how long one run of a scheduled job took (e.g. `observe_job("reconcile", 3.2)`)."""
    JOB_SECONDS.labels(job=name).observe(max(0.0, seconds))


def http_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    """Count one served request; `endpoint` is the Flask endpoint name, never the raw path."""
    HTTP_REQUESTS.labels(method=method, endpoint=endpoint, status=str(status)).inc()
    HTTP_SECONDS.labels(endpoint=endpoint).observe(max(0.0, seconds))


@dataclass(frozen=True)
class QueueSource:
    """A table used as a queue: its state column, the state of waiting rows, the states of finished
    rows (not reported), and the timestamp that ages a waiting row."""

    name: str
    what: str
    state: Any
    stamp: Any
    waiting: str = "pending"
    finished: tuple[str, ...] = ("done",)


QUEUES: dict[str, QueueSource] = {}


def register_queue(source: QueueSource) -> None:
    """Report this queue's depth by state and the age of its oldest waiting row at every scrape."""
    QUEUES[source.name] = source


class QueueCollector:
    """Depth and age of every registered queue, read from the database when scraped (one query each)."""

    def collect(self):
        """Yield the queue gauges (needs an application context)."""
        now = utcnow()
        for q in QUEUES.values():
            depth = GaugeMetricFamily(f"{PREFIX}_{q.name}_depth", f"Queued {q.what} by state.", labels=["state"])
            age = GaugeMetricFamily(f"{PREFIX}_{q.name}_oldest_pending_age_seconds",
                                    f"Age of the oldest waiting {q.what.rstrip('s')} (0 when none).")
            rows = db.session.execute(select(q.state, func.count(), func.min(q.stamp))
                                      .where(q.state.not_in(q.finished)).group_by(q.state)).all()
            oldest = 0.0
            for state, count, first in rows:
                depth.add_metric([state], count)
                if state == q.waiting and isinstance(first, datetime):
                    oldest = max(0.0, (now - as_utc(first)).total_seconds())
            age.add_metric([], oldest)
            yield depth
            yield age


def exposition() -> bytes:
    """The Prometheus text for this process (or, in multiprocess mode, for every process)."""

    queues = CollectorRegistry(auto_describe=False)
    queues.register(QueueCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    return counters + generate_latest(queues)
