"""Error pages: HTML for people, JSON for API-like callers; never a traceback."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from dashboard.extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    401: "You need to log in.",
    403: "You do not have permission to do that.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    413: "That request is too large.",
    429: "Too many requests; wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The service is not ready.",
}


def _wants_json() -> bool:
    return request.path.startswith(("/webhooks/", "/api/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(code: int, message: str | None = None):
    """Render an error page (or JSON body) with the given status code."""
    message = message or MESSAGES.get(code, "Error.")
    if _wants_json():
        return {"error": message}, code
    return render_template("errors/error.html", code=code, message=message), code


def register(app: Flask) -> None:
    """Attach the handlers to the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, f"The form expired or was tampered with ({exc.description}). "
                                 "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None:  # a response made for this refusal (e.g. the locked login page)
            return exc.response
        code = exc.code or 500
        description = exc.description if code in (400, 409, 413, 429, 503) else None
        return render_error(code, description)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        # The route pattern, never the path: candidate links and set-password tokens live there.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        app.logger.exception("unhandled error on %s %s", request.method, route)

        db.session.rollback()
        return render_error(500)
