"""The database's content, to prove what a request did not do: every value as one string (secrecy
tests), every row of every table (nothing changed), and row counts (nothing added or removed)."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.extensions import db


def database_text() -> str:
    """Every value of every row of every table, joined by newlines."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused request changed nothing."""
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def row_counts() -> dict[str, int]:
    """Number of rows in every table."""
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
