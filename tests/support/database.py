"""The database of one test: its URL, and an empty, current schema."""

from __future__ import annotations

import os

from sqlalchemy import text

from dashboard.extensions import db


def database_url(tmp_path) -> str:
    """The database for one test: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        # Test data need not survive a crash of the database server: skip the fsync per commit.
        return url + ("&" if "?" in url else "?") + "options=-c%20synchronous_commit%3Doff"
    return f"sqlite:///{tmp_path / 'test.db'}"


def reset_schema() -> None:
    """An empty, current schema. PostgreSQL: truncate when every table and column already exists (fast),
    else drop and recreate the whole public schema. SQLite: a fresh file per test anyway."""
    if db.engine.dialect.name == "postgresql":
        wanted = {(table.name, column.name) for table in db.metadata.tables.values() for column in table.columns}
        with db.engine.begin() as conn:
            existing = set(conn.execute(text(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name <> 'alembic_version'")).all())
            if wanted and wanted == existing:  # every table and column: a model change rebuilds the schema
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
