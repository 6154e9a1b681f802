"""Sync-engine tables: Lever state we keep, the inbox, the outbox (effects) and the sync history.

Every row carries its organisation. Uniqueness constraints do the idempotency work:
one inbox row per (connection, delivery token), one invitation per (opportunity, assessment),
one feedback form per (opportunity, attempt), one effect per idempotency key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.core.clock import utcnow
from dashboard.core.search import keep_search_text
from dashboard.extensions import db

TS = DateTime(timezone=True)


class LeverPosting(db.Model):
    """A Lever posting as last read, with its tags (parsed on use)."""

    __tablename__ = "lever_postings"
    __table_args__ = (UniqueConstraint("connection_id", "lever_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    lever_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(32), default="published")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    refreshed_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class LeverStage(db.Model):
    """One pipeline stage of the connected Lever account."""

    __tablename__ = "lever_stages"
    __table_args__ = (UniqueConstraint("connection_id", "lever_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    lever_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(300))


class LeverAccountCache(db.Model):
    """Per-connection facts read from Lever once and reused: the feedback template and its fields."""

    __tablename__ = "lever_account_cache"

    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    template_fields: Mapped[dict] = mapped_column(JSON, default=dict)  # our key → Lever field id
    stages_refreshed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    postings_refreshed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    archive_reasons_refreshed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class LeverOpportunity(db.Model):
    """A Lever opportunity the integration has seen, tied to our candidate once invited.

    `status_written` is the status tag our last successful write left (None: none), valid once
    `status_written_at` is set; the drift check compares it with what the attempts now imply.
    `last_checked_at` is when the drift check (or a reconciliation repair) last compared it with Lever.
    """

    __tablename__ = "lever_opportunities"
    __table_args__ = (
        UniqueConstraint("connection_id", "lever_id"),
        Index("ix_lever_opportunities_checked", "connection_id", "last_checked_at"),
        # Who is held, and why, per job: Needs attention, the backfill count and the list's reason filter.
        Index("ix_lever_opportunities_organisation_reason", "organisation_id", "reason_code", "posting_lever_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    lever_id: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True, index=True)
    posting_lever_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    stage_lever_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    profile_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    archived: Mapped[bool] = mapped_column(default=False)
    hired: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)
    tags_inherited: Mapped[bool] = mapped_column(default=False)
    # The decision the rules last took for it (`dashboard.lever.sync.reasons`): a short code for
    # filters and counts, and the words its sync history uses. None: not decided since these existed.
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lever_updated_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # Lever's ms timestamp
    first_seen_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    last_synced_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    status_written: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_written_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    # Name and email, lower-cased without accents (`dashboard.core.search`): what the list searches.
    search_text: Mapped[str] = mapped_column(String(560), default="", server_default="")


keep_search_text(LeverOpportunity, "name", "email")


class Invitation(db.Model):
    """At most one per (opportunity, assessment): the decision to invite, and the attempt used."""

    __tablename__ = "lever_invitations"
    __table_args__ = (UniqueConstraint("opportunity_id", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("lever_opportunities.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    reused: Mapped[bool] = mapped_column(default=False)
    trigger: Mapped[str] = mapped_column(String(200), default="application")
    # The opportunity's Lever stage when invited: where the stage automation expects to find it.
    stage_lever_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class FeedbackForm(db.Model):
    """Our one feedback form per (opportunity, attempt) in Lever, updated in place."""

    __tablename__ = "lever_feedback_forms"
    __table_args__ = (UniqueConstraint("opportunity_id", "attempt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("lever_opportunities.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    lever_feedback_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    written_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    written_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class InboxDelivery(db.Model):
    """A verified webhook delivery, stored before it is acknowledged; processed by the worker."""

    __tablename__ = "lever_inbox"
    __table_args__ = (
        UniqueConstraint("connection_id", "token"),
        Index("ix_lever_inbox_pending", "state", "id"),
        # The deliveries about one opportunity: was a change announced, is a failure since repaired.
        Index("ix_lever_inbox_opportunity", "connection_id", "opportunity_lever_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    token: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(64))
    opportunity_lever_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_stage_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    triggered_at: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds
    received_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    # pending → claimed → done | failed; failed → repaired once a later read applied the opportunity
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Effect(db.Model):
    """One outbound effect (an email, a Lever write): the outbox row the worker performs."""

    __tablename__ = "lever_effects"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_lever_effects_due", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("lever_connections.id"), nullable=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("lever_opportunities.id"), nullable=True,
                                                       index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), nullable=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # pending → claimed → done | dead | needs_decision (an email whose send may have happened)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outcome_unknown: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class SyncEvent(db.Model):
    """One line of a candidate's sync history: webhook, decision, email, Lever write, retry, failure."""

    __tablename__ = "lever_sync_events"
    __table_args__ = (
        Index("ix_lever_sync_events_candidate", "organisation_id", "candidate_id", "id"),
        Index("ix_lever_sync_events_opportunity", "opportunity_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("lever_opportunities.id"), nullable=True)
    effect_id: Mapped[int | None] = mapped_column(nullable=True)
    kind: Mapped[str] = mapped_column(String(24))  # webhook, decision, email, lever_write, retry, failure
    outcome: Mapped[str] = mapped_column(String(12), default="ok")  # ok, failed, info, waiting
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class ReconcileState(db.Model):
    """Per-connection progress of the opportunity reconciliation."""

    __tablename__ = "lever_reconcile_state"

    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Lever `updatedAt` (ms) up to which every change has been applied; None before the first run.
    watermark_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Postings whose opportunities have been listed completely at least once.
    listed_postings: Mapped[list] = mapped_column(JSON, default=list)
    full_pass_requested: Mapped[bool] = mapped_column(default=False)
    last_completed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    # Runs in a row that applied changes no webhook announced, the webhook events those changes
    # should have come with, and the last inbox id when that was seen (a delivery of one of those
    # events after it shows the webhooks are back).
    unannounced_runs: Mapped[int] = mapped_column(default=0, server_default="0")
    unannounced_events: Mapped[list | None] = mapped_column(JSON, nullable=True, default=list)
    unannounced_after_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class LeverArchiveReason(db.Model):
    """One archive reason of the connected Lever account, as last read (for the stage automation form)."""

    __tablename__ = "lever_archive_reasons"
    __table_args__ = (UniqueConstraint("connection_id", "lever_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    lever_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16), default="non-hired")  # Lever's `type`: hired / non-hired
    active: Mapped[bool] = mapped_column(default=True)


class LeverJobAutomation(db.Model):
    """The stage automation of one linked job (opt-in, set by admins): where a result moves the candidate.

    On completion → `complete_stage_id`; a final result that passes → `pass_stage_id`; one that fails →
    nothing, `fail_stage_id`, or archived with `fail_reason_id` (`fail_action`). Empty stage ids: no move.
    """

    __tablename__ = "lever_job_automations"
    __table_args__ = (UniqueConstraint("connection_id", "posting_lever_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"))
    posting_lever_id: Mapped[str] = mapped_column(String(64))
    complete_stage_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pass_stage_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fail_action: Mapped[str] = mapped_column(String(16), default="nothing")  # nothing | stage | archive
    fail_stage_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fail_reason_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
