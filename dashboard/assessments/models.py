"""Assessments, their ordered parts and questions (the staff side of the platform)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.core.clock import utcnow
from dashboard.extensions import db

STATUSES = ("draft", "published", "archived")
GRADINGS = ("auto", "manual")
QUESTION_KINDS = ("multiple_choice", "free_text", "sql")
KIND_LABELS = {"multiple_choice": "Multiple choice", "free_text": "Free text", "sql": "SQL"}


class Assessment(db.Model):
    """A test candidates take: named uniquely within its organisation."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_assessments_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    passing_score: Mapped[float] = mapped_column(Float, default=50.0)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=60)
    invitation_valid_days: Mapped[int] = mapped_column(Integer, default=7)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    parts: Mapped[list[Part]] = relationship(
        back_populates="assessment", order_by="Part.position", cascade="all, delete-orphan"
    )
    # Attempts at this assessment (declared by name: the attempts feature builds on this one).
    attempts = relationship("Attempt", viewonly=True, lazy="dynamic", order_by="desc(Attempt.invited_at)")


class Part(db.Model):
    """One ordered section of an assessment, scored automatically or by a person."""

    __tablename__ = "assessment_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    grading: Mapped[str] = mapped_column(String(10), default="auto")

    assessment: Mapped[Assessment] = relationship(back_populates="parts")
    questions: Mapped[list[Question]] = relationship(
        back_populates="part", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    """A question of a part: multiple choice (auto) or free text / SQL (manual, with max points)."""

    __tablename__ = "assessment_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("assessment_parts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list] = mapped_column(JSON, default=list)
    correct_choice: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_points: Mapped[float] = mapped_column(Float, default=1.0)

    part: Mapped[Part] = relationship(back_populates="questions")

    @property
    def kind_label(self) -> str:
        """Human name of the question kind."""
        return KIND_LABELS.get(self.kind, self.kind)
