"""Login and logout, the organisation's users (owners and admins), and the public set-password page
reached from an emailed link."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from dashboard.accounts import services
from dashboard.accounts.forms import ChangeRoleForm, InviteUserForm, LoginForm, SetPasswordForm
from dashboard.accounts.limits import login_limits
from dashboard.accounts.models import ROLES, User
from dashboard.core.auth import get_scoped_or_404, role_required, safe_next
from dashboard.core.boundary import act, attempt
from dashboard.extensions import db

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Email + password login; `next` is followed only when it is a path on this site."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(form.next.data, url_for("core.index")))
        flash("Wrong email or password.", "error")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@role_required("recruiter")  # every signed-in user
def logout():
    """End this session everywhere: the session token rotates, copied cookies stop working."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


def _brand() -> str:
    return current_app.config.get("TAG_BRAND", "Alooba")


def _role_choices() -> list[tuple[str, str]]:
    allowed = ROLES if current_user.role == "owner" else tuple(r for r in ROLES if r != "owner")
    return [(r, r.title()) for r in allowed]


def _render_users(form: InviteUserForm, status: int = 200):
    org_id = current_user.organisation_id
    return render_template("accounts/users.html", users=services.list_users(org_id), form=form,
                           role_choices=_role_choices(), all_roles=ROLES,
                           link_mail=services.last_account_mail(org_id)), status


def _report_link(user: User, message, success: str) -> None:
    """Say what happens to the set-password email just queued."""
    if message.status == "not_sent":
        flash(f"{user.email}: the set-password email was not sent. {message.error}", "warning")
    else:
        flash(success, "success")


@bp.route("/settings/users")
@role_required("admin")
def users():
    """The organisation's users, and the invite form."""
    form = InviteUserForm()
    form.role.choices = _role_choices()
    return _render_users(form)


@bp.route("/settings/users", methods=["POST"])
@role_required("admin")
def invite_user():
    """Create a user without a password; their set-password email goes out after the commit."""
    form = InviteUserForm()
    form.role.choices = _role_choices()
    if not form.validate_on_submit():
        return _render_users(form, 400)
    outcome = attempt(lambda: services.invite_user(current_user.organisation_id, current_user.id, form.email.data,
                                                   form.name.data, form.role.data, _brand()))
    if not outcome.ok:
        form.email.errors.append(str(outcome.error))
        return _render_users(form, 400)
    user, message = outcome.result
    _report_link(user, message, f"{user.email} was invited as {user.role}; a set-password link is on its way.")
    return redirect(url_for("accounts.users"))


@bp.route("/settings/users/<int:user_id>/role", methods=["POST"])
@role_required("admin")
def change_user_role(user_id: int):
    """Change one member's role."""
    target = get_scoped_or_404(User, user_id, current_user.organisation_id)
    form = ChangeRoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the listed roles.", "error")
        return redirect(url_for("accounts.users"))
    return act(lambda: services.change_role(current_user.organisation_id, current_user.id, target.id,
                                            form.role.data),
               url_for("accounts.users"), lambda user: f"{user.email} is now {user.role}.")


@bp.route("/settings/users/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@role_required("admin")
def set_user_active(user_id: int, action: str):
    """Deactivate a member (every session of theirs ends at once) or let them log in again."""
    target = get_scoped_or_404(User, user_id, current_user.organisation_id)
    active = action == "reactivate"
    return act(lambda: services.set_user_active(current_user.organisation_id, current_user.id, target.id, active),
               url_for("accounts.users"),
               f"{target.email} was {'reactivated' if active else 'deactivated and logged out'}.")


@bp.route("/settings/users/<int:user_id>/resend", methods=["POST"])
@role_required("admin")
def resend_set_password(user_id: int):
    """Send a fresh set-password link to an active member who has not chosen a password yet."""
    target = get_scoped_or_404(User, user_id, current_user.organisation_id)
    outcome = attempt(lambda: services.resend_set_password(current_user.organisation_id, current_user.id,
                                                           target.id, _brand()))
    if outcome.ok:
        _report_link(target, outcome.result[1], f"A new set-password link is on its way to {target.email}.")
    else:
        flash(str(outcome.error), "error")
    return redirect(url_for("accounts.users"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password from an emailed link; the link works once."""
    try:
        user = services.user_for_password_token(token)
    except services.AccountError as exc:
        return render_template("accounts/set_password.html", form=None, error=str(exc)), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.set_password_with_token(token, form.password.data))
        if outcome.ok:
            login_user(outcome.result)
            flash("Your password is set. Welcome!", "success")
            return redirect(url_for("core.index"))
        form.password.errors.append(str(outcome.error))
    status = 400 if form.errors else 200
    return render_template("accounts/set_password.html", form=form, user=user, error=None), status
