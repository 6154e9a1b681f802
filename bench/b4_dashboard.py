"""B4: dashboard pages over 100,000 candidates and 1,000,000 sync-history rows, on SQLite and PostgreSQL.

Median server time of the candidates list (filtered, paginated), candidate detail, linked jobs, the
Overview and Needs attention, measured in-process against `/login` (a static page through the same
layout) in the same run, warm (median of repeated requests) and cold (the first request after a change
that the page's figures depend on: an attempt's status). Target: each ≤ 5 × `/login`.

Each page is first requested WARMUP times, as a serving process would have been: templates compiled,
statements prepared on the connection (psycopg, at their 5th run) and planned once by PostgreSQL. The
cold figure is then the first request after a change, on that connection. The database is vacuumed
and analysed once after the bulk load, as autovacuum would leave it.

    python -m bench.b4_dashboard [--engines sqlite,postgresql] [--candidates N] [--history N] [--repeat N]
                                 [--keep]

With --keep the generated database (SQLite file under the temp directory, PostgreSQL database
`B4_PG_DB`) is kept and reused by the next run with the same sizes; indexes added since are created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from bench import datagen

PG_ADMIN = os.environ.get("B4_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("B4_PG_DB", "bench_b4")
BAR = 5.0
COLD_REPEAT = 5
WARMUP = 12  # psycopg prepares a statement at its 5th run; PostgreSQL keeps one plan from the 10th


def _pg_url(keep: bool) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
        if exists and not keep:
            conn.execute(f'DROP DATABASE "{PG_DB}" WITH (FORCE)')
        if not exists or not keep:
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def _stored_sizes() -> tuple[int, int] | None:
    """(candidates, sync-history rows) of a kept data set, or None when the database is empty."""
    from sqlalchemy import func, select

    from dashboard.attempts.models import Candidate
    from dashboard.extensions import db
    from dashboard.lever.sync.models import SyncEvent

    candidates = db.session.scalar(select(func.count()).select_from(Candidate))
    return (candidates, db.session.scalar(select(func.count()).select_from(SyncEvent))) if candidates else None


def _create_missing_indexes() -> None:
    """A kept database gets the indexes the models declared since it was generated."""
    from sqlalchemy.schema import CreateIndex

    from dashboard.extensions import db

    with db.engine.begin() as conn:  # IF NOT EXISTS: reflection does not see expression indexes
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))


def _app(url: str):
    from dashboard import create_app
    from dashboard.config import TestConfig

    settings = {k: v for k, v in vars(TestConfig).items() if k.isupper()}
    settings.update({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
                     "WTF_CSRF_ENABLED": False})
    return create_app(settings)


def _change(app, attempt_id: int) -> None:
    """A change the counts follow: flip one attempt between invited and in progress, committed."""
    from dashboard.attempts.models import Attempt
    from dashboard.extensions import db

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.status = "in_progress" if attempt.status == "invited" else "invited"
        db.session.commit()


def _first(client, url: str) -> float:
    t0 = time.perf_counter()
    resp = client.get(url)
    assert resp.status_code == 200, url
    return (time.perf_counter() - t0) * 1000


def _warm(client, url: str) -> None:
    """A serving process's state: templates compiled, statements prepared and planned on the connection."""
    for _ in range(WARMUP):
        assert client.get(url).status_code == 200, url


def _measure(client, url: str, repeat: int) -> list[float]:
    _warm(client, url)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, url
    return times


def run_engine(engine: str, candidates: int, history: int, repeat: int, keep: bool = False) -> list[tuple]:
    """Build the data set on one engine (or reuse a kept one) and time each page; returns table rows."""
    from dashboard.extensions import db

    if keep:
        path = os.path.join(tempfile.gettempdir(), f"b4-kept-{candidates}-{history}.db")
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="b4-"), "b4.db")
    url = _pg_url(keep) if engine == "postgresql" else f"sqlite:///{path}"
    app = _app(url)
    with app.app_context():
        db.create_all()
        stored = _stored_sizes() if keep else None
        if stored and stored != (candidates, history):
            raise SystemExit(f"the kept {engine} database holds {stored}; drop it or use those sizes")
        if stored:
            from dashboard.lever.sync import job_counts

            _create_missing_indexes()
            info = datagen.existing(candidates=candidates, history=history)
            job_counts.recount(info["organisation_id"])  # a table added since the data was generated
            db.session.commit()
        else:
            info = datagen.generate(candidates=candidates, history=history)
        if engine == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum leaves after a bulk load
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    print(f"[{engine}] {'reused' if info.get('reused') else 'generated'} {candidates:,} candidates "
          f"in {info['seconds_rows']} s, {history:,} history rows in {info['seconds_history']} s", flush=True)
    client = app.test_client()
    resp = client.post("/login", data={"email": datagen.OWNER_EMAIL, "password": datagen.PASSWORD})
    assert resp.status_code == 302, resp.status_code
    cid = info["sample_candidate_id"]
    pages = [
        ("static /healthz", "/healthz"),
        ("candidates, default", "/lever/candidates"),
        ("candidates, status+sort", "/lever/candidates?status=completed&sort=score"),
        ("candidates, job, page 40", "/lever/candidates?job=post-3&page=40"),
        ("candidates, sync failed", "/lever/candidates?sync=failed"),
        ("candidates, search", "/lever/candidates?q=person4242"),
        ("candidates, name sort", "/lever/candidates?sort=name&page=3"),
        ("candidate detail", f"/lever/candidates/{cid}"),
        ("linked jobs", "/lever/jobs"),
        ("overview", "/lever/"),
        ("needs attention", "/lever/attention"),
    ]
    rows, base = [], None
    anonymous = app.test_client()
    login_times = _measure(anonymous, "/login", repeat)  # a static page through the same layout templates
    login_med = statistics.median(login_times)
    for n, (label, url) in enumerate(pages):
        _warm(client, url)
        colds = []
        for k in range(COLD_REPEAT):  # a change, then the page's first request after it (median of a few)
            _change(app, 1 + (cid + n * COLD_REPEAT + k) % candidates)
            colds.append(_first(client, url))
        cold = statistics.median(colds)
        times = _measure(client, url, repeat)
        med = statistics.median(times)
        base = base or med
        rows.append((engine, label, med, min(times), max(times), med / base, med / login_med, cold, cold / login_med))
        if url == "/healthz":
            rows.append((engine, "static /login (templated)", login_med, min(login_times), max(login_times),
                         login_med / base, 1.0, login_times[0], login_times[0] / login_med))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run B4 and print the table with a verdict per page (figures only: never fails on timings)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the generated data and reuse it next time")
    args = parser.parse_args(argv)
    rows = []
    for engine in args.engines.split(","):
        rows += run_engine(engine.strip(), args.candidates, args.history, args.repeat, args.keep)
    print(f"\nB4: median server time per page over {args.repeat} requests (ms), and the first request after a "
          f"change (median of {COLD_REPEAT}); bar ≤ {BAR:g}× /login")
    print("| engine | page | median ms | min–max ms | × /healthz | × /login | first after a change ms | × /login "
          "| bar (vs /login, both) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for engine, label, med, lo, hi, ratio, ratio_login, cold, cold_login in rows:
        gated = not label.startswith("static")
        ok = max(ratio_login, cold_login) <= BAR
        verdict = ("ok" if ok else "missed") if gated else "—"
        print(f"| {engine} | {label} | {med:.2f} | {lo:.2f}–{hi:.2f} | {ratio:.1f} | {ratio_login:.1f} | "
              f"{cold:.2f} | {cold_login:.1f} | {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
