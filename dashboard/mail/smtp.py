"""SMTP delivery of one recorded message, and what the server's answer means.

A refusal is permanent when the server answered 5xx (the address or the message is refused for
good: trying again cannot help); a 4xx answer, a timeout or a refused connection is temporary.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SMTP_TIMEOUT_SECONDS = 10


class SmtpRefused(Exception):
    """The message did not reach the mail server; `reason` quotes the server, `permanent` is a 5xx."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def build_mime(message, sender: str, text_body: str | None = None, html_body: str | None = None) -> EmailMessage:
    """A multipart/alternative email (plain text first, then HTML) for one recorded message; the full
    bodies, when given, replace the stored ones (which may have secrets withheld)."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mime.set_content((message.text_body if text_body is None else text_body) or "")
    mime.add_alternative((message.html_body if html_body is None else html_body) or "", subtype="html")
    return mime


def _code(exc: smtplib.SMTPException) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return min(code for code, _ in exc.recipients.values())
    return None


def deliver_mime(message, config, text_body: str | None = None, html_body: str | None = None) -> None:
    """Hand one message to the configured SMTP server; SmtpRefused when it did not take it."""
    sender = config.get("MAIL_DEFAULT_SENDER") or "assessments@localhost"
    mime = build_mime(message, sender, text_body, html_body)
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(mime)
    except smtplib.SMTPException as exc:
        code = _code(exc)
        raise SmtpRefused(f"{type(exc).__name__}: {exc}", permanent=code is not None and code >= 500) from exc
    except (OSError, ValueError) as exc:
        raise SmtpRefused(f"{type(exc).__name__}: {exc}", permanent=False) from exc
