"""Login and logout. (User management lives in `users.py`, registered on this blueprint.)"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.accounts import services
from dashboard.accounts.auth import safe_next
from dashboard.accounts.forms import LoginForm
from dashboard.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="Too many login attempts; wait a minute.")
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
