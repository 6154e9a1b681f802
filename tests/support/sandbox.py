"""Pytest plugin: the Lever sandbox as a real subprocess, a per-test helper, and a webhook receiver;
and the constants the tests seed and call it with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

ALL_SCOPES = ["offline_access", "opportunities:write:admin", "postings:read:admin", "stages:read:admin",
              "users:read:admin", "feedback:write:admin", "feedback_templates:write:admin",
              "notes:write:admin", "webhooks:write:admin"]
REDIRECT = "http://127.0.0.1:5000/callback"  # the redirect URI of the sandbox tests' OAuth client
# Every webhook group switched off, for `seed(webhook_groups=...)`: the test plays Lever's deliveries itself.
WEBHOOKS_OFF = {"applicationCreated": False, "candidateStageChange": False, "candidateArchiveChange": False,
                "candidateHired": False, "candidateDeleted": False}
# A feedback template with a rating, a text and a score field.
SCORE_TEMPLATE = {"text": "Assessment", "fields": [
    {"type": "score-system", "text": "Rating"}, {"type": "text", "text": "Summary"},
    {"type": "score", "text": "Skill"}]}


class SandboxServer:
    """A running `python -m lever_sandbox` subprocess on a free port."""

    def __init__(self, data_path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lever_sandbox", "--port", "0", "--data", str(data_path)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("Lever sandbox on "):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.removeprefix("Lever sandbox on ")
        self._wait_ready()

    def _wait_ready(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/_admin/config", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the sandbox did not answer")

    def stop(self) -> None:
        """Terminate the subprocess."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Sandbox:
    """What a test uses: URLs and the admin JSON API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.api_url = url + "/v1"
        self.authorize_url = url + "/authorize"
        self.token_url = url + "/oauth/token"
        self.hire_url = url
        self.http = requests.Session()

    def admin(self, method: str, path: str, json=None, expect: int | None = None):
        """Call `/_admin/...`; returns the decoded JSON (None for an empty answer)."""
        resp = self.http.request(method, self.url + path, json=json, timeout=30)
        if expect is not None:
            assert resp.status_code == expect, resp.text
        elif resp.status_code >= 400:
            raise AssertionError(f"{method} {path} → {resp.status_code}: {resp.text}")
        return resp.json() if resp.content else None

    def seed(self, **kw) -> dict:
        """POST /_admin/seed with the keyword arguments as the body."""
        return self.admin("POST", "/_admin/seed", kw)

    def mint_token(self, **kw) -> dict:
        """POST /_admin/tokens: {client_id, account_id?, user_id?, scopes}."""
        return self.admin("POST", "/_admin/tokens", kw)

    def set_faults(self, **kw) -> dict:
        """POST /_admin/faults."""
        return self.admin("POST", "/_admin/faults", kw)

    def configure(self, **kw) -> dict:
        """POST /_admin/config."""
        return self.admin("POST", "/_admin/config", kw)

    def state(self, account_id: str | None = None) -> dict:
        """GET /_admin/state."""
        return self.admin("GET", "/_admin/state" + (f"?account_id={account_id}" if account_id else ""))

    def calls(self) -> list[dict]:
        """GET /_admin/calls."""
        return self.admin("GET", "/_admin/calls")

    def deliveries(self) -> list[dict]:
        """GET /_admin/deliveries."""
        return self.admin("GET", "/_admin/deliveries")


class WebhookReceiver:
    """A local HTTP server that records POSTs and answers with queued (or default) status codes."""

    def __init__(self, default_status: int = 200) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.default_status = default_status
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                              "body": json.loads(raw or b"null"), "status": status})
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Block until `count` POSTs arrived (or fail)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            assert ok, f"expected {count} deliveries, got {len(self.received)}"
            return list(self.received)

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The sandbox subprocess for the whole session."""
    server = SandboxServer(tmp_path_factory.mktemp("lever-sandbox") / "sandbox.db")
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server) -> Sandbox:
    """A sandbox with empty state and default settings."""
    helper = Sandbox(sandbox_server.url)
    helper.admin("POST", "/_admin/reset")
    return helper


@pytest.fixture
def webhook_receiver():
    """A local webhook endpoint recording what it receives."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
