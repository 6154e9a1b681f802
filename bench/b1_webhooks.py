"""B1: webhook ingestion under gunicorn (2 workers) on loopback, PostgreSQL, one `flask worker` running.

The same load (signed deliveries, 20 % duplicates, from a separate process) goes to the dashboard
and to a bare Flask route answering 204 on the same gunicorn settings, alternately, `--repeat`
times. Then deliveries paced at 200/s measure the acknowledgement latency. Targets: throughput
≥ 50 % of the bare route; p99 ≤ 50 ms at 200/s; 0 errors; inbox rows = distinct tokens.
Peak RSS of each web worker is sampled throughout (B6 reads it).

    python -m bench.b1_webhooks [--size N] [--repeat R] [--rate 200] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading

from bench.common import (
    ROOT,
    Sandbox,
    app_config_for,
    children,
    connect_demo,
    free_port,
    make_app,
    percentile,
    postgres_database,
    print_table,
    rss_kb,
    spread,
    stop_process,
    verdict,
    wait_http,
)

SIGNATURE_KEY = "b1-signature-token-0123456789abcdef0123456789abcd"
DATABASE = f"bench_b1_{os.getpid()}"  # one per run: several runs may share the server


class RssSampler:
    """Samples VmRSS of every child of a gunicorn master until stopped; keeps each worker's peak."""

    def __init__(self, master_pid: int, every: float = 0.2) -> None:
        self.master_pid, self.every = master_pid, every
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in children(self.master_pid):
                rss = rss_kb(pid)
                if rss:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), rss)
            self._stop.wait(self.every)

    def stop(self) -> dict[int, int]:
        """Stop sampling; returns {worker pid: peak RSS in KiB}."""
        self._stop.set()
        self._thread.join()
        return dict(self.peaks)


def _drop_database() -> None:
    import psycopg

    from bench.common import PG_ADMIN_URL
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    except psycopg.Error:
        pass


