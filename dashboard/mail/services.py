"""The one mail service: render a template pair, then send by SMTP or store for the Outbox.

`send_email` flushes and never commits; the caller commits (including a recorded failure,
when it catches `MailError` and wants the failure kept).
"""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.extensions import db
from dashboard.mail.models import WITHHELD, MailMessage
from dashboard.models_base import utcnow

SMTP_TIMEOUT_SECONDS = 10
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+$")


class MailError(ValueError):
    """Sending failed (or the message cannot be sent); the reason is user-facing."""


NO_SERVER_FOR_ACCOUNT_MAIL = (
    "No mail server is configured (MAIL_SERVER), and account emails are never stored with their link, "
    "so this one could not reach the person. Configure a mail server, or run "
    "`flask users set-password-link <email>` on the server.")


def send_email(*, organisation_id: int, to: str, subject: str, template: str, context: dict[str, Any],
               idempotency_key: str | None = None, category: str = "candidate",
               withhold: tuple[str, ...] = ()) -> MailMessage:
    """Render `templates/mail/<template>.txt` and `.html` with `context`, then deliver.

    With `MAIL_SERVER` configured the message goes out by SMTP now (status `sent`, or `failed`
    and `MailError` raised); otherwise it is stored for the Outbox page (status `stored`).
    A second call with the same `idempotency_key` returns the first message and sends nothing,
    unless that first attempt failed, in which case delivery is tried again on the same row.

    `withhold` are secrets (a set-password link) that go only to the recipient: the stored copy has
    them replaced. Such a message cannot be stored for the Outbox: without a mail server it is
    recorded as `not_sent` and MailError is raised.
    """
    to = _clean_address(to)
    subject = " ".join((subject or "").split())[:300]
    if idempotency_key:
        existing = _by_key(idempotency_key)
        if existing is not None and existing.status != "failed":
            return existing
        if existing is not None and not current_app.config.get("MAIL_SERVER"):
            existing.transport, existing.status, existing.error = "outbox", "stored", None
            db.session.flush()
            return existing
        if existing is not None:
            return _deliver(existing)
    if not _TEMPLATE_NAME.match(template or ""):
        raise MailError(f"Unknown email template {template!r}.")
    # Every email template knows its organisation (for its timezone, say).
    context = {"organisation_id": organisation_id, **context}
    try:
        text_body = render_template(f"mail/{template}.txt", **context)
        html_body = render_template(f"mail/{template}.html", **context)
    except TemplateNotFound as exc:
        raise MailError(f"Unknown email template {template!r}.") from exc
    message = MailMessage(
        organisation_id=organisation_id,
        to=to,
        subject=subject,
        text_body=_withheld(text_body, withhold),
        html_body=_withheld(html_body, withhold),
        transport="smtp" if current_app.config.get("MAIL_SERVER") else "outbox",
        status="stored",
        idempotency_key=idempotency_key or None,
        category=category,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        # Another request recorded the same key between our look-up and our insert.
        existing = _by_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing
    if message.transport == "outbox":
        if withhold:
            message.status, message.error = "not_sent", NO_SERVER_FOR_ACCOUNT_MAIL
            db.session.flush()
            raise MailError(f"The email to {message.to} was not sent: {NO_SERVER_FOR_ACCOUNT_MAIL}")
        return message
    return _deliver(message, text_body, html_body)


def _withheld(body: str, secrets: tuple[str, ...]) -> str:
    """`body` with every secret replaced, for the stored copy."""
    for secret in secrets:
        if secret:
            body = body.replace(secret, WITHHELD)
    return body


def _by_key(key: str) -> MailMessage | None:
    return db.session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))


def _clean_address(address: str) -> str:
    address = (address or "").strip()
    _name, addr = parseaddr(address)
    if not addr or "@" not in addr or any(ch in address for ch in "\r\n") or addr != address:
        raise MailError(f"{address!r} is not a valid email address.")
    return address


def _deliver(message: MailMessage, text_body: str | None = None, html_body: str | None = None) -> MailMessage:
    """Send one recorded message by SMTP (with the full bodies when given: the stored copy may have
    secrets withheld) and record the outcome on it."""
    config = current_app.config
    message.transport = "smtp"
    try:
        sender = config.get("MAIL_DEFAULT_SENDER") or "assessments@localhost"
        _smtp_send(build_mime(message, sender, text_body, html_body), config)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        message.status = "failed"
        message.error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.flush()
        current_app.logger.warning("email %s to %s failed: %s", message.id, message.to, message.error)
        raise MailError(f"The email to {message.to} could not be sent ({message.error}).") from exc
    message.status = "sent"
    message.error = None
    message.sent_at = utcnow()
    db.session.flush()
    return message


def build_mime(message: MailMessage, sender: str, text_body: str | None = None,
               html_body: str | None = None) -> EmailMessage:
    """A multipart/alternative email (plain text first, then HTML) for one recorded message."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mime.set_content((message.text_body if text_body is None else text_body) or "")
    mime.add_alternative((message.html_body if html_body is None else html_body) or "", subtype="html")
    return mime


def _smtp_send(mime: EmailMessage, config) -> None:
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(mime)
