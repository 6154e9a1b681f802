"""Background processes: `flask worker` (the queues) and `flask scheduler` (periodic jobs).

Both are their own processes in production; `make run` starts them as threads of the dev server.
"""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app


def start_background(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """The worker and the scheduler as daemon threads: the embedded default only."""
    from dashboard.jobs.scheduler import run_scheduler
    from dashboard.lever.sync.inbox import run_forever

    threads = [threading.Thread(target=run_forever, args=(app, stop), name="worker", daemon=True),
               threading.Thread(target=run_scheduler, args=(app, stop), name="scheduler", daemon=True)]
    for thread in threads:
        thread.start()
    return threads


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command("worker")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
def worker_command(once: bool) -> None:
    """Process webhook deliveries and perform queued effects until stopped (SIGTERM finishes the row
    in hand, then exits)."""
    from dashboard.core.migrations_check import require_migrated
    from dashboard.lever.sync.inbox import run_forever, run_once

    require_migrated()
    if once:
        click.echo(f"processed {run_once()} item(s)")
        return
    stop = threading.Event()
    _stop_on_signals(stop)
    click.echo("worker running; SIGTERM or Ctrl-C stops it")
    run_forever(current_app._get_current_object(), stop)


def register_commands(app: Flask) -> None:
    """Attach `flask worker` and `flask scheduler`."""
    from dashboard.jobs.scheduler import scheduler_command

    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
