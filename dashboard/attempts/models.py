"""Candidates, their attempts at assessments, per-part scores and answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.core.clock import utcnow
from dashboard.core.search import keep_search_text
from dashboard.extensions import db

ATTEMPT_STATUSES = ("invited", "in_progress", "completed", "expired", "cancelled")
EVALUATION_STATES = ("pending", "provisional", "final")
PART_STATES = ("pending", "scored", "awaiting_evaluation")


class Candidate(db.Model):
    """A person invited to assessments; one row per (organisation, lower-cased email)."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("organisation_id", "email", name="uq_candidates_org_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Name and email, lower-cased without accents (`dashboard.core.search`): what the list searches.
    search_text: Mapped[str] = mapped_column(String(460), default="", server_default="")

    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="candidate", order_by="Attempt.invited_at.desc()"
    )


class Attempt(db.Model):
    """One candidate's invitation to, and run through, one assessment.

    The time limit and the passing score are the assessment's when the attempt is created: later edits
    of the assessment apply to new attempts only. `valid_from` starts the validity window that ends at
    `deadline` (the invitation time, or when an expired invitation was reopened); the reminder never
    goes out in its first half.
    """

    __tablename__ = "attempts"
    # The invitations job finds what is due by status and deadline (expiry, reminders) without a scan.
    __table_args__ = (Index("ix_attempts_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="invited")
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    passing_score: Mapped[float] = mapped_column(Float)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluation_state: Mapped[str] = mapped_column(String(20), default="pending")
    cancelled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The staff member who invited by hand (None for invitations the ATS made): told the final result.
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # "lever": created by the ATS integration's rules; "direct": invited by hand (the list shows these
    # on their own, the Lever ones through their invitations).
    source: Mapped[str] = mapped_column(String(10), default="direct", server_default="direct")

    candidate: Mapped[Candidate] = relationship(back_populates="attempts")
    assessment = relationship("Assessment")
    part_scores: Mapped[list[PartScore]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan"
    )
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")


keep_search_text(Candidate, "name", "email")


class PartScore(db.Model):
    """The score (0-100) of one part of one attempt, and where it stands."""

    __tablename__ = "part_scores"
    __table_args__ = (UniqueConstraint("attempt_id", "part_id", name="uq_part_scores_attempt_part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("assessment_parts.id"))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(30), default="pending")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    attempt: Mapped[Attempt] = relationship(back_populates="part_scores")
    part = relationship("Part")


class Answer(db.Model):
    """A candidate's answer to one question; manual answers get points from an evaluator."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id", name="uq_answers_attempt_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("assessment_questions.id"))
    choice: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question = relationship("Question")
