"""B4 (lists): the candidates list, its search and its CSV export at 100,000 candidates and 1,000,000
sync-history rows on PostgreSQL, as ratios to `/login` measured in the same run.

Pages: the default list, filters, a deep page (by key: the page after row 50,000), searches inside
names and emails, and the export (time to the first byte and to the last, whole list and filtered).
Each is measured warm (median of --repeat) and cold: the first request after a change (a new
invitation, which moves the list, and a renamed job, which drops the cached option lists).

    python -m bench.b4_lists [--candidates N] [--history N] [--repeat N] [--keep]

The data set goes into the database of B4_LISTS_PG_URL (default: the local `bench_b4_lists`, created
when missing); its schema is emptied first, unless --keep reuses a data set of the same sizes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench import datagen

PG_ADMIN = os.environ.get("B4_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = os.environ.get("B4_LISTS_PG_URL", PG_ADMIN.rsplit("/", 1)[0] + "/bench_b4_lists")
BAR = 5.0
DEEP_ROW = 50_000


def _database(keep: bool) -> str:
    """The benchmark's database (created when missing), its schema emptied unless kept."""
    import psycopg

    try:
        conn = psycopg.connect(PG_URL, autocommit=True)
    except psycopg.OperationalError:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{PG_URL.rsplit("/", 1)[1]}"')
        conn = psycopg.connect(PG_URL, autocommit=True)
    with conn:
        if not keep:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return PG_URL


def _app(url: str):
    from dashboard import create_app
    from dashboard.config import TestConfig

    settings = {k: v for k, v in vars(TestConfig).items() if k.isupper()}
    settings.update({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "WTF_CSRF_ENABLED": False})
    return create_app(settings)


def _prepare(app, candidates: int, history: int) -> dict:
    from sqlalchemy import func, select

    from dashboard.attempts.models import Candidate
    from dashboard.extensions import db

    with app.app_context():
        db.create_all()
        stored = db.session.scalar(select(func.count()).select_from(Candidate))
        if stored and not candidates <= stored < candidates + 1000:  # (each run's cold changes add a few)
            raise SystemExit(f"the kept database holds {stored} candidates; drop it or use that size")
        info = datagen.existing(candidates=candidates, history=history) if stored else \
            datagen.generate(candidates=candidates, history=history)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum leaves after a bulk load
        return info


