"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest
from flask import g


def forget_user_between_requests(app) -> None:
    """Make every test request load its user from its own cookie.

    The suite's `app` fixture keeps one application context pushed, so Flask reuses it (and
    its `g`, where flask-login caches the current user) for every test request. Without this,
    a request from one client could run as the user of the previous request.
    """

    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    forget_user_between_requests(app)
