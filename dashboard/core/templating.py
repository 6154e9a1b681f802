"""Jinja filters and globals: times in an organisation's timezone, relative times, time left, plurals, roles."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from dashboard.core.clock import as_utc, utcnow
from dashboard.core.scores import format_score


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:  # unknown zone name in the database: fall back rather than fail a page
        return ZoneInfo("UTC")


def _viewer_zone() -> ZoneInfo:
    tz = "UTC"
    if current_user and current_user.is_authenticated:
        tz = current_user.organisation.timezone or "UTC"
    return _zone(tz)


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y %H:%M", zone: str | None = None) -> str:
    """A datetime in `zone` (an IANA name; by default the viewer's organisation timezone), with the
    zone abbreviation."""
    if value is None:
        return "—"
    local = as_utc(value).astimezone(_zone(zone) if zone else _viewer_zone())
    return local.strftime(fmt) + " " + (local.tzname() or "")


def time_left(value: datetime | None, now: datetime | None = None) -> str:
    """The time until `value` as a clock, rounded up to the second: '44:59', '1:05:00', '0:00' once
    past. static/js/app.js counts down in the same format."""
    if value is None:
        return "—"
    seconds = max(0, math.ceil((as_utc(value) - (now or utcnow())).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


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


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 day', '2 days', '0 minutes' (`plural_form` for irregular words)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def register(app: Flask) -> None:
    """Install the filters and globals."""
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(relative_time, "ago")
    app.add_template_filter(time_left, "time_left")
    app.add_template_filter(plural, "plural")
    app.add_template_filter(format_score, "score")
    app.add_template_global(utcnow, "utcnow")

    def can_open(endpoint: str) -> bool:
        """The endpoint exists and the logged-in user's role may use it (what a page may offer them)."""
        view = app.view_functions.get(endpoint)
        if view is None:
            return False
        role = getattr(view, "required_role", None)
        return role is None or bool(current_user and current_user.is_authenticated and current_user.has_role(role))

    @app.context_processor
    def inject_globals():
        return {
            "tag_brand": app.config.get("TAG_BRAND", "Alooba"),
            "has_endpoint": lambda name: name in app.view_functions,
            "can_open": can_open,
        }
