"""`flask demo reset` as a developer runs it: a real process on its own SQLite file and sandbox data file."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path):
    """A migrated demo database with one extra candidate, and a sandbox data file."""
    db_file, sandbox_file = tmp_path / "dashboard.db", tmp_path / "sandbox.db"
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": f"sqlite:///{db_file}",
           "SANDBOX_DATA": str(sandbox_file), "SANDBOX_PORT": str(free_port()),
           "SECRET_KEY": "demo-reset-test", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    env.pop("TEST_DATABASE_URL", None)

    def flask(*args, stdin: str | None = None, **extra) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env={**env, **extra},
                              input=stdin, capture_output=True, text=True, timeout=120)

    assert flask("db", "upgrade").returncode == 0
    assert flask("demo", "load").returncode == 0
    with sqlite3.connect(db_file) as conn:
        org = conn.execute("SELECT id FROM organisations").fetchone()[0]
        conn.execute("INSERT INTO candidates (organisation_id, email, name, created_at) "
                     "VALUES (?, 'left@example.com', 'Left Over', CURRENT_TIMESTAMP)", (org,))
    sandbox_file.write_bytes(b"sandbox state")
    return flask, db_file, sandbox_file, env


def _rows(db_file: Path, sql: str) -> list:
    with sqlite3.connect(db_file) as conn:
        return conn.execute(sql).fetchall()


def test_reset_drops_everything_and_loads_the_demo_again(demo):
    flask, db_file, sandbox_file, _ = demo
    done = flask("demo", "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert "dropped, migrated, demo data loaded" in done.stdout and "sandbox data" in done.stdout
    assert _rows(db_file, "SELECT email FROM candidates") == []
    assert _rows(db_file, "SELECT name FROM organisations") == [("Acme Analytics",)]
    assert len(_rows(db_file, "SELECT id FROM users")) == 3
    assert len(_rows(db_file, "SELECT version_num FROM alembic_version")) == 1
    assert not sandbox_file.exists()
    assert flask("demo", "reset", "--yes").returncode == 0  # again, without a sandbox file


def test_reset_asks_first_and_no_keeps_everything(demo):
    flask, db_file, sandbox_file, _ = demo
    answer = flask("demo", "reset", stdin="n\n")
    assert answer.returncode != 0 and "Aborted" in answer.stderr
    assert _rows(db_file, "SELECT email FROM candidates") == [("left@example.com",)]
    assert sandbox_file.exists()


def test_reset_is_refused_in_production(demo):
    flask, db_file, sandbox_file, _ = demo
    refused = flask("demo", "reset", "--yes", APP_ENV="production", PUBLIC_BASE_URL="https://dash.example",
                    METRICS_TOKEN="m", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
    assert refused.returncode != 0
    assert "refused: APP_ENV is production" in refused.stderr
    assert _rows(db_file, "SELECT email FROM candidates") == [("left@example.com",)]
    assert sandbox_file.exists()


def test_reset_is_refused_while_make_run_serves(demo):
    flask, db_file, _, env = demo
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", int(env["SANDBOX_PORT"])))
        listener.listen()
        refused = flask("demo", "reset", "--yes")
    assert refused.returncode != 0 and "stop `make run`" in refused.stderr
    assert _rows(db_file, "SELECT email FROM candidates") == [("left@example.com",)]
