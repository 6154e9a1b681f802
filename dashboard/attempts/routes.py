"""Staff pages for candidates and attempts: list, detail, actions, and the evaluation queue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from dashboard.accounts.auth import get_scoped_or_404, role_required
from dashboard.assessments.rating import rating_for
from dashboard.attempts import services
from dashboard.attempts.forms import CancelForm, ExtendDeadlineForm, ExtraTimeForm
from dashboard.attempts.models import Attempt, Candidate
from dashboard.attempts.scoring import evaluate_attempt
from dashboard.core.params import like_literal
from dashboard.extensions import db
from dashboard.mail.services import MailError

bp = Blueprint("attempts", __name__, url_prefix="/people")


def rating_of(attempt: Attempt):
    """The attempt's rating, or None while it has no score."""
    if attempt.final_score is None:
        return None
    return rating_for(attempt.assessment.passing_score, attempt.final_score)


@bp.app_context_processor
def _helpers():
    return {"rating_of": rating_of}


@bp.route("/")
@role_required("recruiter")
def candidates():
    """Every candidate of the organisation, newest first; `q` filters by name or email."""
    query = (request.args.get("q") or "").strip()[:200]
    stmt = select(Candidate).where(Candidate.organisation_id == current_user.organisation_id)
    if query:
        like = "%" + like_literal(query.lower()) + "%"
        stmt = stmt.where(or_(func.lower(Candidate.email).like(like, escape="\\"),
                              func.lower(Candidate.name).like(like, escape="\\")))
    stmt = stmt.order_by(Candidate.created_at.desc(), Candidate.id.desc()).limit(500)
    rows = list(db.session.scalars(stmt))
    return render_template("attempts/candidates.html", candidates=rows, query=query)


@bp.route("/<int:candidate_id>")
@role_required("recruiter")
def candidate(candidate_id: int):
    """A candidate's attempts: status, per-part scores, final score, evaluation state and rating."""
    person = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    return render_template(
        "attempts/candidate.html", candidate=person, extend_form=ExtendDeadlineForm(),
        extra_form=ExtraTimeForm(), cancel_form=CancelForm(), link_for=services.attempt_link,
        time_ends_at=services.time_ends_at,
    )


def _attempt(attempt_id: int) -> Attempt:
    return get_scoped_or_404(Attempt, attempt_id, current_user.organisation_id)


def _back(attempt: Attempt) -> str:
    return url_for(".candidate", candidate_id=attempt.candidate_id)


def _done(attempt: Attempt, action, message: str):
    try:
        action()
    except services.AttemptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_back(attempt))
    db.session.commit()
    flash(message, "success")
    return redirect(_back(attempt))


def _invalid(form, attempt: Attempt):
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(_back(attempt))


@bp.route("/attempts/<int:attempt_id>/extend", methods=["POST"])
@role_required("recruiter")
def extend(attempt_id: int):
    """Give an unstarted invitation more days."""
    attempt = _attempt(attempt_id)
    form = ExtendDeadlineForm()
    if not form.validate_on_submit():
        return _invalid(form, attempt)
    return _done(attempt, lambda: services.extend_deadline(attempt.id, form.days.data),
                 f"Deadline extended by {form.days.data} days.")


@bp.route("/attempts/<int:attempt_id>/extra-time", methods=["POST"])
@role_required("recruiter")
def extra_time(attempt_id: int):
    """Give more minutes to the time limit."""
    attempt = _attempt(attempt_id)
    form = ExtraTimeForm()
    if not form.validate_on_submit():
        return _invalid(form, attempt)
    return _done(attempt, lambda: services.grant_extra_time(attempt.id, form.minutes.data),
                 f"{form.minutes.data} extra minutes given.")


@bp.route("/attempts/<int:attempt_id>/cancel", methods=["POST"])
@role_required("recruiter")
def cancel(attempt_id: int):
    """Cancel an unstarted invitation; its link stops working."""
    attempt = _attempt(attempt_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _invalid(form, attempt)
    reason = form.reason.data or f"Cancelled by {current_user.email}"
    return _done(attempt, lambda: services.cancel_attempt(attempt.id, reason), "Invitation cancelled.")


@bp.route("/attempts/<int:attempt_id>/resend", methods=["POST"])
@role_required("recruiter")
def resend(attempt_id: int):
    """Send the invitation email again."""
    attempt = _attempt(attempt_id)
    try:
        services.send_invitation(attempt.id, resend=True)
    except services.AttemptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_back(attempt))
    except MailError as exc:
        db.session.commit()  # keep the recorded failure for the Outbox
        flash(f"The email could not be sent: {exc}", "error")
        return redirect(_back(attempt))
    db.session.commit()
    flash(f"Invitation sent again to {attempt.candidate.email}.", "success")
    return redirect(_back(attempt))


@bp.route("/evaluation")
@role_required("admin")
def grading_queue():
    """Attempts with free-text or SQL answers awaiting evaluation, oldest first."""
    return render_template("attempts/grading_queue.html",
                           attempts=services.awaiting_evaluation(current_user.organisation_id))


@bp.route("/attempts/<int:attempt_id>/evaluate", methods=["GET", "POST"])
@role_required("admin")
def evaluate(attempt_id: int):
    """Score each manual answer of an attempt (0..max points)."""
    attempt = _attempt(attempt_id)
    awaiting = [ps for ps in attempt.part_scores if ps.state == "awaiting_evaluation"]
    errors: list[str] = []
    if request.method == "POST":
        points, errors = _read_points(attempt, awaiting)
        if not errors:
            try:
                evaluate_attempt(attempt.id, points, current_user.id)
            except services.AttemptError as exc:
                db.session.rollback()
                errors.append(str(exc))
            else:
                db.session.commit()
                flash("Evaluation saved; the scores are updated.", "success")
                if services.awaiting_evaluation(current_user.organisation_id):
                    return redirect(url_for(".grading_queue"))
                return redirect(_back(attempt))
    answers = {a.question_id: a for a in attempt.answers}
    status = 400 if errors else 200
    return render_template("attempts/evaluate.html", attempt=attempt, parts=awaiting, answers=answers,
                           errors=errors, form_values=request.form), status


def _read_points(attempt: Attempt, awaiting) -> tuple[dict[int, float], list[str]]:
    """Parse `points-<answer id>` fields of the awaiting parts; every one is required."""
    points: dict[int, float] = {}
    errors: list[str] = []
    answers = {a.question_id: a for a in attempt.answers}
    for ps in awaiting:
        for q in ps.part.questions:
            answer = answers.get(q.id)
            if answer is None:
                abort(409)
            raw = (request.form.get(f"points-{answer.id}") or "").strip()
            try:
                value = float(raw)
            except ValueError:
                errors.append(f"Question {q.position} of “{ps.part.name}”: enter points from 0 to "
                              f"{q.max_points:g}.")
                continue
            if not 0 <= value <= q.max_points or value != value:
                errors.append(f"Question {q.position} of “{ps.part.name}”: points must be between 0 and "
                              f"{q.max_points:g}.")
                continue
            points[answer.id] = value
    if not awaiting:
        errors.append("Nothing of this attempt awaits evaluation.")
    return points, errors
