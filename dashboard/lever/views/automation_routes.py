"""The stage automation of linked jobs (a form per job on Linked jobs, for admins; read-only otherwise).

The partial `lever/_automation.html` reads its context through the template global
`lever_automation_context(linked)`, so the Linked jobs page includes it with one line.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from dashboard.core.auth import role_required
from dashboard.core.boundary import act, attempt
from dashboard.lever.sync import automation

bp = Blueprint("lever_automation", __name__, url_prefix="/lever")
LEVER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Lever's ids: UUIDs, and words for built-in records


def lever_automation_context(linked) -> dict:
    """The partial's context for the linked jobs shown (rows with a `.posting`)."""
    context = automation.form_context(current_user.organisation_id, [row.posting.lever_id for row in linked])
    return {**context, "can_manage": current_user.has_role("admin")}


@bp.app_context_processor
def _inject():
    return {"lever_automation_context": lever_automation_context}


@bp.route("/jobs/<posting_id>/automation", methods=["POST"])
@role_required("admin")
def save(posting_id: str):
    """Set (or turn off) one linked job's stage automation."""
    if not LEVER_ID.fullmatch(posting_id):
        abort(404)
    back = url_for("lever.jobs") + f"#automation-{posting_id}"
    return act(lambda: automation.save(current_user.organisation_id, posting_id, request.form, current_user.id),
               back, lambda saved: "Stage automation saved." if saved else "Stage automation turned off for this job.")


@bp.route("/jobs/archive-reasons", methods=["POST"])
@role_required("admin")
def refresh_reasons():
    """Read Lever's archive reasons again (for the "archive" choice of a failed result)."""
    outcome = attempt(lambda: automation.refresh_archive_reasons_for(current_user.organisation_id))
    if not outcome.ok:
        flash(str(outcome.error), "error")
    else:
        read, said = outcome.result
        flash(said, "success" if read else "error")
    return redirect(url_for("lever.jobs") + "#stage-automation")
