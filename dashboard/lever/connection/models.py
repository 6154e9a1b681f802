"""The Lever connection of an organisation, its webhooks and its history.

Secrets (access token, refresh token, webhook signature tokens) are stored only encrypted
(`dashboard.lever.connection.crypto`); the `_enc` columns never hold plain text.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db

STATUSES = ("connected", "reconnect_needed", "disconnected")
WEBHOOK_EVENTS = (
    "applicationCreated",
    "candidateStageChange",
    "candidateArchiveChange",
    "candidateHired",
    "candidateDeleted",
)
EVENT_LABELS = {
    "applicationCreated": "Application created",
    "candidateStageChange": "Candidate stage change",
    "candidateArchiveChange": "Candidate archive state change",
    "candidateHired": "Candidate hired",
    "candidateDeleted": "Candidate deleted",
}


def _public_id() -> str:
    return secrets.token_urlsafe(18)


class LeverConnection(db.Model):
    """One organisation's link to one Lever account (one row per organisation, reused on reconnect)."""

    __tablename__ = "lever_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=_public_id)
    status: Mapped[str] = mapped_column(String(20), default="disconnected")
    lever_account_id: Mapped[str | None] = mapped_column(String(100), index=True, nullable=True)
    # The Lever user who accepted the consent (the token's userId claim); named from `lever_users`.
    lever_user_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lever_env: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scopes: Mapped[str] = mapped_column(Text, default="")
    access_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disconnected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    perform_as_user_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    perform_as_user_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reuse_days: Mapped[int] = mapped_column(Integer, default=180)
    tag_brand: Mapped[str] = mapped_column(String(40), default="Alooba")
    backfill_decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_refresh_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Active Lever users ([{id, name, email, accessRole}]) cached for the perform-as choice.
    lever_users: Mapped[list | None] = mapped_column(JSON, nullable=True)
    lever_users_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Last webhook set-up problem shown on the card (None when every webhook is in place).
    webhook_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Lever refused a stage change or the archive reasons (403) since the last consent: its words.
    stage_changes_refused: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    connected_by = relationship("User", foreign_keys=[connected_by_id])
    webhooks: Mapped[list[LeverWebhook]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="LeverWebhook.id"
    )
    events: Mapped[list[LeverConnectionEvent]] = relationship(
        back_populates="connection", cascade="all, delete-orphan",
        order_by="LeverConnectionEvent.id.desc()",
    )

    @property
    def consenting_user(self) -> dict | None:
        """The Lever user who accepted the consent ({id, name, email, accessRole}), when Lever's user
        list (read at connect time) names them."""
        if not self.lever_user_id:
            return None
        return next((u for u in self.lever_users or [] if u.get("id") == self.lever_user_id), None)

    @property
    def account_label(self) -> str:
        """The Lever account in words: the account of the user who connected it, else its id."""
        user = self.consenting_user
        if user is None:
            return f"account {self.lever_account_id}" if self.lever_account_id else "no Lever account"
        email = f" ({user['email']})" if user.get("email") else ""
        return f"the account of {user.get('name') or user.get('email')}{email}"

    @property
    def scope_list(self) -> list[str]:
        """The scopes granted, as a list."""
        return [s for s in (self.scopes or "").split() if s]

    @property
    def is_connected(self) -> bool:
        """True when calls to Lever may be made with this connection."""
        return self.status == "connected"

    def expires_in(self, now: datetime | None = None) -> float | None:
        """Seconds until the access token expires (negative when expired), None without expiry."""
        if self.expires_at is None:
            return None
        return (as_utc(self.expires_at) - (now or utcnow())).total_seconds()


class LeverWebhook(db.Model):
    """A webhook delivering one event to this connection's URL, with its signature token."""

    __tablename__ = "lever_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    lever_webhook_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    url: Mapped[str] = mapped_column(String(500))
    signature_token_enc: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="api")
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    connection: Mapped[LeverConnection] = relationship(back_populates="webhooks")


class LeverConnectionEvent(db.Model):
    """History of a connection: connected, refreshed failure, reconnected, disconnected, settings."""

    __tablename__ = "lever_connection_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lever_connections.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    connection: Mapped[LeverConnection] = relationship(back_populates="events")
    user = relationship("User")


class LeverPaceBucket(db.Model):
    """The shared pacing state of one Lever account (`account_key`), used by `connection.pacing`."""

    __tablename__ = "lever_pace_buckets"

    account_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)  # epoch seconds when the bucket is next "full"
    # After a 429 (epoch seconds): the rate it was cut to and when (it climbs back from there), and the
    # end of its Retry-After, before which no call for the account goes out.
    cut_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    cut_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    blocked_until: Mapped[float | None] = mapped_column(Float, nullable=True)
