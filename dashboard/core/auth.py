"""Access checks every blueprint uses: role required, objects scoped to the organisation, safe `next`.

Roles rank owner > admin > recruiter (`User.has_role`); nothing here knows the user table.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import abort
from flask_login import current_user, login_required

from dashboard.extensions import db


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
    decoded = unquote(candidate)
    if decoded.startswith("//") or "\\" in decoded:
        return default
    return candidate
