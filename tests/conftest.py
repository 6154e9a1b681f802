"""Fixtures shared by the whole suite: the app, its database, clients and users.

Every test gets a fresh schema. SQLite is the default; `TEST_DATABASE_URL` (PostgreSQL)
runs the same tests against PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from flask import g
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from sqlalchemy import inspect, text

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db

pytest_plugins = ["tests.support.sandbox", "tests.support.smtp"]


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app the suite creates (one app per test)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _MemoryBytecodeCache()


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token on every state-changing request.

    Pass `csrf=False` to send none (to prove the route demands one).
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        secret = self.application.config["SECRET_KEY"]
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and not kwargs.get("json"):
            token = self.csrf_token()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def database_url(tmp_path) -> str:
    """The database for one test: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        # Test data need not survive a crash of the database server: skip the fsync per commit.
        return url + ("&" if "?" in url else "?") + "options=-c%20synchronous_commit%3Doff"
    return f"sqlite:///{tmp_path / 'test.db'}"


def reset_schema() -> None:
    """An empty, current schema. PostgreSQL: truncate when every table already exists (fast),
    else drop and recreate the whole public schema. SQLite: a fresh file per test anyway."""
    if db.engine.dialect.name == "postgresql":
        existing = set(inspect(db.engine).get_table_names())
        wanted = set(db.metadata.tables)
        with db.engine.begin() as conn:
            if wanted and wanted == existing - {"alembic_version"}:
                # DELETE beats TRUNCATE on tiny tables; ids restart so tests see the same ids.
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
                conn.execute(text(
                    "SELECT setval(s.oid, 1, false) FROM pg_class s WHERE s.relkind = 'S' "
                    "AND s.relnamespace = 'public'::regnamespace"))
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                return
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
    db.create_all()


@pytest.fixture
def app(tmp_path):
    """A fresh application with an empty, current schema."""
    app = create_app({
        **{k: v for k, v in vars(TestConfig).items() if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
    })
    app.test_client_class = CSRFClient
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE

    @app.teardown_request
    def _forget_login(exc=None):
        # Test requests reuse the fixture's app context, so flask-login's per-request user cache
        # in `g` would otherwise leak from one client (and one test request) to the next.
        g.pop("_login_user", None)

    with app.app_context():
        reset_schema()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_org(app):
    """Create an organisation: make_org('Name')."""
    from dashboard.accounts import services

    def _make(name: str = "Acme Analytics"):
        org = services.create_organisation(name)
        db.session.commit()
        return org

    return _make


@pytest.fixture
def make_user(app, make_org):
    """Create a user with a role (and an organisation unless one is given)."""
    from dashboard.accounts import services

    counter = {"n": 0}

    def _make(role: str = "owner", org=None, email: str | None = None,
              password: str = "correct horse battery"):
        counter["n"] += 1
        org = org or make_org(f"Org {counter['n']}")
        user = services.create_user(org.id, email or f"{role}{counter['n']}@example.com", role,
                                    name=f"{role.title()} {counter['n']}", password=password)
        db.session.commit()
        return user

    return _make


def login(client, user, password: str = "correct horse battery"):
    """Log `user` in through the real login form."""
    resp = client.post("/login", data={"email": user.email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def owner_client(client, owner):
    """A client logged in as an owner of a fresh organisation."""
    login(client, owner)
    return client
