"""The production layout on PostgreSQL: `make serve` (gunicorn with 2 web workers, 2 `flask worker`
processes, a scheduler) plus a second scheduler, against the sandbox subprocess; and R3: workers
SIGKILLed at random points while a run is in flight.

CI runs a smaller size; PROD_CANDIDATES=500 and R3_CANDIDATES=500 run the full size.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from dashboard.config import ROOT
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, Invitation
from dashboard.mail.models import MailMessage
from tests.support.connections import direct_connection, signed
from tests.support.platform import analyst_assessment
from tests.support.processes import METRICS_TOKEN, free_port, wait_http
from tests.support.sandbox import WEBHOOKS_OFF

# Uses a PostgreSQL database of its own whatever TEST_DATABASE_URL says: run once, in the first pass.
pytestmark = pytest.mark.own_postgres

PROD_CANDIDATES = int(os.environ.get("PROD_CANDIDATES", "500"))
R3_CANDIDATES = int(os.environ.get("R3_CANDIDATES", "500"))


def _has_scheduler() -> bool:
    """`flask scheduler` exists and its tables are migrated."""
    from sqlalchemy import inspect

    return (ROOT / "dashboard" / "scheduler.py").exists() and inspect(db.engine).has_table("scheduler_leases")


def _lever_env(env: dict, sandbox) -> dict:
    return dict(env, LEVER_ENV="local", LEVER_API_URL=sandbox.api_url, LEVER_AUTHORIZE_URL=sandbox.url + "/authorize",
                LEVER_TOKEN_URL=sandbox.url + "/oauth/token", LEVER_AUDIENCE=sandbox.api_url + "/",
                LEVER_HIRE_URL=sandbox.url, LEVER_PACE_RATE="8", LEVER_PACE_BURST="16",
                LEVER_OUTCOME_SETTLE_SECONDS="1", EFFECT_CLAIM_TIMEOUT="2", LEVER_MAX_SLEEP="1")


def _setup(sandbox, n: int):
    """One connected organisation with an assessment and `n` applicants to "Data Analyst"."""
    seeded = sandbox.seed(demo=True, webhook_groups=WEBHOOKS_OFF)
    from dashboard.accounts import services

    org = services.create_organisation("Prod Org")
    db.session.commit()
    analyst_assessment(org.id)
    admin = next(u["id"] for u in seeded["users"] if u["accessRole"] == "super admin")
    connection = direct_connection(org.id, sandbox=sandbox, account_id=seeded["account"]["id"], user_id=admin,
                                   signature_token="prod-signature-token")
    posting = next(p["id"] for p in seeded["postings"] if p["text"] == "Data Analyst")
    opps = sandbox.admin("POST", "/_admin/applications", {"account_id": seeded["account"]["id"], "applications": [
        {"posting_id": posting, "name": f"Cand {i}", "email": f"cand{i}@example.com"} for i in range(n)]})
    return org, connection, opps


def _post(url: str, body: dict) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback)
        return resp.status


def _wait_settled(n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        invitations = db.session.scalar(select(func.count(Invitation.id))) or 0
        open_effects = db.session.scalar(select(func.count(Effect.id)).where(
            Effect.state.in_(("pending", "claimed")))) or 0
        if invitations >= n and open_effects == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"not settled: {invitations} invitations, {open_effects} effects open")


def _assert_converged(sandbox, opps, n: int) -> None:
    db.session.rollback()
    assert db.session.scalar(select(func.count(Invitation.id))) == n
    emails = Counter(db.session.scalars(select(MailMessage.to)))
    assert len(emails) == n and set(emails.values()) == {1}, "exactly one invitation email per candidate"
    states = Counter(db.session.scalars(select(Effect.state)))
    assert set(states) == {"done"}, f"effects not all done: {states}"
    writes = Counter((c["method"], c["path"]) for c in sandbox.calls() if c["method"] == "POST" and c["status"] < 300)
    for opp in opps:
        assert writes[("POST", f"/v1/opportunities/{opp['id']}/addLinks")] >= 1
    state = sandbox.state()
    for opp in state["opportunities"]:
        links = [link for link in opp.get("links", []) if "/a/" not in link]
        assert len(set(opp.get("links", []))) == len(opp.get("links", [])), "a link written twice"
        assert links is not None


def test_serve_layout_on_postgresql(pg_app, prod_env, sandbox, tmp_path):
    sandbox.configure(rate=10, burst=20)
    org, connection, opps = _setup(sandbox, PROD_CANDIDATES)
    port = free_port()
    has_scheduler = _has_scheduler()
    env = _lever_env(dict(prod_env, PORT=str(port), WEB_CONCURRENCY="2", WORKER_PROCESSES="2",
                          PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", GRACEFUL_TIMEOUT="10"), sandbox)
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        serve = subprocess.Popen([sys.executable, "-m", "dashboard.jobs.serve"], env=env, cwd=str(ROOT), stdout=log,
                                 stderr=subprocess.STDOUT)
        extra = None
        if has_scheduler:  # a second scheduler: only one may be active (R8)
            extra = subprocess.Popen([sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py"), "scheduler"],
                                     env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/readyz", 200, timeout=60)
            url = f"{base}/webhooks/lever/{connection.public_id}"
            bodies = [signed("prod-signature-token", data={"opportunityId": o["id"]}) for o in opps]
            bodies += random.Random(3).sample(bodies, len(bodies) // 5)  # 20 % duplicates
            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(lambda b: _post(url, b), bodies)) == {200}
            _wait_settled(PROD_CANDIDATES, timeout=60 + PROD_CANDIDATES * 0.6)
            _assert_converged(sandbox, opps, PROD_CANDIDATES)
            assert not [c for c in sandbox.calls() if c["status"] == 429], "the sandbox's limit was exceeded"
            # in any 1-second window: at most our burst plus one second of our rate, across every process
            assert max(sandbox.admin("GET", "/_admin/rate").values()) <= 16 + 8
            scrape = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            with urllib.request.urlopen(scrape, timeout=10) as resp:  # noqa: S310
                metrics = resp.read().decode()
                assert resp.headers["Content-Security-Policy"] and resp.headers["X-Request-ID"]
            stored = [line for line in metrics.splitlines()
                      if line.startswith('dashboard_webhooks_received_total{outcome="stored"}')]
            assert stored and float(stored[0].split()[-1]) == PROD_CANDIDATES
            assert 'dashboard_lever_calls_total{method="POST",status="200"}' in metrics  # from the workers
            if has_scheduler:
                from dashboard.jobs.models import SchedulerLease

                db.session.rollback()
                holders = {lease.holder for lease in db.session.scalars(select(SchedulerLease))
                           if lease.holder}
                assert len(holders) <= 1
        finally:
            if extra is not None:
                extra.send_signal(signal.SIGTERM)
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(40) == 0
            if extra is not None:
                extra.wait(20)
    text = log_path.read_text()
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "dashboard.access"]
    assert access and all(e["request_id"] for e in access)
    minted_secret = "prod-signature-token"
    assert minted_secret not in text and bodies[0]["signature"] not in text and "Bearer " not in text


def test_r3_workers_killed_at_random_points(pg_app, prod_env, sandbox, tmp_path):
    sandbox.configure(rate=10000, burst=10000)
    org, connection, opps = _setup(sandbox, R3_CANDIDATES)
    app_client = pg_app.test_client()
    for opp in opps:
        body = signed("prod-signature-token", data={"opportunityId": opp["id"]})
        assert app_client.post(f"/webhooks/lever/{connection.public_id}", json=body).status_code == 200
    env = _lever_env(prod_env, sandbox)
    env.update(LEVER_PACE_RATE="1000", LEVER_PACE_BURST="1000")
    argv = [sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py"), "worker"]
    log = open(tmp_path / "workers.log", "w")  # noqa: SIM115 (closed below)
    workers = [subprocess.Popen(argv, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
               for _ in range(2)]
    rng = random.Random(7)
    try:
        for _ in range(20):
            time.sleep(rng.uniform(0.5, 2.0))
            victim = rng.randrange(len(workers))
            workers[victim].kill()
            workers[victim].wait()
            workers[victim] = subprocess.Popen(argv, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
        _wait_settled(R3_CANDIDATES, timeout=120 + R3_CANDIDATES * 0.3)
        _assert_converged(sandbox, opps, R3_CANDIDATES)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(20)
        log.close()
