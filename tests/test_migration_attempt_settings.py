"""Revision b55ed796abc9 on a database with data: existing attempts get their assessment's time limit and
passing score and a validity window from their invitation time, the expression indexes of `attempts`
survive on SQLite, and the downgrade and a second upgrade work (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from dashboard.core.clock import as_utc
from dashboard.extensions import db
from tests.support.migrations import index_names, upgrade_with_rows

BEFORE = "db7f2ccf6ae6"
INVITED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ROWS = (
    "INSERT INTO organisations (id, name, timezone, created_at) VALUES (1, 'Acme', 'UTC', :at)",
    "INSERT INTO assessments (id, organisation_id, name, description, status, passing_score, time_limit_minutes,"
    " invitation_valid_days, created_at) VALUES (1, 1, 'A', '', 'published', 70, 25, 7, :at),"
    " (2, 1, 'B', '', 'published', 40, 90, 7, :at)",
    "INSERT INTO candidates (id, organisation_id, email, name, created_at)"
    " VALUES (1, 1, 'c@example.com', 'C', :at)",
    "INSERT INTO attempts (id, organisation_id, candidate_id, assessment_id, token, status, invited_at, deadline,"
    " extra_minutes, evaluation_state) VALUES (1, 1, 1, 1, 't1', 'in_progress', :at, :at, 5, 'pending'),"
    " (2, 1, 1, 2, 't2', 'invited', :at, :at, 0, 'pending')",
)


def test_existing_attempts_are_backfilled_from_their_assessment(empty_app):  # noqa: F811
    upgrade_with_rows(BEFORE, ROWS, INVITED)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, time_limit_minutes, passing_score, valid_from FROM attempts "
                                 "ORDER BY id")).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, 25, 70.0), (2, 90, 40.0)]
    assert all(as_utc(r[3] if isinstance(r[3], datetime) else datetime.fromisoformat(r[3])) == INVITED
               for r in rows)
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("attempts")}
    assert {"ix_attempts_status_deadline", "ix_attempts_organisation_status"} <= indexes
    if db.engine.dialect.name == "sqlite":  # not rebuilt: the expression indexes are still there
        assert {"ix_attempts_organisation_score", "ix_attempts_organisation_status_score"} <= index_names("attempts")
    downgrade(revision=BEFORE)
    columns = {c["name"] for c in inspect(db.engine).get_columns("attempts")}
    assert not columns & {"time_limit_minutes", "passing_score", "valid_from"}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar() == 2
    upgrade()  # up again, and the schema is left as the next test expects it (PostgreSQL keeps it)
    columns = {c["name"] for c in inspect(db.engine).get_columns("lever_opportunities")}
    assert {"status_written", "status_written_at", "last_checked_at"} <= columns
