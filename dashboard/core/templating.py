"""Jinja filters and globals: times in the viewer's timezone, relative times, roles."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from dashboard.core.clock import as_utc


def _viewer_zone() -> ZoneInfo:
    tz = "UTC"
    if current_user and current_user.is_authenticated:
        tz = current_user.organisation.timezone or "UTC"
    try:
        return ZoneInfo(tz)
    except Exception:  # unknown zone name in the database: fall back rather than fail a page
        return ZoneInfo("UTC")


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A datetime in the viewer's organisation timezone, with the zone abbreviation."""
    if value is None:
        return "—"
    local = as_utc(value).astimezone(_viewer_zone())
    return local.strftime(fmt) + " " + (local.tzname() or "")


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', 'in 2 h', 'just now'."""
    if value is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = int((as_utc(value) - now).total_seconds())
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 45:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{seconds // size} {unit}"
            return f"in {amount}" if future else f"{amount} ago"
    return "just now"


def register(app: Flask) -> None:
    """Install the filters and globals."""
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(relative_time, "ago")


    @app.context_processor
    def inject_globals():
        return {
            "tag_brand": app.config.get("TAG_BRAND", "Alooba"),
            "has_endpoint": lambda name: name in app.view_functions,
        }
