"""Login and logout. (User management lives in `users.py`, registered on this blueprint.)"""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.accounts import services
from dashboard.accounts.auth import safe_next
from dashboard.accounts.forms import LoginForm
from dashboard.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _address_and_email() -> str:
    """Failed logins are counted per (client address, email): one attacker cannot lock out others."""
    return f"{get_remote_address()}|{_login_email()}"


def _account() -> str:
    """...and per account, from any address (an attacker rotating addresses)."""
    return f"account|{_login_email()}"


def _failed(response) -> bool:
    """Only failed logins count: a successful one redirects."""
    return response.status_code != 302


def _locked_out(limit):
    """The login page with a clear message, 429 and Retry-After, while a login limit holds."""
    seconds = max(1, int(limit.reset_at - time.time()))
    wait = f"{-(-seconds // 60)} minute{'s' if seconds > 60 else ''}"
    form = LoginForm(formdata=None, email=request.form.get("email", ""), next=request.form.get("next", ""))
    message = (f"Too many failed logins for this account. For its safety, logging in to it is paused: "
               f"try again in {wait}.")
    response = make_response(render_template("accounts/login.html", form=form, locked=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_address_and_email, methods=["POST"],
               deduct_when=_failed, on_breach=_locked_out, scope="login-address-email")
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account, methods=["POST"],
               deduct_when=_failed, on_breach=_locked_out, scope="login-account")
def login():
    """Email + password login; `next` is followed only when it is a path on this site."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("Wrong email or password.", "error")
        else:
            login_user(user)
            return redirect(safe_next(form.next.data, url_for("core.index")))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else (
        200 if not form.errors else 400
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session everywhere: the session token rotates, copied cookies stop working."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


from dashboard.accounts import users  # noqa: E402,F401  (registers user-management routes)
