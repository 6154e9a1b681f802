"""A database dump for secrecy tests: every value of every row of every table, as one string."""

from __future__ import annotations

from dashboard.extensions import db


def database_text() -> str:
    """Every value of every row of every table, joined by newlines."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)
