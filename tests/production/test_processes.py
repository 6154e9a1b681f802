"""The production layout on PostgreSQL: `make serve` (gunicorn with 2 web workers, 2 `flask worker`
processes, a scheduler) plus a second scheduler, against the sandbox subprocess; and R3: workers
SIGKILLed at random points while candidates start, submit and are evaluated. Emails go to a real SMTP
server; duplicates are counted from what it received and from the forms Lever itself lists.

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

from dashboard.attempts.models import Attempt
from dashboard.config import ROOT
from dashboard.extensions import db
from dashboard.jobs.models import JobRun
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity
from tests.support.attempts import advance
from tests.support.connections import direct_connection, signed
from tests.support.platform import analyst_assessment
from tests.support.processes import METRICS_TOKEN, free_port, wait_http
from tests.support.sandbox import WEBHOOKS_OFF
from tests.support.smtp import invitations_received, smtp_sink

# Uses a PostgreSQL database of its own whatever TEST_DATABASE_URL says: run once, in the first pass.
pytestmark = pytest.mark.own_postgres

PROD_CANDIDATES = int(os.environ.get("PROD_CANDIDATES", "500"))
R3_CANDIDATES = int(os.environ.get("R3_CANDIDATES", "500"))
R3_SMTP_QUIT_DELAY = float(os.environ.get("R3_SMTP_QUIT_DELAY", "0.1"))
R3_PROGRESSING = int(os.environ.get("R3_PROGRESSING", "60"))  # candidates who start, submit and are evaluated


def _lever_env(env: dict, sandbox, smtp_port: int) -> dict:
    return dict(env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_DEFAULT_SENDER="assessments@example.com",
                LEVER_ENV="local", LEVER_API_URL=sandbox.api_url, LEVER_AUTHORIZE_URL=sandbox.url + "/authorize",
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


def _person_decides(sink, organisation_id: int, user_id: int) -> int:
    """Invitation emails whose sending a killed worker interrupted wait for a person, who asks the
    candidate: resend when it never arrived. Returns how many were undecided."""
    db.session.rollback()
    received = invitations_received(sink)
    undecided = db.session.scalars(select(Effect).where(
        Effect.state == "needs_decision", Effect.kind == "send_invitation")).all()
    for effect in undecided:
        if not received[db.session.get(Attempt, effect.attempt_id).candidate.email]:
            sync_services.retry_effect(organisation_id, effect.id, user_id)
    db.session.commit()
    return len(undecided)


def _done_effects() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Effect.id)).where(Effect.state == "done")) or 0


def _live_forms(opp: dict) -> Counter:
    """Lever's own list of live feedback forms on an opportunity, by the attempt they name."""
    refs = Counter()
    for form in opp.get("feedback") or []:
        if not form.get("deletedAt"):
            refs.update(f.get("value") for f in form.get("fields") or [] if f.get("text") == "Reference")
    return refs


def _assert_converged(sandbox, sink, opps, n: int) -> dict:
    """What candidates and Lever show once settled; returns the duplicate counts (all 0)."""
    db.session.rollback()
    assert db.session.scalar(select(func.count(Invitation.id))) == n
    received = invitations_received(sink)
    duplicate_emails = sum(count - 1 for count in received.values())
    assert received == {f"cand{i}@example.com": 1 for i in range(n)}, "one invitation email per candidate"
    states = Counter(db.session.scalars(select(Effect.state)))
    undecided = db.session.scalars(select(Effect).where(Effect.state == "needs_decision")).all()
    assert all(e.kind == "send_invitation" for e in undecided), undecided  # each one arrived once (above)
    assert set(states) <= {"done", "needs_decision"}, f"effects not all done: {states}"
    writes = Counter((c["method"], c["path"]) for c in sandbox.calls() if c["method"] == "POST" and c["status"] < 300)
    for opp in opps:
        assert writes[("POST", f"/v1/opportunities/{opp['id']}/addLinks")] >= 1
    lever = {o["id"]: o for o in sandbox.state()["opportunities"]}
    forms = {opp_id: _live_forms(opp) for opp_id, opp in lever.items()}
    duplicate_forms = sum(count - 1 for refs in forms.values() for count in refs.values())
    assert not duplicate_forms, {k: v for k, v in forms.items() if any(c > 1 for c in v.values())}
    scored = db.session.execute(select(Invitation.attempt_id, Invitation.opportunity_id).join(
        Attempt, Attempt.id == Invitation.attempt_id).where(Attempt.final_score.is_not(None))).all()
    for attempt_id, opportunity_id in scored:
        lever_id = db.session.get(LeverOpportunity, opportunity_id).lever_id
        assert forms[lever_id][f"attempt-{attempt_id}"] == 1, ("no form in Lever for a scored attempt", lever_id)
    return {"emails": sum(received.values()), "duplicate_emails": duplicate_emails, "forms": len(scored),
            "duplicate_forms": duplicate_forms, "undecided_emails": len(undecided)}


