"""Refuse to serve from a database whose schema is not at the latest migration."""

from __future__ import annotations

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request

from dashboard.core.errors import render_error
from dashboard.extensions import db


def migration_status() -> tuple[bool, str]:
    """(current, message): whether the database is at Alembic's head revision."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return True, "database schema is current"
    return False, (
        f"the database is at {sorted(current) or 'no revision'} but the code needs {sorted(heads)}: "
        "run `flask db upgrade` (make run does this for you)"
    )


def require_migrated() -> None:
    """For CLI processes (worker, scheduler): exit with a clear message on an unmigrated database."""

    ok, message = migration_status()
    if not ok:
        raise click.ClickException(f"Database not migrated: {message}.")


def register(app: Flask) -> None:
    """Check once per process, before the first request that needs the database."""
    state = {"ok": bool(app.config.get("SKIP_MIGRATION_CHECK"))}

    @app.before_request
    def ensure_migrated():
        if state["ok"]:
            return None

        if request.endpoint in ("core.healthz", "static"):
            return None
        ok, message = migration_status()
        if ok:
            state["ok"] = True
            return None
        app.logger.error("refusing to serve: %s", message)

        return render_error(503, f"Database not migrated: {message}.")
