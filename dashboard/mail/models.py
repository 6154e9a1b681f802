"""Every email the platform sends or stores, one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.core.clock import utcnow
from dashboard.extensions import db

TRANSPORTS = ("outbox", "smtp")
# queued → sending → sent | failed (a 5xx answer, or temporary failures past the last try) ;
# stored: kept for the Outbox (no mail server) ; not_sent: an account email with no mail server.
STATUSES = ("queued", "sending", "stored", "sent", "failed", "not_sent")
# candidate: invitations and reminders (staff may read them); account: set-password and other
# account emails, kept without their links and shown to owners and admins only as "sent".
CATEGORIES = ("candidate", "account")
WITHHELD = "[link withheld: sent to the recipient only]"


class MailMessage(db.Model):
    """One rendered email: stored for the Outbox page, or sent (or failed) by SMTP."""

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_due", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    transport: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Callers pass a key derived from what the email is about; the same key never sends twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    category: Mapped[str] = mapped_column(String(20), default="candidate", server_default="candidate")
    # Queued messages: when to try next and how often it was tried. A message with a `builder` is
    # rendered when it is sent (its context, secrets included, never stored).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    template: Mapped[str | None] = mapped_column(String(60), nullable=True)
    builder: Mapped[str | None] = mapped_column(String(40), nullable=True)
    builder_args: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    @property
    def is_account_mail(self) -> bool:
        """True for account emails, whose content is never shown."""
        return self.category == "account"

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.transport}/{self.status} to={self.to!r}>"
