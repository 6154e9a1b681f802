"""User management for owners and admins: invite, change role, deactivate, set password.

Routes live on the `accounts` blueprint; paths under `/settings/users`, plus the public
`/set-password/<token>` page reached from the emailed link.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from dashboard.accounts import services
from dashboard.accounts.auth import get_scoped_or_404, role_required
from dashboard.accounts.forms import ChangeRoleForm, InviteUserForm, SetPasswordForm
from dashboard.accounts.models import ROLES, User
from dashboard.accounts.routes import bp
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from dashboard.mail.services import MailError, send_email


def _max_age() -> int:
    return int(current_app.config.get("SET_PASSWORD_MAX_AGE", services.DEFAULT_SET_PASSWORD_MAX_AGE))


def set_password_link(user: User) -> str:
    """A new single-use, expiring set-password link for `user` (only its hash is stored)."""
    token = services.issue_password_token(user, _max_age())
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + url_for("accounts.set_password", token=token)


def send_set_password_email(user: User, invited_by: str = "") -> MailMessage:
    """Email `user` a single-use, expiring link to choose a password (raises MailError).

    The link goes only to the recipient: the stored copy of the message has it withheld."""
    link = set_password_link(user)
    return send_email(
        organisation_id=user.organisation_id, to=user.email,
        subject=f"Your {current_app.config.get('TAG_BRAND', 'Alooba')} account: choose a password",
        template="set_password",
        context={"name": user.name, "email": user.email, "organisation": user.organisation.name,
                 "invited_by": invited_by, "link": link, "valid_hours": _max_age() // 3600,
                 "brand": current_app.config.get("TAG_BRAND", "Alooba")},
        category="account", withhold=(link,),
    )


def _role_choices() -> list[tuple[str, str]]:
    allowed = ROLES if current_user.role == "owner" else tuple(r for r in ROLES if r != "owner")
    return [(r, r.title()) for r in allowed]


def _render_users(form: InviteUserForm, status: int = 200):
    users = services.list_users(current_user.organisation_id)
    return render_template("accounts/users.html", users=users, form=form, role_choices=_role_choices(),
                           all_roles=ROLES), status


def _mail_and_report(user: User, success: str) -> None:
    """Send the set-password link after the commit; a mail failure is kept and reported."""
    try:
        send_set_password_email(user, invited_by=current_user.name or current_user.email)
        db.session.commit()
        flash(success, "success")
    except MailError as exc:
        db.session.commit()  # keep the failed message on record for the Outbox
        flash(f"{exc} Use “Resend link” to try again.", "warning")


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
    """Create a user without a password and email them a set-password link."""
    form = InviteUserForm()
    form.role.choices = _role_choices()
    if not form.validate_on_submit():
        return _render_users(form, 400)
    try:
        user = services.invite_user(current_user.organisation_id, current_user.id, form.email.data,
                                    form.name.data, form.role.data)
    except services.AccountError as exc:
        db.session.rollback()
        form.email.errors.append(str(exc))
        return _render_users(form, 400)
    db.session.commit()
    _mail_and_report(user, f"{user.email} was invited as {user.role}; a set-password link is on its way.")
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
    try:
        services.change_role(current_user.organisation_id, current_user.id, target.id, form.role.data)
    except services.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("accounts.users"))
    db.session.commit()
    flash(f"{target.email} is now {target.role}.", "success")
    return redirect(url_for("accounts.users"))


def _set_active(user_id: int, active: bool):
    target = get_scoped_or_404(User, user_id, current_user.organisation_id)
    try:
        services.set_user_active(current_user.organisation_id, current_user.id, target.id, active)
    except services.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("accounts.users"))
    db.session.commit()
    flash(f"{target.email} was {'reactivated' if active else 'deactivated and logged out'}.", "success")
    return redirect(url_for("accounts.users"))


@bp.route("/settings/users/<int:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate_user(user_id: int):
    """Deactivate a member: every session of theirs ends at once."""
    return _set_active(user_id, False)


@bp.route("/settings/users/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate_user(user_id: int):
    """Let a deactivated member log in again."""
    return _set_active(user_id, True)


@bp.route("/settings/users/<int:user_id>/resend", methods=["POST"])
@role_required("admin")
def resend_set_password(user_id: int):
    """Send a fresh set-password link to an active member who has not chosen a password yet."""
    target = get_scoped_or_404(User, user_id, current_user.organisation_id)
    if not target.active or target.password_hash:
        flash("Only active users who have not chosen a password yet can get a new link.", "error")
        return redirect(url_for("accounts.users"))
    if target.role == "owner" and current_user.role != "owner":
        flash("Only an owner can change or deactivate an owner.", "error")
        return redirect(url_for("accounts.users"))
    _mail_and_report(target, f"A new set-password link was sent to {target.email}.")
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
        try:
            user = services.set_password_with_token(token, form.password.data)
        except services.AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash("Your password is set. Welcome!", "success")
            return redirect(url_for("core.index"))
    status = 400 if form.errors else 200
    return render_template("accounts/set_password.html", form=form, user=user, error=None), status
