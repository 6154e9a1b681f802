"""Revision 3b1f0c9d2a47 on a database with data: names and emails get their search form, attempts the
integration created are marked "lever", the list's indexes exist (the trigram ones on PostgreSQL only),
and the downgrade and a second upgrade work, expression indexes kept (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from dashboard.extensions import db
from tests.support.migrations import index_names, upgrade_with_rows

BEFORE = "b4c0a1f2d3e4"
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ROWS = (
    "INSERT INTO organisations (id, name, timezone, created_at) VALUES (1, 'Acme', 'UTC', :at)",
    "INSERT INTO assessments (id, organisation_id, name, description, status, passing_score, time_limit_minutes,"
    " invitation_valid_days, created_at) VALUES (1, 1, 'A', '', 'published', 70, 25, 7, :at)",
    "INSERT INTO candidates (id, organisation_id, email, name, created_at)"
    " VALUES (1, 1, 'zoe@example.com', 'Zoë Ångström', :at), (2, 1, 'hank@hands.example', 'Hank', :at)",
    "INSERT INTO attempts (id, organisation_id, candidate_id, assessment_id, token, status, invited_at, deadline,"
    " valid_from, time_limit_minutes, passing_score, extra_minutes, evaluation_state)"
    " VALUES (1, 1, 1, 1, 't1', 'invited', :at, :at, :at, 25, 70, 0, 'pending'),"
    " (2, 1, 2, 1, 't2', 'invited', :at, :at, :at, 25, 70, 0, 'pending')",
    "INSERT INTO lever_connections (id, organisation_id, public_id, status, scopes, reuse_days, tag_brand,"
    " created_at) VALUES (1, 1, 'p1', 'connected', '', 180, 'Alooba', :at)",
    "INSERT INTO lever_opportunities (id, organisation_id, connection_id, lever_id, candidate_id, name, email,"
    " archived, hired, deleted, tags_inherited, first_seen_at)"
    " VALUES (1, 1, 1, 'opp-1', 1, 'ZOË Ångström', 'Zoe@Example.com', false, false, false, false, :at)",
    "INSERT INTO lever_invitations (id, organisation_id, opportunity_id, assessment_id, attempt_id, reused,"
    " \"trigger\", created_at) VALUES (1, 1, 1, 1, 1, false, 'application', :at)",
)


def test_search_forms_sources_and_indexes(empty_app):  # noqa: F811
    upgrade_with_rows(BEFORE, ROWS, AT)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT search_text FROM candidates ORDER BY id")).scalars().all() == [
            "zoe angstrom zoe@example.com", "hank hank@hands.example"]
        assert conn.execute(text("SELECT search_text FROM lever_opportunities")).scalar() == \
            "zoe angstrom zoe@example.com"
        assert conn.execute(text("SELECT source FROM attempts ORDER BY id")).scalars().all() == ["lever", "direct"]
    found = index_names()
    assert {"ix_candidates_organisation_search", "ix_attempts_organisation_source_invited",
            "ix_lever_opportunities_organisation_seen"} <= found
    trigram = {"ix_candidates_search_trgm", "ix_lever_opportunities_search_trgm"}
    assert (trigram <= found) if db.engine.dialect.name == "postgresql" else not (trigram & found)
    downgrade(revision=BEFORE)
    found = index_names()
    assert "ix_candidates_organisation_lower_name" in found and not trigram & found
    assert {"ix_attempts_organisation_score", "ix_attempts_organisation_status_score"} <= found
    upgrade()
    assert {"ix_attempts_organisation_score", "ix_attempts_organisation_status_score"} <= index_names()
