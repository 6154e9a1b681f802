"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and the app refuses to serve from a database that is behind."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db


def test_one_head():
    app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _postgresql_only(item) -> bool:
    """An index the models mark PostgreSQL-only (a trigram index): neither created nor expected elsewhere."""
    marked = {i.name for t in db.metadata.tables.values() for i in t.indexes if i.info.get("postgresql_only")}
    return item[0] == "add_index" and item[1].name in marked


def test_migrations_match_models(empty_app):
    upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    if db.engine.dialect.name != "postgresql":
        diff = [item for item in diff if not _postgresql_only(item)]
    assert diff == []


def test_unmigrated_database_is_refused_with_a_clear_message(empty_app):
    resp = empty_app.test_client().get("/login")
    assert resp.status_code == 503
    assert "flask db upgrade" in resp.get_data(as_text=True)
    assert empty_app.test_client().get("/healthz").status_code == 200
    upgrade()
    assert empty_app.test_client().get("/login").status_code == 200
