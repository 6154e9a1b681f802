"""Fixtures shared by the whole suite: the app, its database, clients and users.

Every test gets a fresh schema. SQLite is the default; `TEST_DATABASE_URL` (PostgreSQL)
runs the same tests against PostgreSQL. Helpers live in `tests.support`; the plugins below provide
the fixtures several directories use.
"""

from __future__ import annotations

import pytest
from jinja2 import BytecodeCache

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db
from tests.support.clients import PASSWORD, CSRFClient, login
from tests.support.database import database_url, reset_schema
from tests.support.users import forget_user_between_requests

pytest_plugins = ["tests.support.sandbox", "tests.support.smtp", "tests.support.sync"]


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


@pytest.fixture
def app(tmp_path):
    """A fresh application with an empty, current schema."""
    app = create_app({
        **{k: v for k, v in vars(TestConfig).items() if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
    })
    app.test_client_class = CSRFClient
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    forget_user_between_requests(app)

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
              password: str = PASSWORD):
        counter["n"] += 1
        org = org or make_org(f"Org {counter['n']}")
        user = services.create_user(org.id, email or f"{role}{counter['n']}@example.com", role,
                                    name=f"{role.title()} {counter['n']}", password=password)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def owner_client(client, owner):
    """A client logged in as an owner of a fresh organisation."""
    login(client, owner)
    return client


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty, unmigrated database (no tables, no alembic_version): for the migration tests."""
    app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": database_url(tmp_path), "SKIP_MIGRATION_CHECK": False})
    with app.app_context():
        reset_schema()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        yield app
        db.session.remove()
        db.engine.dispose()
