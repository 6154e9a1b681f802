"""B5: reconciliation over 10,000 unchanged opportunities (QUALITY.md).

Runs alone: `python -m bench.b5_reconcile [--count N]`. Starts a sandbox subprocess (high rate
limit for seeding), a throw-away SQLite database, connects the demo organisation, lets a first
full pass record every opportunity, then measures reconciliation passes over the unchanged set:
Lever calls against the pages needed to list what changed, and writes (must be 0).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_sandbox(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lever_sandbox", "--port", str(port), "--data",
                             str(tmp / "sandbox.db")], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/_admin/config", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def _admin(url: str, method: str, path: str, body=None):
    resp = requests.request(method, url + path, json=body, timeout=120)
    resp.raise_for_status()
    return resp.json()


def _connect(url: str, account_id: str):
    from datetime import timedelta

    from dashboard.accounts.models import Organisation
    from dashboard.core.clock import utcnow
    from dashboard.extensions import db
    from dashboard.lever.api.oauth import DEFAULT_SCOPES
    from dashboard.lever.connection.crypto import encrypt
    from dashboard.lever.connection.models import LeverConnection

    minted = _admin(url, "POST", "/_admin/tokens", {"client_id": "dashboard-local", "account_id": account_id,
                                                     "scopes": list(DEFAULT_SCOPES), "ttl": 86400})
    org = db.session.query(Organisation).first()
    connection = LeverConnection(organisation_id=org.id, status="connected", lever_account_id=account_id,
                                 lever_env="local", scopes=" ".join(DEFAULT_SCOPES),
                                 access_token_enc=encrypt(minted["access_token"]),
                                 refresh_token_enc=encrypt(minted["refresh_token"]),
                                 expires_at=utcnow() + timedelta(hours=24), connected_at=utcnow(),
                                 backfill_decision="new_only")
    db.session.add(connection)
    db.session.commit()
    return connection


def _measure(connection_id: int, overlap: int, app) -> dict:
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.jobs.runs import CallCounter
    from dashboard.lever.sync.models import Effect
    from dashboard.lever.sync.reconcile import reconcile_opportunities

    app.config["RECONCILE_OVERLAP_SECONDS"] = overlap
    effects_before = db.session.scalar(select(func.count(Effect.id)))
    counter = CallCounter()
    started = time.perf_counter()
    changes = reconcile_opportunities(connection_id, counter)
    seconds = time.perf_counter() - started
    effects = db.session.scalar(select(func.count(Effect.id))) - effects_before
    return {"calls": counter.total, "lever_writes": counter.writes, "effects": effects,
            "listed": changes["listed"], "applied": changes["applied"], "seconds": seconds}


def main(argv=None) -> int:
    """Seed, run a first full pass, then measure steady-state passes; prints a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="b5-"))
    proc, url = _start_sandbox(tmp)
    try:
        seeded = _admin(url, "POST", "/_admin/seed", {"demo": True})
        _admin(url, "POST", "/_admin/config", {"rate": 10000, "burst": 10000})
        _admin(url, "POST", "/_admin/faults", {"drop_webhooks": True})
        account_id = seeded["account"]["id"]
        posting = next(p["id"] for p in seeded["postings"] if p["text"] == "Data Analyst")

        from dashboard import create_app
        from dashboard.config import TestConfig
        from dashboard.extensions import db

        app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                          "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'b5.db'}",
                          "LEVER_ENV": "local", "LEVER_API_URL": url + "/v1", "LEVER_TOKEN_URL": url + "/oauth/token",
                          "LEVER_AUTHORIZE_URL": url + "/authorize", "LEVER_AUDIENCE": url + "/v1/",
                          "LEVER_CLIENT_ID": "dashboard-local", "LEVER_CLIENT_SECRET": "dashboard-local-secret",
                          "LEVER_PACE_RATE": 100000.0, "LEVER_PACE_BURST": 100000})
        with app.app_context():
            db.create_all()
            from dashboard.demo import load_demo

            load_demo()
            db.session.commit()
            # Opportunities already in Lever before connecting: recorded, not invited ("new only").
            for start in range(0, args.count, 500):
                batch = [{"posting_id": posting, "name": f"Applicant {i}", "email": f"applicant{i}@example.com"}
                         for i in range(start, min(start + 500, args.count))]
                _admin(url, "POST", "/_admin/applications", {"account_id": account_id, "applications": batch})
            time.sleep(0.01)
            connection = _connect(url, account_id)
            from dashboard.lever.sync.reconcile import refresh_catalog

            refresh_catalog(connection.id)
            first = _measure(connection.id, 300, app)
            steady = _measure(connection.id, 0, app)
            overlap = _measure(connection.id, 300, app)
        rows = [("first full pass (records all)", first, -(-args.count // PAGE)),
                ("steady state, no overlap", steady, 1),
                ("steady state, 5 min overlap", overlap, -(-args.count // PAGE))]
        print(f"B5 reconciliation over {args.count} unchanged opportunities (page size {PAGE})")
        print(f"{'pass':32} {'listed':>7} {'applied':>7} {'calls':>6} {'pages':>6} {'writes':>7} "
              f"{'effects':>7} {'seconds':>8}")
        for label, r, pages in rows:
            print(f"{label:32} {r['listed']:>7} {r['applied']:>7} {r['calls']:>6} {pages:>6} "
                  f"{r['lever_writes']:>7} {r['effects']:>7} {r['seconds']:>8.2f}")
        ok = steady["calls"] <= 1 + 2 and steady["lever_writes"] == 0 and steady["effects"] == 0 \
            and overlap["lever_writes"] == 0 and overlap["effects"] == 0 and overlap["applied"] == 0
        print("target (calls <= pages of what changed + constant, 0 writes):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
