"""Login limits: failed logins counted per (client address, email) and per account.

The client address is the one `core.proxies` established (X-Forwarded-For only from trusted
proxies), so several people behind one proxy do not share a counter, and an attacker rotating
addresses still meets the per-account limit. Only failed attempts count.
"""

from __future__ import annotations

import time

from flask import current_app, make_response, render_template, request
from flask_limiter.util import get_remote_address

from dashboard.accounts.forms import LoginForm
from dashboard.extensions import limiter


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _address_and_email() -> str:
    return f"{get_remote_address()}|{_email()}"


def _account() -> str:
    return f"account|{_email()}"


def _failed(response) -> bool:
    """Only failed logins count: a successful one redirects."""
    return response.status_code != 302


def locked_out(limit):
    """The login page with a clear message, 429 and Retry-After, while a login limit holds."""
    seconds = max(1, int(limit.reset_at - time.time()))
    wait = f"{-(-seconds // 60)} minute{'s' if seconds > 60 else ''}"
    form = LoginForm(formdata=None, email=request.form.get("email", ""), next=request.form.get("next", ""))
    message = (f"Too many failed logins for this account. For its safety, logging in to it is paused: "
               f"try again in {wait}.")
    response = make_response(render_template("accounts/login.html", form=form, locked=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def login_limits(view):
    """Apply both limits (LOGIN_RATE_LIMIT per address and email, LOGIN_ACCOUNT_RATE_LIMIT per account)."""
    per_address = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_address_and_email,
                                methods=["POST"], deduct_when=_failed, on_breach=locked_out,
                                scope="login-address-email")
    per_account = limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account,
                                methods=["POST"], deduct_when=_failed, on_breach=locked_out, scope="login-account")
    return per_address(per_account(view))
