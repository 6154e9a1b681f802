"""Shared helpers for the benchmarks: processes (sandbox, gunicorn), statistics and table printing.

Benchmarks print figures; they never assert wall-clock times. The machine may be shared and
noisy, so measurements are repeated and reported as median and min–max.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LEVER_RATE = 10.0  # what Lever allows one account: requests per second
LEVER_BURST = 20  # and the burst on top


# ---------------------------------------------------------------- statistics and output

def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile (0–100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """'median (min–max)' of repeated measurements."""
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain aligned text table under a title line."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    print(f"\n== {title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def verdict(ok: bool) -> str:
    """The word printed beside a figure and its target."""
    return "meets" if ok else "MISSES"


def command_line(run, doc: str, argv: list[str] | None, *options: tuple[str, type, object, str]) -> dict:
    """Parse `argv` for a benchmark module and call its `run` with the options as keyword arguments.

    `doc` is the module's docstring (its first line describes the command); each option is
    (flag, type, default, help), e.g. ("--size", int, 1000, "applications in the burst"), and its
    name with dashes turned to underscores is the keyword `run` takes."""
    prog = "bench." + run.__module__.rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    for flag, kind, default, text in options:
        parser.add_argument(flag, type=kind, default=default, help=text)
    return run(**vars(parser.parse_args(argv)))


def call_kind(call: dict) -> str:
    """`METHOD path` of a sandbox call log entry with ids folded, e.g. `POST opportunities/:id/addTags`."""
    parts = call["path"].split("?")[0].split("/")
    folded = [":id" if any(ch.isdigit() for ch in p) and p != "v1" else p for p in parts]
    return f"{call['method']} {'/'.join(folded).removeprefix('/v1/')}"


# ---------------------------------------------------------------- processes

def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Block until `url` answers at all (any status)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop_process(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Sandbox:
    """The Lever sandbox as a subprocess (`python -m lever_sandbox`) and its admin API."""

    def __init__(self, data_path: str | None = None) -> None:
        self._tmp = None
        if data_path is None:
            self._tmp = tempfile.mkdtemp(prefix="bench-sandbox-")
            data_path = os.path.join(self._tmp, "sandbox.db")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lever_sandbox", "--port", "0", "--data", data_path], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.proc.stdout.readline().strip()
        if not line.startswith("Lever sandbox on "):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.removeprefix("Lever sandbox on ")
        self.api_url = self.url + "/v1"
        self.http = requests.Session()
        wait_http(self.url + "/_admin/config", proc=self.proc)

    def admin(self, method: str, path: str, json=None):
        """Call `/_admin/...`; returns the decoded JSON (None for an empty answer)."""
        resp = self.http.request(method, self.url + path, json=json, timeout=120)
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {path} → {resp.status_code}: {resp.text}")
        return resp.json() if resp.content else None

    def calls(self) -> list[dict]:
        """The sandbox's API call log."""
        return self.admin("GET", "/_admin/calls")

    def api_calls(self) -> list[dict]:
        """The call log's entries for Lever's API (`/v1/...`), without the admin calls."""
        return [c for c in self.calls() if c["path"].startswith("/v1")]

    def clear_calls(self) -> None:
        """Forget the call log."""
        self.admin("POST", "/_admin/calls/clear")

    def stop(self) -> None:
        """Terminate the subprocess."""
        stop_process(self.proc, 5)


class SmtpSink:
    """A real SMTP server (aiosmtpd on a free local port) noting when each recipient's message arrived."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: dict[str, float] = {}  # recipient → time.time() of its first message
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                now = time.time()
                for rcpt in envelope.rcpt_tos:
                    sink.received.setdefault(rcpt.lower(), now)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    def config(self) -> dict:
        """Settings that make the dashboard hand its email to this server."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_USE_TLS": False,
                "MAIL_DEFAULT_SENDER": "assessments@example.com"}

    def wait_for(self, address: str, seconds: float) -> float | None:
        """When (`time.time()`) `address` got its first message, waiting up to `seconds`; None if not."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if address.lower() in self.received:
                return self.received[address.lower()]
            time.sleep(0.01)
        return self.received.get(address.lower())

    def stop(self) -> None:
        """Stop the server."""
        self.controller.stop()


def app_config_for(sandbox: Sandbox) -> dict:
    """Settings that point the dashboard's Lever environment at the sandbox."""
    return {"LEVER_ENV": "local", "LEVER_API_URL": sandbox.api_url, "LEVER_AUTHORIZE_URL": sandbox.url + "/authorize",
            "LEVER_TOKEN_URL": sandbox.url + "/oauth/token", "LEVER_AUDIENCE": sandbox.api_url + "/",
            "LEVER_HIRE_URL": sandbox.url, "LEVER_CLIENT_ID": "dashboard-local",
            "LEVER_CLIENT_SECRET": "dashboard-local-secret"}


def make_app(database_url: str, **overrides):
    """A dashboard app on `database_url` with the test secrets."""
    from dashboard import create_app
    from dashboard.config import TestConfig

    settings = {k: v for k, v in vars(TestConfig).items() if k.isupper()}
    settings.update({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False})
    settings.update(overrides)
    return create_app(settings)


def postgres_database(name: str) -> str:
    """Drop and create database `name` on the local PostgreSQL; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def connect_demo(sandbox: Sandbox, *, signature_token: str | None = None):
    """Inside an app context: the demo organisation (with its published assessment) connected to a
    freshly seeded demo Lever account, tokens minted by the sandbox, one webhook per event signed
    with `signature_token`. Returns (connection, seeded sandbox data)."""
    from dashboard.core.clock import utcnow
    from dashboard.demo import load_demo
    from dashboard.extensions import db
    from dashboard.lever.api.oauth import DEFAULT_SCOPES
    from dashboard.lever.connection.crypto import encrypt
    from dashboard.lever.connection.models import LeverConnection, LeverWebhook
    from dashboard.lever.sync.webhooks import EVENTS

    seeded = sandbox.admin("POST", "/_admin/seed", {"demo": True})
    load_demo()
    db.session.commit()
    from dashboard.accounts.models import Organisation

    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id).limit(1))
    minted = sandbox.admin("POST", "/_admin/tokens", {"client_id": "dashboard-local",
                                                      "account_id": seeded["account"]["id"],
                                                      "scopes": list(DEFAULT_SCOPES)})
    connection = LeverConnection(
        organisation_id=org.id, status="connected", lever_account_id=seeded["account"]["id"], lever_env="local",
        scopes=" ".join(DEFAULT_SCOPES), access_token_enc=encrypt(minted["access_token"]),
        refresh_token_enc=encrypt(minted["refresh_token"]), expires_at=utcnow() + timedelta(hours=1),
        connected_at=utcnow() - timedelta(days=1), backfill_decision="all")
    db.session.add(connection)
    db.session.flush()
    token = signature_token or secrets.token_hex(24)
    for event in EVENTS:
        db.session.add(LeverWebhook(connection_id=connection.id, event=event, url="http://127.0.0.1/",
                                    source="pasted", signature_token_enc=encrypt(token)))
    db.session.commit()
    return connection, seeded


def paced_app(sandbox: Sandbox, name: str, *, rate: float = LEVER_RATE, burst: int = LEVER_BURST, **overrides):
    """The sandbox made to allow `rate` requests/s (burst `burst`) and a dashboard app on a fresh SQLite
    file named after `name`, pointed at it, pacing in memory; `overrides` are further settings."""
    sandbox.admin("POST", "/_admin/config", {"rate": rate, "burst": burst})
    tmp = tempfile.mkdtemp(prefix=f"{name}-")
    settings = {"LEVER_PACER": "memory", **app_config_for(sandbox), **overrides}
    return make_app(f"sqlite:///{tmp}/{name}.db", **settings)


def prepare_account(connection) -> None:
    """Inside an app context: what connecting and the scheduler do once per account (postings, stages,
    the feedback template, the Lever user to act as), committed."""
    from dashboard.extensions import db
    from dashboard.lever.connection.clients import client_for
    from dashboard.lever.sync import catalog, feedback, performers

    client = client_for(connection)
    catalog.refresh_postings(connection, client)
    catalog.refresh_stages(connection, client)
    feedback.ensure_template(connection, client)
    performers.perform_as_user(connection, client)
    db.session.commit()


def add_second_opening(sandbox: Sandbox, seeded: dict, text: str) -> None:
    """A second posting named `text` in the seeded account, tagged like "Data Analyst" (so it uses the same
    assessment); appended to `seeded["postings"]`."""
    tag = next(p["tags"] for p in seeded["postings"] if p["text"] == "Data Analyst")
    seeded["postings"] += sandbox.admin("POST", "/_admin/seed", {
        "account_id": seeded["account"]["id"], "postings": [{"text": text, "tags": tag}]})["postings"]


def queue_delivery(connection, event: str, opportunity_id: str, to_stage_id: str | None = None) -> None:
    """Put one verified delivery in the inbox, as the webhook receiver would."""
    from dashboard.extensions import db
    from dashboard.lever.sync.models import InboxDelivery

    db.session.add(InboxDelivery(organisation_id=connection.organisation_id, connection_id=connection.id,
                                 token=secrets.token_hex(24), event=event, opportunity_lever_id=opportunity_id,
                                 to_stage_id=to_stage_id, triggered_at=int(time.time() * 1000)))


class BackgroundWorker:
    """The real worker loop (`run_forever`, its default idle sleep unless given) in a thread of this
    process, as `flask worker` runs it."""

    def __init__(self, app, idle_sleep: float | None = None) -> None:
        import threading

        from dashboard.jobs.worker import run_forever

        self.stop_event = threading.Event()
        args = (app, self.stop_event) if idle_sleep is None else (app, self.stop_event, idle_sleep)
        self.thread = threading.Thread(target=run_forever, args=args, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Ask the loop to stop and wait for it."""
        self.stop_event.set()
        self.thread.join(30)


class Services:
    """The sandbox and a real SMTP server for one benchmark, and the background worker once started;
    whatever is running is stopped on leaving the `with` block."""

    def __init__(self) -> None:
        self.sandbox = Sandbox()
        try:
            self.sink = SmtpSink()
        except BaseException:
            self.sandbox.stop()
            raise
        self.worker: BackgroundWorker | None = None

    def start_worker(self, app) -> None:
        """The real worker loop for `app`, in a thread."""
        self.worker = BackgroundWorker(app)

    def stop_worker(self) -> None:
        """Stop the worker loop, if it runs."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop_worker()
        finally:
            self.sink.stop()
            self.sandbox.stop()


def waiting() -> int:
    """Rows still waiting in the inbox and the outbox (pending or claimed), inside an app context;
    ends the read transaction so the next count sees other sessions' commits."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.lever.sync.models import Effect, InboxDelivery

    left = (db.session.scalar(select(func.count(Effect.id)).where(Effect.state.in_(("pending", "claimed"))))
            or 0) + (db.session.scalar(select(func.count(InboxDelivery.id)).where(
                InboxDelivery.state.in_(("pending", "claimed")))) or 0)
    db.session.commit()
    return left


def settled() -> bool:
    """True when nothing waits in the inbox or the outbox (inside an app context)."""
    return waiting() == 0


def wait_settled(seconds: float, poll: float = 0.2) -> None:
    """Wait (up to `seconds`) while another thread's worker empties the inbox and the outbox."""
    deadline = time.monotonic() + seconds
    while not settled() and time.monotonic() < deadline:
        time.sleep(poll)


def drain(max_rounds: int = 100_000, idle_limit: float = 30.0) -> int:
    """Run the worker until the inbox and the outbox are empty; returns the passes made.

    Back-offs are real (a rate-limited row waits its turn), so the time spent is the real one."""
    from dashboard.jobs.worker import run_once

    idle_since = None
    for rounds in range(1, max_rounds + 1):
        if run_once():
            idle_since = None
            continue
        left = waiting()
        if not left:
            return rounds
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > idle_limit:
            raise RuntimeError(f"the worker did not settle: {left} row(s) still waiting")
        time.sleep(0.05)
    raise RuntimeError("the worker did not settle")


# ---------------------------------------------------------------- memory

def rss_kb(pid: int) -> int | None:
    """Current resident set size (VmRSS) of a process in KiB, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found
