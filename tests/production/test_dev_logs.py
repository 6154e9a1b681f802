"""`make run`: the worker and the scheduler run as child processes of their own (the web process
starts no thread of background work) and stop with it; its logs print no candidate link, set-password
token or OAuth code and state, and no line per static file."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from dashboard.config import ROOT, TestConfig
from tests.support.processes import free_port, wait_http

SECRETS = ("candidatelinktoken1234567890", "setpasswordtoken1234567890", "oauthcodeABC123456", "oauthstateXYZ98765")


def _children(pid: int) -> dict[int, str]:
    """The live child processes of `pid` with their command lines (read from /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                line = cmd.read().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and line:
            found[int(entry)] = line
    return found


def _all_pids() -> dict[int, str]:
    """Every live process id (to check that none of the server's children survived it)."""
    return {int(entry): "" for entry in os.listdir("/proc") if entry.isdigit()}


def _get(url: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(url, timeout=10).read()  # noqa: S310 (loopback)


def test_development_server_logs_hold_no_secrets_and_no_static_lines(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = dict(os.environ, PORT=str(port), SANDBOX_PORT=str(sandbox_port), APP_ENV="development",
               DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}", SANDBOX_DATA=str(tmp_path / "sandbox.db"),
               SECRET_KEY="dev-test-secret-for-logs", TOKEN_ENCRYPTION_KEYS=TestConfig.TOKEN_ENCRYPTION_KEYS,
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1", FLASK_APP=str(ROOT / "wsgi.py"))
    env.pop("TEST_DATABASE_URL", None)
    upgrade = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    log = tmp_path / "devserver.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.jobs.devserver"], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz", 200, timeout=60)
            _get(f"{base}/a/{SECRETS[0]}")
            _get(f"{base}/a/{SECRETS[0]}/parts/1")
            _get(f"{base}/set-password/{SECRETS[1]}")
            _get(f"{base}/settings/integrations/lever/callback?code={SECRETS[2]}&state={SECRETS[3]}")
            _get(f"http://127.0.0.1:{sandbox_port}/oauth/authorize?client_id=x&state={SECRETS[3]}")
            _get(f"{base}/static/css/app.css")
            _get(f"{base}/login")
            time.sleep(1)
            children = _children(proc.pid)
        finally:
            proc.terminate()
            proc.wait(20)
    assert proc.returncode == 0
    commands = sorted(line.rsplit(" ", 1)[1] for line in children.values() if "flask" in line)
    assert commands == ["scheduler", "worker"], children
    assert not set(children) & set(_all_pids()), "a background process outlived the server"
    sandbox = urllib.request.Request(f"http://127.0.0.1:{sandbox_port}/")
    with contextlib.suppress(OSError), urllib.request.urlopen(sandbox, timeout=2):  # noqa: S310 (loopback)
        raise AssertionError("stopping the development server left its Lever sandbox running")
    text = log.read_text()
    assert "GET /login 200" in text  # the app's access line (the route pattern) is there ...
    assert "GET /a/<token> 404" in text
    for secret in SECRETS:
        assert secret not in text, f"{secret} appears in the development server's output"
    assert "app.css" not in text  # ... but no line per static file
