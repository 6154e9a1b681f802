"""Statements with their constants written into the SQL text, so that PostgreSQL can keep one plan.

SQLAlchemy sends every value as a parameter, constants too (a LIMIT, an IN list of states). The driver
prepares a statement it has run a few times, and PostgreSQL then plans a prepared statement once for
all values (a generic plan) only when that plan is about as good as one made for the values at hand.
Without the constants a generic plan cannot tell a page of 26 rows from the whole table, so every
request is planned again, which for the candidates list's three-branch union costs more than running
it. With the constants in the text, only the values that change between requests (the organisation,
the filters, the cursor) stay parameters, and the plan is made once per connection.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from sqlalchemy import event
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter


def inline_constants(statement, parameters: Iterable[str]):
    """A copy of `statement` in which every bound value except those named in `parameters` is rendered
    as a literal when it runs (the values are the statement's own, never user input)."""
    keep = set(parameters)

    def replace(element):
        if isinstance(element, BindParameter) and element.key not in keep and not element.literal_execute:
            inlined = element._clone()
            inlined.literal_execute = True
            return inlined
        return None

    return visitors.replacement_traverse(statement, {}, replace)


def keep_plans_after_reads(app, db) -> None:
    """End a request's read-only transaction with COMMIT rather than ROLLBACK.

    psycopg forgets every statement it prepared on a connection when that connection rolls back, and
    closing a session rolls back: without this, a page's statements are parsed and planned again on
    every request. A transaction that wrote anything (a flush, or an INSERT, UPDATE or DELETE run
    through the session) is left alone and rolled back as before unless the view committed it."""
    _watch_writes(db.session)

    @app.teardown_request
    def _end_read(exc):
        session = db.session()
        wrote = session.info.pop("wrote", False)
        if exc is not None or wrote or request.method not in ("GET", "HEAD") or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return  # changes a view left unflushed are never written by a read
        session.commit()


_WATCHED: set[int] = set()


def _watch_writes(scoped) -> None:
    """Mark a session that flushed or ran a statement other than SELECT (`info["wrote"]`); once per
    session factory, however many applications share it."""
    if id(scoped) in _WATCHED:
        return
    _WATCHED.add(id(scoped))

    @event.listens_for(scoped, "after_flush")
    def _flushed(session, _context):
        session.info["wrote"] = True

    @event.listens_for(scoped, "do_orm_execute")
    def _executed(state):
        if not state.is_select:
            state.session.info["wrote"] = True
