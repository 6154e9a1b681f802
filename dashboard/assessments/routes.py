"""Staff pages for assessments: list, create, edit, parts, questions, publish, archive."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from dashboard.assessments import services
from dashboard.assessments.forms import (
    AssessmentForm,
    InviteCandidateForm,
    PartForm,
    QuestionForm,
)
from dashboard.assessments.models import Assessment, Part, Question
from dashboard.assessments.rating import rating_bands
from dashboard.core.auth import get_scoped_or_404, role_required
from dashboard.core.boundary import act, attempt, form_errors
from dashboard.extensions import db

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def _scoped(assessment_id: int) -> Assessment:
    return get_scoped_or_404(Assessment, assessment_id, current_user.organisation_id)


def _back(assessment: Assessment) -> str:
    return url_for(".show", assessment_id=assessment.id)


def _settings(form: AssessmentForm) -> dict:
    return {
        "name": form.name.data, "description": form.description.data or "",
        "passing_score": float(form.passing_score.data), "time_limit_minutes": form.time_limit_minutes.data,
        "invitation_valid_days": form.invitation_valid_days.data,
    }


@bp.route("/")
@role_required("recruiter")
def index():
    """Every assessment of the organisation, by name."""
    assessments = services.list_assessments(current_user.organisation_id)
    return render_template("assessments/index.html", assessments=assessments)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    """Create a draft assessment."""
    form = AssessmentForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_assessment(current_user.organisation_id, **_settings(form)))
        if outcome.ok:
            flash(f"“{outcome.result.name}” created. Add its parts and questions, then publish it.", "success")
            return redirect(url_for(".show", assessment_id=outcome.result.id))
        form.name.errors.append(str(outcome.error))
    status = 400 if form.errors else 200
    return render_template("assessments/form.html", form=form, assessment=None), status


@bp.route("/<int:assessment_id>")
@role_required("recruiter")
def show(assessment_id: int):
    """An assessment's settings, rating bands, parts and questions, and the invite form."""
    assessment = _scoped(assessment_id)
    return render_template(
        "assessments/show.html", assessment=assessment, bands=rating_bands(assessment.passing_score),
        invite_form=InviteCandidateForm(), part_form=PartForm(),
        question_forms={p.id: QuestionForm(prefix=f"q{p.id}") for p in assessment.parts},
        attempts=assessment.attempts.limit(20).all(),
    )


@bp.route("/<int:assessment_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(assessment_id: int):
    """Change an assessment's name and settings."""
    assessment = _scoped(assessment_id)
    form = AssessmentForm(obj=assessment)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.update_assessment(assessment.id, **_settings(form)))
        if outcome.ok:
            flash("Settings saved.", "success")
            return redirect(url_for(".show", assessment_id=assessment.id))
        form.name.errors.append(str(outcome.error))
    status = 400 if form.errors else 200
    return render_template("assessments/form.html", form=form, assessment=assessment), status


@bp.route("/<int:assessment_id>/<any(publish, archive):action>", methods=["POST"])
@role_required("admin")
def change_status(assessment_id: int, action: str):
    """Publish (candidates can be invited from now on) or archive (no new invitations)."""
    assessment = _scoped(assessment_id)
    if action == "publish":
        return act(lambda: services.publish_assessment(assessment.id), _back(assessment),
                   "Published: you can now invite candidates.")
    return act(lambda: services.archive_assessment(assessment.id), _back(assessment),
               "Archived: no new invitations.")


@bp.route("/<int:assessment_id>/delete", methods=["POST"])
@role_required("admin")
def delete(assessment_id: int):
    """Delete a draft nobody was invited to."""
    assessment = _scoped(assessment_id)
    outcome = attempt(lambda: services.delete_assessment(assessment.id))
    if not outcome.ok:
        flash(str(outcome.error), "error")
        return redirect(_back(assessment))
    flash("Draft deleted.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:assessment_id>/parts", methods=["POST"])
@role_required("admin")
def add_part(assessment_id: int):
    """Append a part."""
    assessment = _scoped(assessment_id)
    form = PartForm()
    if not form.validate_on_submit():
        return form_errors(form, _back(assessment))
    return act(lambda: services.add_part(assessment.id, name=form.name.data, weight=float(form.weight.data),
                                         grading=form.grading.data), _back(assessment), "Part added.")


def _scoped_part(assessment: Assessment, part_id: int) -> Part:
    part = db.session.get(Part, part_id)
    if part is None or part.assessment_id != assessment.id:
        abort(404)
    return part


@bp.route("/<int:assessment_id>/parts/<int:part_id>/delete", methods=["POST"])
@role_required("admin")
def delete_part(assessment_id: int, part_id: int):
    """Remove a part and its questions."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    return act(lambda: services.delete_part(part.id), _back(assessment), "Part removed.")


@bp.route("/<int:assessment_id>/parts/<int:part_id>/move/<any(up, down):direction>", methods=["POST"])
@role_required("admin")
def move_part(assessment_id: int, part_id: int, direction: str):
    """Move a part up or down."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    return act(lambda: services.move_part(part.id, -1 if direction == "up" else 1), _back(assessment))


@bp.route("/<int:assessment_id>/parts/<int:part_id>/questions", methods=["POST"])
@role_required("admin")
def add_question(assessment_id: int, part_id: int):
    """Add a question to a part."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    back = _back(assessment) + f"#part-{part.id}"
    form = QuestionForm(prefix=f"q{part.id}")
    if not form.validate_on_submit():
        return form_errors(form, back)
    choices = (form.choices.data or "").splitlines()
    correct = form.correct_choice.data - 1 if form.correct_choice.data else None
    max_points = float(form.max_points.data) if form.max_points.data is not None else None
    return act(lambda: services.add_question(part.id, kind=form.kind.data, prompt=form.prompt.data, choices=choices,
                                             correct_choice=correct, max_points=max_points),
               back, "Question added.")


@bp.route("/<int:assessment_id>/questions/<int:question_id>/delete", methods=["POST"])
@role_required("admin")
def delete_question(assessment_id: int, question_id: int):
    """Remove a question."""
    assessment = _scoped(assessment_id)
    question = db.session.get(Question, question_id)
    if question is None or question.part.assessment_id != assessment.id:
        abort(404)
    return act(lambda: services.delete_question(question.id), _back(assessment), "Question removed.")
