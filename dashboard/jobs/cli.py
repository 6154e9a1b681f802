"""`flask worker` (the queues and requested runs) and `flask scheduler` (periodic jobs): each its own
process in production; `make run` starts both as threads of the development server."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app

from dashboard.core.migrations_check import require_migrated
from dashboard.core.templating import plural
from dashboard.jobs import worker
from dashboard.jobs.scheduler import LeasedScheduler


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM or Ctrl-C sets `stop`: the row in hand is finished, then the loops end."""
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command("worker")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
def worker_command(once: bool) -> None:
    """Process webhook deliveries, perform queued effects and emails, and the runs people requested,
    until stopped (SIGTERM finishes the row in hand, then exits)."""
    require_migrated()
    if once:
        click.echo(f"processed {plural(worker.run_once(), 'item')}")
        return
    stop = threading.Event()
    stop_on_signals(stop)
    app = current_app._get_current_object()
    click.echo("worker running; SIGTERM or Ctrl-C stops it")
    requests_thread = threading.Thread(target=worker.run_requests_forever, args=(app, stop), name="requested-runs")
    requests_thread.start()
    worker.run_forever(app, stop)
    requests_thread.join()


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the periodic jobs until stopped (only one scheduler process is active at a time)."""
    require_migrated()
    stop = threading.Event()
    stop_on_signals(stop)
    leased = LeasedScheduler(current_app._get_current_object())
    click.echo(f"scheduler {leased.holder} started; SIGTERM or Ctrl-C stops it", err=True)
    leased.run(stop)
