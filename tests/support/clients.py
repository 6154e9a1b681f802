"""Test clients: one that sends a CSRF token by itself, and logging a user in through the form."""

from __future__ import annotations

import hashlib
import os

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

PASSWORD = "correct horse battery"  # every user the suite makes has it unless told otherwise


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token on every state-changing request.

    Pass `csrf=False` to send none (to prove the route demands one).
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        secret = self.application.config["SECRET_KEY"]
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and not kwargs.get("json"):
            token = self.csrf_token()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def login(client, user, password: str = PASSWORD):
    """Log `user` in through the real login form."""
    resp = client.post("/login", data={"email": user.email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp
