"""Staff routes for attempts: invite by hand, the actions on an attempt, the evaluation queue; the former
People pages redirect to the one candidates list and candidate page (`dashboard.lever.views`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from dashboard.assessments.forms import InviteCandidateForm
from dashboard.assessments.models import Assessment
from dashboard.assessments.rating import rating_for
from dashboard.attempts import services
from dashboard.attempts.events import Actor
from dashboard.attempts.forms import CancelForm, ExtendDeadlineForm, ExtraTimeForm
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.auth import get_scoped_or_404, role_required, safe_next
from dashboard.core.boundary import act, attempt, form_errors
from dashboard.core.templating import format_datetime, plural

bp = Blueprint("attempts", __name__, url_prefix="/people")


def rating_of(attempt: Attempt):
    """The attempt's rating (on its own passing score), or None while it has no score."""
    if attempt.final_score is None:
        return None
    return rating_for(attempt.passing_score, attempt.final_score)


@bp.app_context_processor
def _helpers():
    return {"rating_of": rating_of}


def _actor():
    return Actor.staff(current_user)


@bp.route("/")
@role_required("recruiter")
def candidates():
    """The former list of people: the one candidates list now (kept for bookmarks, with the search)."""
    query = (request.args.get("q") or "").strip()[:200]
    return redirect(url_for("lever.candidates", **({"q": query} if query else {})), 301)


@bp.route("/<int:candidate_id>")
@role_required("recruiter")
def candidate(candidate_id: int):
    """The former candidate page: the one candidate page now (kept for bookmarks and old emails)."""
    person = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    return redirect(url_for("lever.candidate", candidate_id=person.id), 301)


def _candidate_page(candidate_id: int) -> str:
    return url_for("lever.candidate", candidate_id=candidate_id)


def _attempt(attempt_id: int) -> Attempt:
    return get_scoped_or_404(Attempt, attempt_id, current_user.organisation_id)


def _back(attempt: Attempt) -> str:
    """Where an action returns: the page it came from (`back`, a path of this site), else the candidate."""
    return safe_next(request.form.get("back"), _candidate_page(attempt.candidate_id))


@bp.route("/invite/<int:assessment_id>", methods=["POST"])
@role_required("recruiter")
def invite(assessment_id: int):
    """Invite a candidate by email to a published assessment; the email goes out after the commit."""
    assessment = get_scoped_or_404(Assessment, assessment_id, current_user.organisation_id)
    form = InviteCandidateForm()
    back = url_for("assessments.show", assessment_id=assessment.id)
    if not form.validate_on_submit():
        return form_errors(form, back)
    org_id = current_user.organisation_id
    held = services.held_attempts(org_id, assessment.id, form.email.data)
    confirmed = form.new_attempt.data == "yes"
    known = services.find_candidate(org_id, form.email.data)
    typed = form.name.data.strip()
    if held and not confirmed:
        return render_template("attempts/reinvite.html", assessment=assessment, candidate=known, held=held,
                               email=known.email, typed_name=typed, form=form)
    old_name = known.name if known else None
    outcome = attempt(lambda: services.invite_candidate(org_id, assessment.id, form.email.data, typed,
                                                        actor=_actor(), new_attempt=confirmed))
    if not outcome.ok:
        flash(str(outcome.error), "error")
        return redirect(back)
    invited = outcome.result
    again = " (a new attempt)" if held else ""
    now_named = invited.candidate.name
    renamed = f" Their name is now “{now_named}” (was “{old_name}”)." if old_name and old_name != now_named else ""
    flash(f"{invited.candidate.email} is invited to “{assessment.name}”{again}; the email is on its way.{renamed}",
          "success")
    return redirect(_candidate_page(invited.candidate_id))


def _form_action(attempt_id: int, form_class, action, done):
    """A staff action on an attempt through a small form: validate, run, come back with the outcome."""
    target = _attempt(attempt_id)
    form = form_class()
    if not form.validate_on_submit():
        return form_errors(form, _back(target))
    return act(lambda: action(target, form), _back(target), done(form))


@bp.route("/attempts/<int:attempt_id>/extend", methods=["POST"])
@role_required("recruiter")
def extend(attempt_id: int):
    """Give an unstarted invitation more days (reopens an expired one)."""
    return _form_action(attempt_id, ExtendDeadlineForm, lambda a, f: services.extend_deadline(
        a.id, f.days.data, actor=_actor(), notify=f.notify.data), _extended)


def _extended(form):
    told = " The candidate is told by email." if form.notify.data else ""
    return lambda a: (f"Deadline extended by {plural(form.days.data, 'day')}: the candidate can start until "
                      f"{format_datetime(a.deadline)}.{told}")


@bp.route("/attempts/<int:attempt_id>/extra-time", methods=["POST"])
@role_required("recruiter")
def extra_time(attempt_id: int):
    """Give more minutes to the time limit."""
    return _form_action(attempt_id, ExtraTimeForm, lambda a, f: services.grant_extra_time(
        a.id, f.minutes.data, actor=_actor(), notify=f.notify.data), _granted)


def _granted(form):
    told = " The candidate is told by email." if form.notify.data else ""
    return lambda a: (f"{plural(form.minutes.data, 'extra minute')} given: the time limit is now "
                      f"{plural(services.time_limit(a), 'minute')}.{told}")


@bp.route("/attempts/<int:attempt_id>/cancel", methods=["POST"])
@role_required("recruiter")
def cancel(attempt_id: int):
    """Cancel an unstarted invitation; its link stops working."""
    return _form_action(attempt_id, CancelForm, lambda a, f: services.cancel_attempt(
        a.id, f.reason.data, actor=_actor()), lambda f: "Invitation cancelled.")


@bp.route("/attempts/<int:attempt_id>/resend", methods=["POST"])
@role_required("recruiter")
def resend(attempt_id: int):
    """Send the invitation email again (queued: the worker sends it right after this request)."""
    target = _attempt(attempt_id)
    return act(lambda: services.queue_invitation(target.id, actor=_actor(), resend=True), _back(target),
               lambda message: f"Invitation to {message.to} queued: it goes out within a few seconds "
                               "(see the Outbox).")


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
    target = _attempt(attempt_id)
    awaiting = [ps for ps in target.part_scores if ps.state == "awaiting_evaluation"]
    errors: list[str] = []
    if request.method == "POST":
        points, errors = _read_points(target, awaiting)
        if not errors:
            outcome = attempt(lambda: services.evaluate_attempt(target.id, points, current_user.id))
            if not outcome.ok:
                errors.append(str(outcome.error))
            else:
                flash("Evaluation saved; the scores are updated.", "success")
                if services.awaiting_evaluation(current_user.organisation_id):
                    return redirect(url_for(".grading_queue"))
                return redirect(_candidate_page(target.candidate_id))
    answers = {a.question_id: a for a in target.answers}
    status = 400 if errors else 200
    return render_template("attempts/evaluate.html", attempt=target, parts=awaiting, answers=answers,
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