def _env(database_url: str, sandbox: Sandbox, port: int) -> dict:
    from dashboard.config import TestConfig

    env = dict(os.environ, DATABASE_URL=database_url.replace("+psycopg", ""), PORT=str(port),
               WEB_CONCURRENCY="2", TOKEN_ENCRYPTION_KEYS=TestConfig.TOKEN_ENCRYPTION_KEYS,
               SECRET_KEY="bench-secret-key", LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({k: str(v) for k, v in app_config_for(sandbox).items()})
    return env


def _load(spec: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.loadgen", json.dumps(spec)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def run(size: int = 2000, repeat: int = 3, rate: float = 200.0, seconds: float = 10.0,
        threads: int = 16) -> dict:
    """Run B1; returns the figures (throughputs, latencies, errors, inbox rows, RSS peaks)."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.lever.sync.models import InboxDelivery

    sandbox = Sandbox()
    procs: list[subprocess.Popen] = []
    try:
        url = postgres_database(DATABASE)
        env = _env(url, sandbox, 0)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi.py", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        app = make_app(url, **app_config_for(sandbox))
        with app.app_context():
            connection, seeded = connect_demo(sandbox, signature_token=SIGNATURE_KEY)
            public_id = connection.public_id
            engineer = next(p["id"] for p in seeded["postings"] if p["text"] == "Data Engineer")
            opps = [o["id"] for o in sandbox.admin("POST", "/_admin/applications", {"applications": [
                {"posting_id": engineer, "name": f"Applicant {n}", "email": f"b1-{n}@example.com"}
                for n in range(100)]})]
        real_port, bare_port = free_port(), free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        real = subprocess.Popen(gunicorn, cwd=ROOT, env=_env(url, sandbox, real_port))
        bare = subprocess.Popen([*gunicorn, "bench.bare_app:app"], cwd=ROOT, env=_env(url, sandbox, bare_port))
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi.py", "worker"], cwd=ROOT,
                                  env=_env(url, sandbox, 0), stdout=subprocess.DEVNULL)
        procs += [real, bare, worker]
        wait_http(f"http://127.0.0.1:{real_port}/login", proc=real)
        wait_http(f"http://127.0.0.1:{bare_port}/", proc=bare)
        sampler = RssSampler(real.pid)
        targets = {"dashboard": f"http://127.0.0.1:{real_port}/webhooks/lever/{public_id}",
                   "bare 204": f"http://127.0.0.1:{bare_port}/webhooks/lever/{public_id}"}
        spec = {"key": SIGNATURE_KEY, "opportunities": opps, "threads": threads}
        distinct_sent, errors, kinds = 0, 0, set()
        for name, target in targets.items():  # warm up both servers
            result = _load({**spec, "url": target, "count": 100, "seed": 1})
            distinct_sent += result["distinct"] if name == "dashboard" else 0
        throughput: dict[str, list[float]] = {name: [] for name in targets}
        for n in range(repeat):
            for name, target in (reversed(targets.items()) if n % 2 else targets.items()):
                result = _load({**spec, "url": target, "count": size, "seed": 100 + n})
                throughput[name].append(result["throughput"])
                if name == "dashboard":
                    distinct_sent += result["distinct"]
                    errors += result["errors"]
                    kinds.update(result["error_kinds"])
        paced: dict[str, list[float]] = {}
        p99s: dict[str, list[float]] = {name: [] for name in targets}
        for n in range(repeat):
            for name, target in targets.items():
                result = _load({**spec, "url": target, "count": int(rate * seconds), "rate": rate,
                                "threads": 32, "seed": 200 + n})
                paced.setdefault(name, []).extend(result["latencies_ms"])
                p99s[name].append(percentile(result["latencies_ms"], 99))
                if name == "dashboard":
                    distinct_sent += result["distinct"]
                    errors += result["errors"]
                    kinds.update(result["error_kinds"])
        peaks = sampler.stop()
        with app.app_context():
            inbox_rows = db.session.scalar(select(func.count(InboxDelivery.id))) or 0
            processed = db.session.scalar(select(func.count(InboxDelivery.id)).where(
                InboxDelivery.state == "done")) or 0
    finally:
        for proc in procs:
            stop_process(proc)
        sandbox.stop()
        _drop_database()
    figures = {"throughput": throughput, "paced_ms": paced, "p99s": p99s, "errors": errors,
               "error_kinds": sorted(kinds), "inbox_rows": inbox_rows, "distinct_tokens": distinct_sent,
               "processed": processed, "rss_peaks_kb": peaks, "rate": rate, "size": size, "repeat": repeat}
    _report(figures)
    return figures


def _report(f: dict) -> None:
    real, bare = f["throughput"]["dashboard"], f["throughput"]["bare 204"]
    ratios = [r / b for r, b in zip(real, bare, strict=True) if b]
    ratio = statistics.median(ratios) if ratios else 0.0
    rows = [(name, spread(values, "{:.0f}")) for name, values in f["throughput"].items()]
    print_table(f"B1: webhook throughput, deliveries/s, median (min–max) of {f['repeat']} runs of {f['size']}",
                ("server", "deliveries/s"), rows)
    lat = []
    for name, values in f["paced_ms"].items():
        lat.append((name, f"{percentile(values, 50):.1f}", f"{percentile(values, 99):.1f}",
                    spread(f["p99s"][name]), f"{max(values):.1f}" if values else "-"))
    print_table(f"B1: acknowledgement latency (ms) at {f['rate']:g} deliveries/s",
                ("server", "p50", "p99 (all runs)", "p99 per run: median (min–max)", "max"), lat)
    p99 = percentile(f["paced_ms"].get("dashboard", []), 99)
    print_table("B1: summary", ("figure", "value", "target"), [
        ("throughput vs bare 204 route", f"{ratio:.0%} ({spread([r * 100 for r in ratios], '{:.0f}')} %)",
         f"≥ 50 % ({verdict(ratio >= 0.5)})"),
        (f"p99 acknowledgement at {f['rate']:g}/s", f"{p99:.1f} ms", f"≤ 50 ms ({verdict(p99 <= 50)})"),
        ("errors", f"{f['errors']} {' '.join(f['error_kinds'])}".strip(), f"0 ({verdict(f['errors'] == 0)})"),
        ("inbox rows vs distinct tokens sent", f"{f['inbox_rows']} vs {f['distinct_tokens']}",
         f"equal ({verdict(f['inbox_rows'] == f['distinct_tokens'])})"),
        ("deliveries processed by the worker meanwhile", f["processed"], "-"),
        ("peak RSS per web worker", ", ".join(f"{kb / 1024:.0f} MB" for kb in f["rss_peaks_kb"].values()),
         "B6: < 150 MB"),
    ])


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b1_webhooks [--size N] [--repeat R] [--rate R] [--seconds S]`."""
    parser = argparse.ArgumentParser(prog="bench.b1_webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="deliveries per throughput run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0, help="paced deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each paced run")
    args = parser.parse_args(argv)
    return run(args.size, args.repeat, args.rate, args.seconds)


if __name__ == "__main__":
    main()