def _no_overlapping_runs() -> int:
    """Runs of one job (for one organisation) never overlap, whichever scheduler started them; returns
    how many runs were recorded."""
    db.session.rollback()
    runs = db.session.scalars(select(JobRun).where(JobRun.trigger == "schedule").order_by(JobRun.started_at)).all()
    last_end: dict = {}
    for run in runs:
        key = (run.job, run.organisation_id)
        assert run.finished_at is not None, (run.job, run.runner, "left running")
        if key in last_end:
            assert run.started_at >= last_end[key], (key, "two runs overlapped")
        last_end[key] = run.finished_at
    return len(runs)


def test_serve_layout_on_postgresql(pg_app, prod_env, sandbox, tmp_path):
    sandbox.configure(rate=10, burst=20)
    org, connection, opps = _setup(sandbox, PROD_CANDIDATES)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with smtp_sink() as (sink, smtp_port), open(log_path, "w") as log:
        env = _lever_env(dict(prod_env, PORT=str(port), WEB_CONCURRENCY="2", WORKER_PROCESSES="2",
                              PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", GRACEFUL_TIMEOUT="10"), sandbox, smtp_port)
        serve = subprocess.Popen([sys.executable, "-m", "dashboard.jobs.serve"], env=env, cwd=str(ROOT), stdout=log,
                                 stderr=subprocess.STDOUT)
        # a second scheduler: only one may run jobs at a time (R8)
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
            _assert_converged(sandbox, sink, opps, PROD_CANDIDATES)
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
        finally:
            extra.send_signal(signal.SIGTERM)
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(40) == 0
            extra.wait(20)
    # two schedulers ran: the runs they recorded never overlap for one job, and there were some
    assert _no_overlapping_runs() >= 1
    text = log_path.read_text()
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "dashboard.access"]
    assert access and all(e["request_id"] for e in access)
    minted_secret = "prod-signature-token"
    assert minted_secret not in text and bodies[0]["signature"] not in text and "Bearer " not in text


def test_r3_workers_killed_at_random_points(pg_app, prod_env, sandbox, tmp_path):
    """Workers SIGKILLed at 20 random points while candidates are invited, start, submit and are
    evaluated; then every candidate got one invitation email and every scored attempt one live form."""
    from dashboard.accounts import services as accounts

    sandbox.configure(rate=10000, burst=10000)
    org, connection, opps = _setup(sandbox, R3_CANDIDATES)
    evaluator = accounts.create_user(org.id, "evaluator@example.com", "recruiter", name="Eve")
    db.session.commit()
    app_client = pg_app.test_client()
    for opp in opps:
        body = signed("prod-signature-token", data={"opportunityId": opp["id"]})
        assert app_client.post(f"/webhooks/lever/{connection.public_id}", json=body).status_code == 200
    argv = [sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py"), "worker"]
    log = open(tmp_path / "workers.log", "w")  # noqa: SIM115 (closed below)
    rng = random.Random(7)
    progressing = min(R3_CANDIDATES, R3_PROGRESSING)
    steps = 0
    # Each worker waits a moment after the server took its email, before it can commit: kills land in
    # that window too (an email sent, not yet recorded), where a second email would come from.
    with smtp_sink(quit_delay=R3_SMTP_QUIT_DELAY) as (sink, smtp_port):
        env = _lever_env(prod_env, sandbox, smtp_port)
        env.update(LEVER_PACE_RATE="1000", LEVER_PACE_BURST="1000")
        workers = [subprocess.Popen(argv, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
                   for _ in range(2)]
        try:
            started = time.monotonic()
            while not sink.messages and time.monotonic() < started + 60:  # the run is under way
                time.sleep(0.05)
            for _ in range(20):  # a kill once the workers did something since the last one, a moment later
                before, moved_at, pause = _done_effects(), None, rng.uniform(0.2, 1.0)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and (moved_at is None or time.monotonic() < moved_at + pause):
                    db.session.rollback()  # candidates move on while the workers run
                    got_link = invitations_received(sink)  # a candidate starts from the link in the email
                    live = [a for a in db.session.scalars(select(Attempt).order_by(Attempt.id).limit(progressing))
                            if got_link[a.candidate.email]]
                    if not live or not any([advance(a, evaluator.id) for a in rng.sample(live, min(5, len(live)))]):
                        time.sleep(0.05)
                    steps += 1
                    if moved_at is None and _done_effects() > before:
                        moved_at = time.monotonic()
                victim = rng.randrange(len(workers))
                workers[victim].kill()
                workers[victim].wait()
                workers[victim] = subprocess.Popen(argv, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
            _wait_settled(R3_CANDIDATES, timeout=120 + R3_CANDIDATES * 0.3)
            if _person_decides(sink, org.id, evaluator.id):
                _wait_settled(R3_CANDIDATES, timeout=60)
            for attempt in db.session.scalars(select(Attempt).order_by(Attempt.id).limit(progressing)).all():
                while advance(attempt, evaluator.id):  # the rest of the progressing candidates finish
                    pass
            _wait_settled(R3_CANDIDATES, timeout=120)
            figures = _assert_converged(sandbox, sink, opps, R3_CANDIDATES)
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            for proc in workers:
                proc.wait(20)
            log.close()
    assert figures["forms"] >= progressing // 2, figures  # the candidates did progress
    print(f"\nR3: {R3_CANDIDATES} candidates, {progressing} progressing ({steps} rounds), {figures}")
