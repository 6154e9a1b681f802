"""`/readyz` (may this process take traffic?) and `/metrics` (Prometheus).

Both answer before the app's migration check, so a probe on an unmigrated or unreachable
database gets a clear 503 in JSON instead of the HTML error page.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.core.migrations_check import migration_status
from dashboard.extensions import csrf, db
from dashboard.observability.metrics import exposition

bp = Blueprint("observability", __name__)
PROBES = ("observability.readyz", "observability.metrics")


@bp.route("/readyz")
def readyz():
    """200 when the database answers and its schema is at the latest migration, else 503."""

    try:
        db.session.execute(text("SELECT 1"))
        current, message = migration_status()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return {"status": "unavailable", "database": "unreachable"}, 503
    if not current:
        return {"status": "unavailable", "database": "reachable", "migrations": message}, 503
    return {"status": "ready", "database": "reachable", "migrations": "current"}


@bp.route("/metrics")
def metrics():
    """Prometheus text exposition; with METRICS_TOKEN set, a matching bearer token is required."""

    wanted = current_app.config.get("METRICS_TOKEN")
    if wanted:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), str(wanted).encode()):
            return {"error": "metrics need a bearer token"}, 401
    try:
        body = exposition()
    except SQLAlchemyError:
        db.session.rollback()
        return {"error": "the database is unavailable"}, 503
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")


def register(app: Flask) -> None:
    """Mount the probes and let them answer ahead of the migration check."""
    csrf.exempt(bp)
    app.register_blueprint(bp)

    @app.before_request
    def answer_probes():
        if request.endpoint in PROBES:
            return app.view_functions[request.endpoint]()
        return None
