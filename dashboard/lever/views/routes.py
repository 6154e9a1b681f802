"""The integration's dashboard: overview, linked jobs, candidates with their sync history, activity."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dashboard.accounts.auth import get_scoped_or_404, role_required
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.params import MAX_ID, int_arg, page_arg
from dashboard.extensions import db
from dashboard.lever.sync import services as sync_services
from dashboard.lever.views import read_models

bp = Blueprint("lever", __name__, url_prefix="/lever")


def _connection():
    from dashboard.lever.connection.models import LeverConnection

    return db.session.scalar(select(LeverConnection).where(
        LeverConnection.organisation_id == current_user.organisation_id))


def _partial_or_page(partial: str, page: str, **context):
    """htmx asks for the widget only; a normal request gets the whole page."""
    return render_template(partial if request.headers.get("HX-Request") else page, **context)


@bp.route("/")
@role_required("recruiter")
def overview():
    """Connection state, candidates by status, failures needing attention, funnels per job."""
    from dashboard.lever.views import overview as ov

    org_id = current_user.organisation_id
    connection = _connection()
    return render_template("lever/overview.html", connection=connection,
                           counts=read_models.status_counts(org_id),
                           attention=read_models.attention_count(org_id),
                           funnels=ov.funnels(org_id), health=ov.health(org_id, connection))


@bp.route("/jobs")
@role_required("recruiter")
def jobs():
    """Every Lever posting with one of our tags, what it resolves to, and the rest collapsed."""
    from dashboard.lever.views import overview as ov

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
    return _partial_or_page("lever/_candidate_rows.html", "lever/candidates.html", result=result, args=args,
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
    return _partial_or_page("lever/_candidate_sync.html", "lever/candidate.html", **context)


@bp.route("/candidates/<int:candidate_id>/resync", methods=["POST"])
@role_required("recruiter")
def resync(candidate_id: int):
    """Re-read Lever and re-apply the rules for this candidate."""
    cand = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    try:
        count = sync_services.resync_candidate(current_user.organisation_id, cand.id, current_user.id)
    except sync_services.SyncActionError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Resync queued for {count} Lever opportunit{'y' if count == 1 else 'ies'}.", "success")
    return redirect(url_for("lever.candidate", candidate_id=cand.id))


@bp.route("/attempts/<int:attempt_id>/resend", methods=["POST"])
@role_required("recruiter")
def resend(attempt_id: int):
    """Send a fresh copy of the invitation email and come back to the candidate's sync page."""
    from dashboard.attempts import services as attempts
    from dashboard.mail.services import MailError

    attempt = get_scoped_or_404(Attempt, attempt_id, current_user.organisation_id)
    back = url_for("lever.candidate", candidate_id=attempt.candidate_id)
    try:
        attempts.send_invitation(attempt.id, resend=True)
    except attempts.AttemptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    except MailError as exc:
        db.session.commit()  # keep the recorded failure visible in the Outbox
        flash(f"The email could not be sent: {exc}", "error")
        return redirect(back)
    db.session.commit()
    flash(f"Invitation sent again to {attempt.candidate.email}.", "success")
    return redirect(back)


@bp.route("/effects/<int:effect_id>/retry", methods=["POST"])
@role_required("recruiter")
def retry(effect_id: int):
    """Retry a failed outbox row, or resend an email whose first send was interrupted."""
    try:
        effect = sync_services.retry_effect(current_user.organisation_id, effect_id, current_user.id)
    except LookupError:
        abort(404)
    except sync_services.SyncActionError as exc:
        flash(str(exc), "error")
        return redirect(request.referrer or url_for("lever.candidates"))
    db.session.commit()
    flash("Queued again.", "success")
    if effect.candidate_id:
        return redirect(url_for("lever.candidate", candidate_id=effect.candidate_id))
    return redirect(url_for("lever.activity"))


@bp.route("/activity")
@role_required("recruiter")
def activity():
    """Webhook deliveries, outbox rows needing attention, scheduler runs."""
    from dashboard.lever.views import overview as ov

    kind = request.args.get("kind", "")
    if kind not in ov.ACTIVITY_KINDS:
        kind = ""
    state = request.args.get("state", "")
    state = state if state in ov.DELIVERY_STATES else ""
    return render_template("lever/activity.html", kind=kind, state=state,
                           **ov.activity(current_user.organisation_id, kind, delivery_state=state))
