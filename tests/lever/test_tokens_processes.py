"""Single-flight refresh across processes: two worker processes, five threads each, one refresh."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta

from sqlalchemy import select

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.connection.models import LeverConnection
from tests.support.clients import login
from tests.support.lever import connect, flash_text


def _worker(config: dict, connection_id: int, barrier, results) -> None:
    """Runs in a fresh process: its own app, engine and token sources, five threads at once."""
    from dashboard import create_app
    from dashboard.lever.connection.tokens import ConnectionTokenSource

    app = create_app(config)
    with app.app_context():
        sources = [ConnectionTokenSource(connection_id) for _ in range(5)]
    got: list[str] = []
    start = threading.Barrier(5)

    def run(source):
        start.wait()
        got.append(source.access_token())

    barrier.wait(timeout=60)
    threads = [threading.Thread(target=run, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(got)


def test_two_processes_refresh_once(app, client, owner, lever):
    login(client, owner)
    connect(client, lever)
    assert "Lever is connected" in flash_text(client)
    conn = db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == owner.organisation_id))
    conn.expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    lever.sandbox.admin("POST", "/_admin/calls/clear")

    config = {k: v for k, v in app.config.items() if k.isupper() and isinstance(v, (str, int, float, bool))}
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(config, conn.id, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    tokens = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    flat = [t for group in tokens for t in group]
    assert len(flat) == 10 and len(set(flat)) == 1
    assert lever.token_calls() == 1
