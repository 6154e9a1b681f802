"""Browser fixtures: the sandbox and the dashboard as real subprocesses on free ports, and Debian's
Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


class Servers:
    """URLs of the running dashboard and sandbox."""

    def __init__(self, dashboard: str, sandbox: str):
        self.dashboard, self.sandbox = dashboard, sandbox


@pytest.fixture(scope="module")
def server_env() -> dict:
    """Extra environment for the module's servers (a module overrides this fixture to shorten intervals)."""
    return {}


@pytest.fixture(scope="module")
def servers(tmp_path_factory, server_env):
    """`make run`'s data in a temporary directory (db upgrade, demo load), the sandbox, and the dashboard as
    production runs it: a web process, a `flask worker` and a `flask scheduler`."""
    tmp = tmp_path_factory.mktemp("browser")
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "FLASK_APP": "wsgi.py", "PORT": str(port), "SANDBOX_PORT": str(sandbox_port),
           "DATABASE_URL": f"sqlite:///{tmp / 'dashboard.db'}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "SECRET_KEY": "browser-tests-secret", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
           **server_env}
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(tmp / "servers.log", "w")  # noqa: SIM115 (closed below)
    sandbox = subprocess.Popen([sys.executable, "-m", "lever_sandbox", "--port", str(sandbox_port),
                                "--data", str(tmp / "sandbox.db"), "--demo"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    dashboard = subprocess.Popen([sys.executable, "-m", "tests.browser.serve"], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
    background = [subprocess.Popen(flask + [command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
                  for command in ("worker", "scheduler")]
    try:
        _wait(f"http://127.0.0.1:{sandbox_port}/", sandbox)
        _wait(f"http://127.0.0.1:{port}/healthz", dashboard)
        yield Servers(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}")
    finally:
        for proc in (dashboard, *background, sandbox):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh 1280px-wide browser context per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()

