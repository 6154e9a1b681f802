"""Login wiring, role checks and organisation scoping used by every blueprint."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import LoginManager, current_user, login_required

from dashboard.extensions import db


def init_login(login_manager: LoginManager) -> None:
    """Configure flask-login: where to log in, and how a cookie becomes a user."""
    from dashboard.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(identity: str):
        user_id, _, token = identity.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_token != token:
            return None
        return user


def role_required(minimum: str):
    """View decorator: logged in, and at least `minimum` role, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = minimum
        return wrapped

    return decorator


def get_scoped_or_404(model, object_id, organisation_id: int):
    """Load `model` by id within one organisation; anything else is a 404."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "organisation_id", None) != organisation_id:
        abort(404)
    return obj


def safe_next(target: str | None, default: str) -> str:
    """Return `target` when it is a path on this site, else `default`.

    Rejects absolute URLs, scheme-relative (`//host`), backslash tricks (`/\\host`),
    and anything with a scheme or netloc after decoding.
    """
    if not target:
        return default
    candidate = target.strip()
    if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if any(ord(ch) < 32 for ch in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    from urllib.parse import unquote

    decoded = unquote(candidate)
    if decoded.startswith("//") or "\\" in decoded:
        return default
    return candidate
