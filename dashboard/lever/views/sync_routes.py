""""Sync now", the postings refresh, the backfill decision and the scheduled jobs' health (under /lever).

"Sync now" queues the postings and opportunities jobs, Refresh (on Linked jobs) the postings job; a
worker performs them and the partials poll the recorded runs with htmx until they finish. Nothing runs
in the web process.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from dashboard.core.auth import role_required
from dashboard.core.boundary import attempt
from dashboard.core.htmx import partial_or_redirect
from dashboard.lever.sync import services
from dashboard.lever.views.overview import (
    backfill_context,
    refresh_context,
    scheduler_health_context,
    sync_now_context,
)

bp = Blueprint("lever_sync", __name__, url_prefix="/lever")


@bp.route("/sync-now", methods=["POST"])
@role_required("admin")
def sync_now():
    """Queue postings + opportunities reconciliation for this organisation."""
    org_id = current_user.organisation_id
    outcome = attempt(lambda: services.request_sync(org_id, current_user.id))
    note = ("Sync queued: a worker reads Lever now.", "success") if outcome.ok else (str(outcome.error), "error")
    return partial_or_redirect("lever/_sync_now.html", url_for("lever.overview"), 200 if outcome.ok else 409,
                               note=note, **{**sync_now_context(org_id, current_user),
                                             "sync_error": None if outcome.ok else note[0]})


@bp.route("/sync-now/status")
@role_required("recruiter")
def sync_status():
    """The sync-now partial (polled by htmx while a sync is queued or running)."""
    return render_template("lever/_sync_now.html", **sync_now_context(current_user.organisation_id, current_user))


@bp.route("/jobs/refresh", methods=["POST"])
@role_required("admin")
def refresh_postings():
    """Queue a re-read of the postings (their tags) and stages."""
    org_id = current_user.organisation_id
    outcome = attempt(lambda: services.request_postings_refresh(org_id, current_user.id))
    note = ("Refresh queued: a worker reads the postings now.", "success") if outcome.ok \
        else (str(outcome.error), "error")
    return partial_or_redirect("lever/_refresh_postings.html", url_for("lever.jobs"), 200 if outcome.ok else 409,
                               note=note, **{**refresh_context(org_id, current_user),
                                             "refresh_error": None if outcome.ok else note[0]})


@bp.route("/jobs/refresh/status")
@role_required("recruiter")
def refresh_status():
    """The refresh partial (polled by htmx while a refresh is queued or running)."""
    return render_template("lever/_refresh_postings.html",
                           **refresh_context(current_user.organisation_id, current_user))


@bp.route("/scheduler-health")
@role_required("recruiter")
def scheduler_health():
    """The scheduled jobs' health partial (refreshed by htmx on the Overview)."""
    return render_template("lever/_scheduler_health.html",
                           **scheduler_health_context(current_user.organisation_id, current_app.config))


@bp.route("/backfill", methods=["POST"])
@role_required("admin")
def backfill():
    """Record the admin's backfill decision; "invite them" also queues a full reconciliation pass."""
    org_id = current_user.organisation_id
    outcome = attempt(lambda: services.decide_backfill(org_id, current_user.id,
                                                       current_user.name or current_user.email,
                                                       request.form.get("decision", "")))
    note = (f"Saved: {services.BACKFILL_DECISIONS[outcome.result.backfill_decision]}.", "success") if outcome.ok \
        else (str(outcome.error), "error")
    back = request.form.get("back") == "attention"
    return partial_or_redirect("lever/_backfill.html", url_for("lever.attention" if back else "lever.overview"),
                               200 if outcome.ok else 400, note=note,
                               **{**backfill_context(org_id, current_user),
                                  "backfill_error": None if outcome.ok else note[0], "backfill_decided": outcome.ok})
