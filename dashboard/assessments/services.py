"""Assessment services: create, edit, publish and archive assessments, their parts and questions.

Explicit arguments, flush, never commit. Structure (parts, questions) changes only in draft.
"""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.assessments.models import GRADINGS, QUESTION_KINDS, Assessment, Part, Question
from dashboard.core.boundary import DomainError
from dashboard.extensions import db


class AssessmentError(DomainError):
    """A user-facing reason an assessment change was refused."""


def list_assessments(organisation_id: int, status: str | None = None) -> list[Assessment]:
    """The organisation's assessments by name, optionally of one status."""
    stmt = select(Assessment).where(Assessment.organisation_id == organisation_id)
    if status:
        stmt = stmt.where(Assessment.status == status)
    return list(db.session.scalars(stmt.order_by(Assessment.name)))


def _check_settings(organisation_id: int, name: str, passing_score, time_limit_minutes,
                    invitation_valid_days, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise AssessmentError("An assessment needs a name.")
    if len(name) > 200:
        raise AssessmentError("Keep the name under 200 characters.")
    clash = select(Assessment.id).where(Assessment.organisation_id == organisation_id,
                                        func.lower(Assessment.name) == name.lower())
    if exclude_id is not None:
        clash = clash.where(Assessment.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise AssessmentError(f"An assessment named “{name}” already exists; choose another name.")
    if passing_score is None or not 0 <= float(passing_score) <= 100:
        raise AssessmentError("The passing score must be between 0 and 100.")
    if time_limit_minutes is None or int(time_limit_minutes) <= 0:
        raise AssessmentError("The time limit must be at least 1 minute.")
    if invitation_valid_days is None or int(invitation_valid_days) <= 0:
        raise AssessmentError("Invitations must stay valid for at least 1 day.")
    return name


def create_assessment(organisation_id: int, *, name: str, passing_score: float,
                      time_limit_minutes: int, invitation_valid_days: int,
                      description: str = "") -> Assessment:
    """A new draft assessment with a unique (trimmed) name."""
    name = _check_settings(organisation_id, name, passing_score, time_limit_minutes,
                           invitation_valid_days)
    assessment = Assessment(organisation_id=organisation_id, name=name, status="draft",
                            description=(description or "").strip(), passing_score=float(passing_score),
                            time_limit_minutes=int(time_limit_minutes),
                            invitation_valid_days=int(invitation_valid_days))
    db.session.add(assessment)
    db.session.flush()
    return assessment


def update_assessment(assessment_id: int, *, name: str, passing_score: float, time_limit_minutes: int,
                      invitation_valid_days: int, description: str = "") -> Assessment:
    """Change an assessment's settings (not allowed once archived)."""
    assessment = _get(assessment_id)
    if assessment.status == "archived":
        raise AssessmentError("An archived assessment cannot be changed.")
    assessment.name = _check_settings(assessment.organisation_id, name, passing_score,
                                      time_limit_minutes, invitation_valid_days, exclude_id=assessment.id)
    assessment.description = (description or "").strip()
    assessment.passing_score = float(passing_score)
    assessment.time_limit_minutes = int(time_limit_minutes)
    assessment.invitation_valid_days = int(invitation_valid_days)
    db.session.flush()
    return assessment


def publish_assessment(assessment_id: int) -> Assessment:
    """Publish a draft: it needs at least one part, and every part at least one question."""
    assessment = _get(assessment_id)
    if assessment.status == "published":
        return assessment
    if assessment.status == "archived":
        raise AssessmentError("An archived assessment cannot be published again.")
    if not assessment.parts:
        raise AssessmentError("Add at least one part before publishing.")
    empty = [p.name for p in assessment.parts if not p.questions]
    if empty:
        raise AssessmentError("Every part needs at least one question before publishing; empty: "
                              + ", ".join(empty) + ".")
    assessment.status = "published"
    db.session.flush()
    return assessment


def archive_assessment(assessment_id: int) -> Assessment:
    """Archive an assessment: no new invitations; existing attempts carry on."""
    assessment = _get(assessment_id)
    assessment.status = "archived"
    db.session.flush()
    return assessment


def delete_assessment(assessment_id: int) -> None:
    """Delete a draft assessment that nobody has been invited to."""
    assessment = _get(assessment_id)
    if assessment.status != "draft":
        raise AssessmentError("Only a draft can be deleted; archive a published assessment instead.")
    if assessment.attempts.first() is not None:
        raise AssessmentError("Candidates were invited to this assessment; archive it instead.")
    db.session.delete(assessment)
    db.session.flush()


def _get(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise AssessmentError("There is no such assessment.")
    return assessment


def _draft(assessment: Assessment) -> None:
    if assessment.status != "draft":
        raise AssessmentError("Parts and questions can only be changed while the assessment is a draft.")


def _check_part(name: str, weight, grading: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AssessmentError("A part needs a name (up to 200 characters).")
    if weight is None or float(weight) <= 0:
        raise AssessmentError("A part's weight must be greater than 0.")
    if grading not in GRADINGS:
        raise AssessmentError("Grading must be automatic or manual.")
    return name


def add_part(assessment_id: int, *, name: str, weight: float = 1.0, grading: str = "auto") -> Part:
    """Append a part to a draft assessment."""
    assessment = _get(assessment_id)
    _draft(assessment)
    name = _check_part(name, weight, grading)
    part = Part(name=name, weight=float(weight), grading=grading, position=len(assessment.parts) + 1)
    assessment.parts.append(part)
    db.session.flush()
    return part


def delete_part(part_id: int) -> None:
    """Remove a part (and its questions) and renumber the rest."""
    part = _get_part(part_id)
    assessment = part.assessment
    _draft(assessment)
    assessment.parts.remove(part)
    db.session.flush()
    _renumber(assessment.parts)


def move_part(part_id: int, offset: int) -> None:
    """Move a part up (-1) or down (+1)."""
    part = _get_part(part_id)
    _draft(part.assessment)
    parts = list(part.assessment.parts)
    i = parts.index(part)
    j = i + (1 if offset > 0 else -1)
    if 0 <= j < len(parts):
        parts[i], parts[j] = parts[j], parts[i]
        _renumber(parts)


def _renumber(items) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position
    db.session.flush()


def _get_part(part_id: int) -> Part:
    part = db.session.get(Part, part_id)
    if part is None:
        raise AssessmentError("There is no such part.")
    return part


def add_question(part_id: int, *, kind: str, prompt: str, choices: list[str] | None = None,
                 correct_choice: int | None = None, max_points: float = 1.0) -> Question:
    """Add a question to a part of a draft.

    Automatic parts hold multiple choice (two or more choices, one correct); manual parts hold
    free text or SQL with maximum points above 0.
    """
    part = _get_part(part_id)
    _draft(part.assessment)
    prompt = (prompt or "").strip()
    if kind not in QUESTION_KINDS:
        raise AssessmentError("Unknown question type.")
    if not prompt:
        raise AssessmentError("A question needs a prompt.")
    if part.grading == "auto" and kind != "multiple_choice":
        raise AssessmentError("Automatically scored parts hold multiple-choice questions only.")
    if part.grading == "manual" and kind == "multiple_choice":
        raise AssessmentError("Manually evaluated parts hold free-text or SQL questions only.")
    if kind == "multiple_choice":
        choices = [c.strip() for c in (choices or []) if c and c.strip()]
        if len(choices) < 2:
            raise AssessmentError("A multiple-choice question needs at least two choices.")
        if correct_choice is None or not 0 <= int(correct_choice) < len(choices):
            raise AssessmentError("Pick which choice is correct.")
        question = Question(kind=kind, prompt=prompt, choices=choices, correct_choice=int(correct_choice),
                            max_points=1.0)
    else:
        if max_points is None or float(max_points) <= 0:
            raise AssessmentError("Maximum points must be greater than 0.")
        question = Question(kind=kind, prompt=prompt, choices=[], correct_choice=None,
                            max_points=float(max_points))
    question.position = len(part.questions) + 1
    part.questions.append(question)
    db.session.flush()
    return question


def delete_question(question_id: int) -> None:
    """Remove a question from a draft's part and renumber the rest."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise AssessmentError("There is no such question.")
    part = question.part
    _draft(part.assessment)
    part.questions.remove(question)
    db.session.flush()
    _renumber(part.questions)