def _deep_key(app, organisation_id: int) -> str:
    """The key of the page that starts after row DEEP_ROW of the default list (found once, not timed)."""
    from dashboard.extensions import db
    from dashboard.lever.views import candidate_list

    with app.test_request_context():
        after = None
        for _ in range(DEEP_ROW // 5000):
            after = candidate_list.page(organisation_id, candidate_list.Filters(), after, size=5000).after
        db.session.remove()
        return after


def _timed(client, url: str) -> float:
    t0 = time.perf_counter()
    resp = client.get(url)
    ms = (time.perf_counter() - t0) * 1000
    assert resp.status_code == 200, (url, resp.status_code)
    return ms


def _warm(client, url: str, repeat: int) -> float:
    for _ in range(12):
        _timed(client, url)
    return statistics.median(_timed(client, url) for _ in range(repeat))


def _export(client, url: str) -> tuple[float, float, int]:
    """(ms to the first chunk, ms to the last, bytes) of a streamed export."""
    t0 = time.perf_counter()
    resp = client.get(url, buffered=False)
    assert resp.status_code == 200, url
    first, size = None, 0
    for chunk in resp.response:
        if first is None:
            first = (time.perf_counter() - t0) * 1000
        size += len(chunk)
    resp.close()
    return first or 0.0, (time.perf_counter() - t0) * 1000, size


def _change(app, info: dict, i: int, what: str) -> None:
    """A write that moves the list (a new invitation by hand) or drops the option lists (a renamed job)."""
    from sqlalchemy import select

    from dashboard.accounts.models import User
    from dashboard.attempts import services as attempts
    from dashboard.attempts.events import Actor
    from dashboard.attempts.models import Attempt
    from dashboard.extensions import db
    from dashboard.lever.sync.models import LeverPosting

    with app.app_context():
        if what == "invitation":
            owner = db.session.get(User, info["owner_id"])
            assessment_id = db.session.scalar(select(Attempt.assessment_id).limit(1))
            attempts.invite_candidate(info["organisation_id"], assessment_id, f"cold{time.time_ns()}@bench.example",
                                      f"Cold Start {i}", actor=Actor.staff(owner))
        else:
            posting = db.session.scalar(select(LeverPosting).where(LeverPosting.lever_id == "post-3"))
            posting.text = f"Job 3 (renamed {i})"
        db.session.commit()
        db.session.remove()


def run(candidates: int, history: int, repeat: int, keep: bool) -> list[tuple]:
    url = _database(keep)
    app = _app(url)
    started = time.perf_counter()
    info = _prepare(app, candidates, history)
    print(f"data: {candidates:,} candidates, {history:,} history rows ready in "
          f"{time.perf_counter() - started:.0f} s{' (reused)' if info.get('reused') else ''}", flush=True)
    client = app.test_client()
    assert client.post("/login", data={"email": datagen.OWNER_EMAIL, "password": datagen.PASSWORD}).status_code == 302
    deep = _deep_key(app, info["organisation_id"])
    anonymous = app.test_client()
    login_ms = _warm(anonymous, "/login", repeat)
    pages = [
        ("default list", "/lever/candidates"),
        ("filter: status + score order", "/lever/candidates?status=completed&sort=score"),
        ("filter: job + status", "/lever/candidates?job=post-3&status=invited"),
        ("filter: sync failed", "/lever/candidates?sync=failed"),
        ("filter: name order", "/lever/candidates?sort=name"),
        (f"deep page (after row {DEEP_ROW:,})", f"/lever/candidates?after={deep}"),
        ("search: inside a name", "/lever/candidates?q=son4242"),
        ("search: email domain", "/lever/candidates?q=example.com"),
        ("search: nobody matches", "/lever/candidates?q=zzqx"),
        ("search + filter", "/lever/candidates?q=person42&status=completed&sort=name"),
    ]
    rows = [("/login", login_ms, None)]
    for label, path in pages:
        warm = _warm(client, path, repeat)
        colds = []
        for i in range(max(3, repeat // 5)):
            _change(app, info, i, "invitation" if i % 2 == 0 else "job")
            colds.append(_timed(client, path))
        rows.append((label, warm, statistics.median(colds)))
    for label, path in (("export: whole list", "/lever/candidates/export.csv"),
                        ("export: filtered (job)", "/lever/candidates/export.csv?job=post-3")):
        first, full, size = _export(client, path)
        rows.append((f"{label}, first byte", first, None))
        rows.append((f"{label}, complete ({size / 1e6:.1f} MB)", full, None))
    with app.app_context():
        from dashboard.extensions import db

        db.session.remove()
        db.engine.dispose()
    return [(label, warm, cold, warm / login_ms, (cold / login_ms) if cold else None) for label, warm, cold in rows]


def main(argv: list[str] | None = None) -> int:
    """Print the table (figures only: never fails on timings)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse a kept data set of the same sizes")
    args = parser.parse_args(argv)
    rows = run(args.candidates, args.history, args.repeat, args.keep)
    print(f"\nB4 lists on PostgreSQL, {args.candidates:,} candidates / {args.history:,} history rows: median ms "
          f"(warm over {args.repeat}; cold = first request after a change), bar ≤ {BAR:g} × /login")
    print("| page | warm ms | × /login | cold ms | cold × /login |")
    print("|---|---|---|---|---|")
    for label, warm, cold, ratio, cold_ratio in rows:
        cold_text = f"{cold:.1f} | {cold_ratio:.1f}" if cold else "— | —"
        print(f"| {label} | {warm:.1f} | {ratio:.1f} | {cold_text} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
