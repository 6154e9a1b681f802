"""The candidate's take flow, reached only by the secret link `/a/<token>` (no login)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for

from dashboard.attempts import services
from dashboard.attempts.models import Attempt
from dashboard.core import boundary
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db

bp = Blueprint("take", __name__, url_prefix="/a")

CLOSED_STATUS = {"completed": 200, "expired": 410, "cancelled": 410}


def _attempt(token: str) -> Attempt:
    attempt = services.find_by_token(token)
    if attempt is None:
        abort(make_response(render_template("take/unknown.html"), 404))
    return attempt


def _closed(attempt: Attempt, message: str | None = None):
    """A clear page for a link that can no longer be used; nothing changes."""
    now = utcnow()
    status = attempt.status
    if status == "invited" and now >= as_utc(attempt.deadline):
        status = "expired"
    return render_template("take/closed.html", attempt=attempt, status=status, message=message), \
        CLOSED_STATUS.get(status, 200)


@bp.route("/<token>")
def landing(token: str):
    """Before the start: what the assessment is and the Start button; during it: the parts."""
    attempt = _attempt(token)
    now = utcnow()
    if attempt.status in ("completed", "expired", "cancelled"):
        return _closed(attempt)
    if attempt.status == "invited" and now >= as_utc(attempt.deadline):
        return _closed(attempt)
    return render_template("take/landing.html", attempt=attempt, assessment=attempt.assessment,
                           ends_at=services.time_ends_at(attempt), time_up=services.is_time_up(attempt, now),
                           deadline=as_utc(attempt.deadline), now=now)


@bp.route("/<token>/start", methods=["POST"])
def start(token: str):
    """Start the clock."""
    attempt = _attempt(token)
    outcome = boundary.attempt(lambda: services.start_attempt(attempt.id))
    if not outcome.ok:
        return _closed(attempt, str(outcome.error))
    first = attempt.assessment.parts[0].position if attempt.assessment.parts else None
    if first is None:
        return redirect(url_for(".landing", token=token))
    return redirect(url_for(".part", token=token, position=first))


def _part_score(attempt: Attempt, position: int):
    for ps in sorted(attempt.part_scores, key=lambda p: p.part.position):
        if ps.part.position == position:
            return ps
    abort(404, "This part does not exist.")


@bp.route("/<token>/parts/<int:position>", methods=["GET", "POST"])
def part(token: str, position: int):
    """One part's questions; posting submits the part (once)."""
    attempt = _attempt(token)
    if attempt.status != "in_progress":
        if attempt.status == "invited":
            return redirect(url_for(".landing", token=token))
        return _closed(attempt)
    ps = _part_score(attempt, position)
    if request.method == "POST":
        answers = {q.id: request.form.get(f"q-{q.id}") for q in ps.part.questions}
        try:
            _check_choices(ps.part, answers)
            services.submit_part(attempt.id, ps.part_id, answers)
        except services.AttemptError as exc:
            # Refusals after the time limit still finish the attempt: keep that, drop the rest.
            if attempt.status == "completed":
                db.session.commit()
                return _closed(attempt, str(exc))
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".part", token=token, position=position))
        db.session.commit()
        if attempt.status == "completed":
            return redirect(url_for(".landing", token=token))
        nxt = _next_pending(attempt)
        flash(f"“{ps.part.name}” submitted.", "success")
        target = url_for(".part", token=token, position=nxt) if nxt else url_for(".landing", token=token)
        return redirect(target)
    if ps.state != "pending":
        flash("You have already submitted this part.", "info")
        return redirect(url_for(".landing", token=token))
    now = utcnow()
    return render_template("take/part.html", attempt=attempt, ps=ps, part=ps.part,
                           ends_at=services.time_ends_at(attempt), time_up=services.is_time_up(attempt, now),
                           total=len(attempt.part_scores))


def _check_choices(part, answers: dict) -> None:
    for q in part.questions:
        raw = answers.get(q.id)
        if q.kind == "multiple_choice" and raw not in (None, "") and not str(raw).isdigit():
            raise services.AttemptError("That choice does not exist; pick one of the options shown.")


def _next_pending(attempt: Attempt) -> int | None:
    pending = sorted(ps.part.position for ps in attempt.part_scores if ps.state == "pending")
    return pending[0] if pending else None


@bp.route("/<token>/finish", methods=["POST"])
def finish(token: str):
    """Finish now: parts not submitted count as unanswered."""
    attempt = _attempt(token)
    outcome = boundary.attempt(lambda: services.finish_attempt(attempt.id))
    if not outcome.ok:
        return _closed(attempt, str(outcome.error))
    return redirect(url_for(".landing", token=token))
