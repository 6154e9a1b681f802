"""A PostgreSQL database of our own (migrated with `flask db upgrade`), the environment the production
processes (gunicorn, `flask worker`, `flask scheduler`) run with on it, and an app bound to it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text

from dashboard import create_app
from dashboard.config import ROOT, TestConfig
from dashboard.extensions import db
from tests.support.processes import METRICS_TOKEN

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def flask_cli(env: dict, *args: str, **kw) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi.py <args>` with `env` and wait for it."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py"), *args], env=env,
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    name = f"dashboard_prod_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def prod_env(pg_url, tmp_path):
    """Environment for production processes on `pg_url`; the database is migrated."""
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "FLASK_APP"):
        env.pop(key, None)
    env.update({
        "APP_ENV": "production", "DATABASE_URL": pg_url.replace("+psycopg", ""),
        "SECRET_KEY": "production-test-secret-" + uuid.uuid4().hex,
        "TOKEN_ENCRYPTION_KEYS": TestConfig.TOKEN_ENCRYPTION_KEYS,
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000", "LOG_FORMAT": "json",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15", "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    })
    done = flask_cli(env, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def pg_app(pg_url, prod_env):
    """An app in this test process bound to the migrated PostgreSQL database."""
    app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": pg_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
