"""Request ids and structured (JSON) logs without secrets.

Every request gets an id (a well-formed incoming `X-Request-ID` is kept, otherwise a new one) that
is echoed in the response header and stamped on every log line written while serving it. With
LOG_FORMAT=json (the production default) each log record is one JSON object on stderr; every
message goes through `redact()` first. Access lines name the route pattern, never the raw path
or query string (candidate links and OAuth codes live there).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

from dashboard.observability import metrics
from dashboard.observability.redact import redact

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
_HANDLER_MARK = "_dashboard_handler"
access_log = logging.getLogger("dashboard.access")


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


class RequestIdFilter(logging.Filter):
    """Stamp `record.request_id` on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    EXTRA = ("method", "route", "endpoint", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for key in self.EXTRA:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class RedactingTextFormatter(logging.Formatter):
    """Plain text lines with the request id, redacted like the JSON ones."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(fmt: str, level: str = "INFO") -> None:
    """Send the root logger to stderr in `fmt` ('json' or 'text'); safe to call more than once."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingTextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, logger in logging.root.manager.loggerDict.items():  # a logging fileConfig may have muted ours
        if name.startswith("dashboard") and isinstance(logger, logging.Logger):
            logger.disabled = False


def default_format(env_name: str | None) -> str:
    """JSON in production, redacted text in development (`make run`); tests leave logging alone."""
    return {"production": "json", "development": "text"}.get(env_name or "", "")


def register(app: Flask) -> None:
    """Request ids, access lines and (when LOG_FORMAT is set) the process's log handler."""
    fmt = app.config.get("LOG_FORMAT") or ("" if app.testing else default_format(app.config.get("ENV_NAME")))
    if fmt in ("json", "text"):
        configure_logging(fmt, app.config.get("LOG_LEVEL") or "INFO")
        app.logger.removeHandler(default_handler)  # every line goes through the redacting handler

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response):

        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        seconds = time.perf_counter() - getattr(g, "request_started", time.perf_counter())
        endpoint = request.endpoint or "unmatched"
        metrics.http_request(request.method, endpoint, response.status_code, seconds)
        if endpoint != "static":
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            access_log.info("%s %s %s", request.method, route, response.status_code, extra={
                "method": request.method, "route": route, "endpoint": endpoint,
                "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
        return response
