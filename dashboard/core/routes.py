"""Home, favicon and health routes."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    """Logged-in users land on the overview; everyone else on the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("lever.overview"))


@bp.route("/healthz")
def healthz():
    """The process is up (no database call)."""
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own: send them to the SVG icon the pages link."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
