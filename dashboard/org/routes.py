"""Organisation settings: name and timezone, users, and the ATS integrations section."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from dashboard.core.auth import role_required
from dashboard.extensions import db
from dashboard.org import services
from dashboard.org.forms import OrgSettingsForm

bp = Blueprint("org", __name__, url_prefix="/settings")


def _render(form: OrgSettingsForm, status: int = 200):
    return render_template("org/settings.html", form=form, org=current_user.organisation,
                           can_edit=current_user.has_role("admin")), status


@bp.route("")
@role_required("recruiter")
def settings():
    """The settings page: editable for owners and admins, read-only for recruiters."""
    org = current_user.organisation
    return _render(OrgSettingsForm(data={"name": org.name, "timezone": org.timezone}))


@bp.route("", methods=["POST"])
@role_required("admin")
def update():
    """Save the organisation's name and timezone."""
    form = OrgSettingsForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        services.update_organisation(current_user.organisation_id, current_user.id, form.name.data,
                                     form.timezone.data)
    except services.OrgError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(exc)]
        return _render(form, 400)
    db.session.commit()
    flash("Organisation settings saved.", "success")
    return redirect(url_for("org.settings"))
