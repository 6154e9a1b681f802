"""The logged-in user of test requests: each request loads its own from its cookie."""

from __future__ import annotations

from flask import g


def _forget_cached_user(exc=None) -> None:
    g.pop("_login_user", None)


def forget_user_between_requests(app) -> None:
    """Make every test request load its user from its own cookie, and leave none behind.

    The suite's `app` fixture keeps one application context pushed, so Flask reuses it (and its
    `g`, where flask-login caches the current user) for every test request. Without this, a request
    from one client could run as the user of the previous request (or of the test code in between).
    """
    app.before_request(_forget_cached_user)
    app.teardown_request(_forget_cached_user)
