"""The one mail service: render a template pair, then send by SMTP or store for the Outbox.

Two ways in, both flushing and never committing (the caller commits):
- `send_email()` delivers now; background work (the worker, the scheduler) uses it.
- `queue_email()` only records the message; `delivery.deliver_queued()` sends it from the worker
  after the request's commit. Requests use it, so no request waits on (or half-commits around) SMTP.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.core.boundary import DomainError
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.mail.models import WITHHELD, MailMessage
from dashboard.mail.smtp import SmtpRefused, deliver_mime

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+$")
NO_SERVER_FOR_ACCOUNT_MAIL = (
    "No mail server is configured (MAIL_SERVER), and account emails are never stored with their link, "
    "so this one could not reach the person. Configure a mail server, or run "
    "`flask users set-password-link <email>` on the server.")


class MailError(DomainError):
    """Sending failed (or the message cannot be sent); the reason is user-facing. `permanent` says that
    trying again cannot help (the server refused the message for good)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def parse_address(address: str) -> str:
    """A single plain email address, or MailError (no display name, no header injection)."""
    address = (address or "").strip()
    _name, addr = parseaddr(address)
    if not addr or "@" not in addr or any(ch in address for ch in "\r\n") or addr != address:
        raise MailError(f"{address!r} is not a valid email address.", permanent=True)
    return address


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, html) of `templates/mail/<template>.txt` and `.html` with `context`."""
    if not _TEMPLATE_NAME.match(template or ""):
        raise MailError(f"Unknown email template {template!r}.")
    try:
        return (render_template(f"mail/{template}.txt", **context),
                render_template(f"mail/{template}.html", **context))
    except TemplateNotFound as exc:
        raise MailError(f"Unknown email template {template!r}.") from exc


def send_email(*, organisation_id: int, to: str, subject: str, template: str, context: dict[str, Any],
               idempotency_key: str | None = None, category: str = "candidate",
               withhold: tuple[str, ...] = ()) -> MailMessage:
    """Render the template pair with `context` and deliver it now.

    With `MAIL_SERVER` configured the message goes out by SMTP (status `sent`, or `failed` and MailError
    raised); otherwise it is stored for the Outbox page (status `stored`). A second call with the same
    `idempotency_key` returns the first message and sends nothing, unless that first attempt failed,
    in which case delivery is tried again on the same row.

    `withhold` are secrets (a set-password link) that go only to the recipient: the stored copy has
    them replaced. Such a message cannot be stored for the Outbox: without a mail server it is
    recorded as `not_sent` and MailError is raised.
    """
    to, subject = parse_address(to), " ".join((subject or "").split())[:300]
    existing = by_key(idempotency_key) if idempotency_key else None
    if existing is not None and existing.status not in ("failed", "queued"):
        return existing
    if existing is not None:
        if not current_app.config.get("MAIL_SERVER"):
            existing.transport, existing.status, existing.error = "outbox", "stored", None
            db.session.flush()
            return existing
        return deliver(existing)
    text_body, html_body = render(template, {**context, "organisation_id": organisation_id})
    message, created = _record(organisation_id, to, subject, text_body, html_body, idempotency_key, category,
                               withhold)
    if not created:
        return message
    if message.transport == "outbox":
        if withhold:
            message.status, message.error = "not_sent", NO_SERVER_FOR_ACCOUNT_MAIL
            db.session.flush()
            raise MailError(f"The email to {message.to} was not sent: {NO_SERVER_FOR_ACCOUNT_MAIL}")
        return message
    return deliver(message, text_body, html_body)


def queue_email(*, organisation_id: int, to: str, subject: str, template: str,
                context: dict[str, Any] | None = None, category: str = "candidate", builder: str | None = None,
                builder_args: dict | None = None, idempotency_key: str | None = None) -> MailMessage:
    """Record a message for the worker to send after this transaction commits (status `queued`).

    Either render `template` with `context` now, or name a `builder` (see `delivery.register_builder`)
    that supplies the context, and secrets to withhold, when the message is sent: account emails do
    that, so their link exists only in the email. Without a mail server a candidate email is stored
    for the Outbox at once, and an account email is recorded as `not_sent` with the reason.
    """
    to, subject = parse_address(to), " ".join((subject or "").split())[:300]
    existing = by_key(idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing
    text_body = html_body = ""
    if builder is None:
        text_body, html_body = render(template, {**(context or {}), "organisation_id": organisation_id})
    message, created = _record(organisation_id, to, subject, text_body, html_body, idempotency_key, category, ())
    if not created:
        return message
    message.template, message.builder, message.builder_args = template, builder, builder_args
    if message.transport == "outbox":
        if builder is not None:
            message.status, message.error = "not_sent", NO_SERVER_FOR_ACCOUNT_MAIL
    else:
        message.status, message.next_try_at = "queued", utcnow()
    db.session.flush()
    return message


def _record(organisation_id: int, to: str, subject: str, text_body: str, html_body: str,
            idempotency_key: str | None, category: str, withhold: tuple[str, ...]) -> tuple[MailMessage, bool]:
    """Insert the message row; (row, True), or (the winner's row, False) when a concurrent insert took the
    same idempotency key first."""
    message = MailMessage(
        organisation_id=organisation_id, to=to, subject=subject,
        text_body=withheld(text_body, withhold), html_body=withheld(html_body, withhold),
        transport="smtp" if current_app.config.get("MAIL_SERVER") else "outbox", status="stored",
        idempotency_key=idempotency_key or None, category=category, attempts=0)
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        existing = by_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return message, True


def withheld(body: str, secrets: tuple[str, ...]) -> str:
    """`body` with every secret replaced, for the stored copy."""
    for secret in secrets:
        if secret:
            body = body.replace(secret, WITHHELD)
    return body


def by_key(key: str) -> MailMessage | None:
    """The message recorded under an idempotency key, if any."""
    return db.session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))


def deliver(message: MailMessage, text_body: str | None = None, html_body: str | None = None) -> MailMessage:
    """Send one recorded message by SMTP now (with the full bodies when given: the stored copy may have
    secrets withheld) and record the outcome on it; MailError when the server did not take it."""
    message.transport = "smtp"
    message.attempts = (message.attempts or 0) + 1
    try:
        deliver_mime(message, current_app.config, text_body, html_body)
    except SmtpRefused as exc:
        message.status, message.error = "failed", exc.reason[:2000]
        db.session.flush()
        current_app.logger.warning("email %s to %s failed: %s", message.id, message.to, message.error)
        raise MailError(f"The email to {message.to} could not be sent ({message.error}).",
                        permanent=exc.permanent) from exc
    message.status, message.error, message.sent_at = "sent", None, utcnow()
    db.session.flush()
    return message
