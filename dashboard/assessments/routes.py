"""Staff pages for assessments: list, create, edit, parts, questions, publish, archive, invite."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from dashboard.accounts.auth import get_scoped_or_404, role_required
from dashboard.assessments import services
from dashboard.assessments.forms import (
    AssessmentForm,
    InviteCandidateForm,
    PartForm,
    QuestionForm,
)
from dashboard.assessments.models import Assessment, Part, Question
from dashboard.assessments.rating import rating_bands
from dashboard.attempts import services as attempt_services
from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.mail.services import MailError

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def _scoped(assessment_id: int) -> Assessment:
    return get_scoped_or_404(Assessment, assessment_id, current_user.organisation_id)


def _settings(form: AssessmentForm) -> dict:
    return {
        "name": form.name.data, "description": form.description.data or "",
        "passing_score": float(form.passing_score.data), "time_limit_minutes": form.time_limit_minutes.data,
        "invitation_valid_days": form.invitation_valid_days.data,
    }


def _refused(exc: ValueError, back: str):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(back)


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
        try:
            assessment = services.create_assessment(current_user.organisation_id, **_settings(form))
        except services.AssessmentError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"“{assessment.name}” created. Add its parts and questions, then publish it.", "success")
            return redirect(url_for(".show", assessment_id=assessment.id))
    status = 400 if form.errors else 200
    return render_template("assessments/form.html", form=form, assessment=None), status


@bp.route("/<int:assessment_id>")
@role_required("recruiter")
def show(assessment_id: int):
    """An assessment's settings, rating bands, parts and questions, and the invite form."""
    assessment = _scoped(assessment_id)
    attempts = db.session.query(Attempt).filter_by(assessment_id=assessment.id).order_by(
        Attempt.invited_at.desc()).limit(20).all()
    return render_template(
        "assessments/show.html", assessment=assessment, bands=rating_bands(assessment.passing_score),
        invite_form=InviteCandidateForm(), part_form=PartForm(),
        question_forms={p.id: QuestionForm(prefix=f"q{p.id}") for p in assessment.parts}, attempts=attempts,
    )


@bp.route("/<int:assessment_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(assessment_id: int):
    """Change an assessment's name and settings."""
    assessment = _scoped(assessment_id)
    form = AssessmentForm(obj=assessment)
    if form.validate_on_submit():
        try:
            services.update_assessment(assessment.id, **_settings(form))
        except services.AssessmentError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for(".show", assessment_id=assessment.id))
    status = 400 if form.errors else 200
    return render_template("assessments/form.html", form=form, assessment=assessment), status


def _action(assessment_id: int, fn, message: str):
    assessment = _scoped(assessment_id)
    back = url_for(".show", assessment_id=assessment.id)
    try:
        fn(assessment.id)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.route("/<int:assessment_id>/publish", methods=["POST"])
@role_required("admin")
def publish(assessment_id: int):
    """Publish: candidates can be invited from now on."""
    return _action(assessment_id, services.publish_assessment, "Published: you can now invite candidates.")


@bp.route("/<int:assessment_id>/archive", methods=["POST"])
@role_required("admin")
def archive(assessment_id: int):
    """Archive: no new invitations."""
    return _action(assessment_id, services.archive_assessment, "Archived: no new invitations.")


@bp.route("/<int:assessment_id>/delete", methods=["POST"])
@role_required("admin")
def delete(assessment_id: int):
    """Delete a draft nobody was invited to."""
    assessment = _scoped(assessment_id)
    try:
        services.delete_assessment(assessment.id)
    except services.AssessmentError as exc:
        return _refused(exc, url_for(".show", assessment_id=assessment.id))
    db.session.commit()
    flash("Draft deleted.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:assessment_id>/parts", methods=["POST"])
@role_required("admin")
def add_part(assessment_id: int):
    """Append a part."""
    assessment = _scoped(assessment_id)
    back = url_for(".show", assessment_id=assessment.id)
    form = PartForm()
    if not form.validate_on_submit():
        return _form_errors(form, back)
    try:
        services.add_part(assessment.id, name=form.name.data, weight=float(form.weight.data),
                          grading=form.grading.data)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash("Part added.", "success")
    return redirect(back)


