"""Count the SQL statements a block of code sends (a SQLAlchemy event listener on the engine)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from dashboard.extensions import db


@contextmanager
def statements():
    """Yields the list of SQL statements sent inside the block, filled as they are sent."""
    sent: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
