"""Migration tests on a database with data: rows written at an older revision, then the upgrade, and the
index names the database reports (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_migrate import upgrade
from sqlalchemy import text

from dashboard.extensions import db


def upgrade_with_rows(before: str, rows: Iterable[str], at: datetime) -> None:
    """Migrate an empty database to revision `before`, run each INSERT in `rows` (`:at` bound to `at`),
    then upgrade to the head."""
    upgrade(revision=before)
    with db.engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql), {"at": at})
    upgrade()


def index_names(table: str | None = None) -> set[str]:
    """The indexes in the database (of `table` only when given), as the database itself lists them: with
    SQLite's expression indexes, which SQLAlchemy's inspector leaves out."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'" + (" AND tbl_name = :table" if table else "")
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'" + (
                " AND tablename = :table" if table else "")
        return set(conn.execute(text(sql), {"table": table} if table else {}).scalars())
