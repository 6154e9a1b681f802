"""The candidates list's export (CSV of exactly the filtered list, streamed) and its bulk actions
(resend, cancel, resync the selected rows: a confirmation that says how many, then what happened to each)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from dashboard.assessments.rating import rating_for
from dashboard.core.auth import role_required
from dashboard.core.scores import format_score
from dashboard.lever.sync import reasons
from dashboard.lever.views import bulk, candidate_list, options

bp = Blueprint("candidates", __name__, url_prefix="/lever/candidates")
HEADER = ("Name", "Email", "Job", "Assessment", "Status", "Score", "Rating", "Sync", "Why not invited", "Lever profile")
RISKY = ("=", "+", "-", "@", "\t", "\r")
FIRST_ROWS = 100


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(RISKY) else text


def csv_cells(row: candidate_list.Row, jobs: dict, assessments: dict) -> list[str]:
    """The export's cells for one row of the list."""
    score = format_score(row.final_score, missing="")  # the one rule for showing a score
    rating = "" if row.final_score is None or row.passing_score is None \
        else rating_for(row.passing_score, row.final_score).label
    assessment = assessments.get(row.assessment_id, ("", None))[0] if row.assessment_id else ""
    reason = (row.reason or reasons.LABELS.get(row.reason_code or "", "")) if not row.attempt_id else ""
    return [safe_cell(v) for v in (row.name, row.email, jobs.get(row.posting_lever_id or "", ""), assessment,
                                   row.status.replace("_", " "), score, rating,
                                   row.sync if row.opportunity_id and row.attempt_id else "", reason,
                                   row.profile_url)]


@bp.route("/export.csv")
@role_required("recruiter")
def export():
    """Every row of the list as filtered (the same query string), written as it is read."""
    org_id = current_user.organisation_id
    jobs, assessments = options.job_titles(org_id), options.assessment_names(org_id)
    filters = candidate_list.filters_from(request.args, jobs, assessments)

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        for n, row in enumerate(candidate_list.every_row(org_id, filters), 1):
            writer.writerow(csv_cells(row, jobs, assessments))
            if buffer.tell() > 16_384 or n == FIRST_ROWS:  # the first rows leave at once, then in 16 kB pieces
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="candidates.csv"', "X-Accel-Buffering": "no"})


@bp.route("/bulk", methods=["POST"])
@role_required("recruiter")
def bulk_action():
    """First post: the confirmation (how many rows, which). With `confirm`: do it, and show each row's result."""
    org_id = current_user.organisation_id
    action = request.form.get("action", "")
    back = _list_url()
    if action not in bulk.ACTIONS:
        flash("Choose what to do with the selected candidates.", "error")
        return redirect(back)
    chosen = bulk.targets(org_id, bulk.parse_keys(request.form.getlist("row")))
    if not chosen:
        flash("Select at least one candidate first.", "error")
        return redirect(back)
    if not request.form.get("confirm"):
        return render_template("lever/bulk_confirm.html", action=action, label=bulk.ACTIONS[action],
                               chosen=chosen, back=back)
    results = bulk.perform(org_id, current_user, action, chosen, reason=request.form.get("reason", "")[:500])
    return render_template("lever/bulk_result.html", label=bulk.ACTIONS[action], results=results, back=back)


def _list_url() -> str:
    """The list with the filters the selection was made under (`back`, a path of the list), else the list."""
    back = request.form.get("back", "")
    base = url_for("lever.candidates")
    return back if back.startswith(base) and "//" not in back and "\\" not in back else base