def _scoped_part(assessment: Assessment, part_id: int) -> Part:
    part = db.session.get(Part, part_id)
    if part is None or part.assessment_id != assessment.id:
        abort(404)
    return part


def _form_errors(form, back: str):
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")
    return redirect(back)


@bp.route("/<int:assessment_id>/parts/<int:part_id>/delete", methods=["POST"])
@role_required("admin")
def delete_part(assessment_id: int, part_id: int):
    """Remove a part and its questions."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    back = url_for(".show", assessment_id=assessment.id)
    try:
        services.delete_part(part.id)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash("Part removed.", "success")
    return redirect(back)


@bp.route("/<int:assessment_id>/parts/<int:part_id>/move/<direction>", methods=["POST"])
@role_required("admin")
def move_part(assessment_id: int, part_id: int, direction: str):
    """Move a part up or down."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    if direction not in ("up", "down"):
        abort(404)
    back = url_for(".show", assessment_id=assessment.id)
    try:
        services.move_part(part.id, -1 if direction == "up" else 1)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    return redirect(back)


@bp.route("/<int:assessment_id>/parts/<int:part_id>/questions", methods=["POST"])
@role_required("admin")
def add_question(assessment_id: int, part_id: int):
    """Add a question to a part."""
    assessment = _scoped(assessment_id)
    part = _scoped_part(assessment, part_id)
    back = url_for(".show", assessment_id=assessment.id) + f"#part-{part.id}"
    form = QuestionForm(prefix=f"q{part.id}")
    if not form.validate_on_submit():
        return _form_errors(form, back)
    choices = (form.choices.data or "").splitlines()
    correct = form.correct_choice.data - 1 if form.correct_choice.data else None
    max_points = float(form.max_points.data) if form.max_points.data is not None else None
    try:
        services.add_question(part.id, kind=form.kind.data, prompt=form.prompt.data, choices=choices,
                              correct_choice=correct, max_points=max_points)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash("Question added.", "success")
    return redirect(back)


@bp.route("/<int:assessment_id>/questions/<int:question_id>/delete", methods=["POST"])
@role_required("admin")
def delete_question(assessment_id: int, question_id: int):
    """Remove a question."""
    assessment = _scoped(assessment_id)
    question = db.session.get(Question, question_id)
    if question is None or question.part.assessment_id != assessment.id:
        abort(404)
    back = url_for(".show", assessment_id=assessment.id)
    try:
        services.delete_question(question.id)
    except services.AssessmentError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash("Question removed.", "success")
    return redirect(back)


@bp.route("/<int:assessment_id>/invite", methods=["POST"])
@role_required("recruiter")
def invite(assessment_id: int):
    """Invite a candidate by email: find or create them, create the attempt, then send the email."""
    assessment = _scoped(assessment_id)
    back = url_for(".show", assessment_id=assessment.id)
    form = InviteCandidateForm()
    if not form.validate_on_submit():
        return _form_errors(form, back)
    try:
        candidate = attempt_services.find_or_create_candidate(current_user.organisation_id,
                                                              form.email.data, form.name.data)
        attempt = attempt_services.create_attempt(current_user.organisation_id, candidate.id, assessment.id)
    except attempt_services.AttemptError as exc:
        return _refused(exc, back)
    db.session.commit()
    _send_after_commit(attempt.id)
    flash(f"{candidate.email} is invited to “{assessment.name}”.", "success")
    return redirect(url_for("attempts.candidate", candidate_id=candidate.id))


def _send_after_commit(attempt_id: int) -> None:
    """Send the invitation email once the attempt is committed; a mail failure is reported, not fatal."""
    try:
        attempt_services.send_invitation(attempt_id)
    except MailError as exc:
        db.session.commit()  # keep the recorded failure for the Outbox
        flash(f"The invitation is saved but the email could not be sent ({exc}); "
              "use “Resend invitation” on the candidate's page.", "warning")
        return
    db.session.commit()
