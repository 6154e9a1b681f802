"""The integration's dashboard: overview, linked jobs, candidates with their sync history, activity."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.auth import get_scoped_or_404, role_required
from dashboard.core.boundary import act, attempt
from dashboard.core.htmx import partial_or_page
from dashboard.core.params import MAX_ID, int_arg, page_arg
from dashboard.extensions import db
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import Effect
from dashboard.lever.views import overview as ov
from dashboard.lever.views import read_models

bp = Blueprint("lever", __name__, url_prefix="/lever")


def _connection():
    return get_connection(current_user.organisation_id)


@bp.route("/")
@role_required("recruiter")
def overview():
    """Connection state with Sync now, the backfill decision, candidates by status, failures needing
    attention, funnels per job and the scheduled jobs' health."""
    org_id = current_user.organisation_id
    connection = _connection()
    context = {**ov.sync_now_context(org_id, current_user), **ov.backfill_context(org_id, current_user),
               **ov.scheduler_health_context(org_id, current_app.config),
               "connection": connection, "counts": read_models.status_counts(org_id),
               "attention": read_models.attention_count(org_id), "funnels": ov.funnels(org_id),
               "health": ov.health(org_id, connection)}
    return render_template("lever/overview.html", **context)


@bp.route("/jobs")
@role_required("recruiter")
def jobs():
    """Every Lever posting with one of our tags, what it resolves to, and the rest collapsed."""
    connection = _connection()
    linked, untagged = ov.jobs(connection) if connection else ([], [])
    return render_template("lever/jobs.html", connection=connection, linked=linked, untagged=untagged,
                           suggestions=ov.tag_suggestions(current_user.organisation_id, connection))


@bp.route("/candidates")
@role_required("recruiter")
def candidates():
    """Search, filter, sort and page through the candidates invited through Lever."""
    args = request.args
    page = page_arg()
    assessment_id = int_arg("assessment", None, high=MAX_ID)
    sync = args.get("sync", "") if args.get("sync", "") in ("", *read_models.SYNC_STATES) else ""
    org_id = current_user.organisation_id
    jobs = read_models.job_titles(org_id)  # read once: the filter menus and the rows' names
    assessments = read_models.assessment_names(org_id)
    result = read_models.candidate_rows(
        org_id, q=args.get("q", "")[:200], posting=args.get("job", "")[:64],
        assessment_id=assessment_id, status=args.get("status", "")[:20], sync=sync,
        sort=args.get("sort", "recent"), page=page, jobs=jobs, assessments=assessments)
    return partial_or_page("lever/_candidate_rows.html", "lever/candidates.html", result=result, args=args,
                            postings=sorted(jobs.items(), key=lambda item: item[1]),
                            assessments=sorted(((i, n) for i, (n, _) in assessments.items()), key=lambda a: a[1]))


@bp.route("/candidates/<int:candidate_id>")
@role_required("recruiter")
def candidate(candidate_id: int):
    """One candidate: attempts, scores by part, open outbox items and the sync history timeline."""
    cand = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    org_id = current_user.organisation_id
    context = {
        "candidate": cand,
        "attempts": db.session.scalars(select(Attempt).where(Attempt.candidate_id == cand.id)
                                       .order_by(Attempt.id.desc())).all(),
        "opportunities": read_models.opportunities_for_candidate(org_id, cand.id),
        "effects": read_models.effects_for_candidate(org_id, cand.id),
        "history": read_models.history_for_candidate(org_id, cand.id),
    }
    return partial_or_page("lever/_candidate_sync.html", "lever/candidate.html", **context)


@bp.route("/candidates/<int:candidate_id>/resync", methods=["POST"])
@role_required("recruiter")
def resync(candidate_id: int):
    """Re-read Lever and re-apply the rules for this candidate (performed by the worker)."""
    cand = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    return act(lambda: sync_services.resync_candidate(current_user.organisation_id, cand.id, current_user.id),
               url_for("lever.candidate", candidate_id=cand.id),
               lambda count: f"Resync queued for {count} Lever opportunit{'y' if count == 1 else 'ies'}.")


@bp.route("/effects/<int:effect_id>/retry", methods=["POST"])
@role_required("recruiter")
def retry(effect_id: int):
    """Retry a failed outbox row, or resend an email whose first send was interrupted."""
    effect = get_scoped_or_404(Effect, effect_id, current_user.organisation_id)
    outcome = attempt(lambda: sync_services.retry_effect(current_user.organisation_id, effect.id, current_user.id))
    if not outcome.ok:
        flash(str(outcome.error), "error")
        return redirect(request.referrer or url_for("lever.candidates"))
    flash("Queued again.", "success")
    if outcome.result.candidate_id:
        return redirect(url_for("lever.candidate", candidate_id=outcome.result.candidate_id))
    return redirect(url_for("lever.activity"))


@bp.route("/activity")
@role_required("recruiter")
def activity():
    """Webhook deliveries, outbox rows needing attention, scheduler runs."""
    kind = request.args.get("kind", "")
    if kind not in ov.ACTIVITY_KINDS:
        kind = ""
    state = request.args.get("state", "")
    state = state if state in ov.DELIVERY_STATES else ""
    return render_template("lever/activity.html", kind=kind, state=state,
                           **ov.activity(current_user.organisation_id, kind, delivery_state=state))
