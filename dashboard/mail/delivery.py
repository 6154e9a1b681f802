"""The mail queue: the worker sends queued messages after the commit that queued them.

One bounded pass claims due rows with a compare-and-set (any number of workers may share the
queue), renders what a registered builder supplies (account emails: their link is made now and
never stored), sends, and records the outcome: a 5xx refusal is final at once; a temporary failure
is tried again with exponential back-off up to MAX_ATTEMPTS. A row a dead worker left in `sending`
goes back to the queue after EFFECT_CLAIM_TIMEOUT (it may then be sent twice: the price of never
losing a queued email).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update

from dashboard.core.clock import utcnow
from dashboard.core.retry import claim_timeout, retry_delay
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from dashboard.mail.services import MailError, deliver, render, withheld

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class Built(NamedTuple):
    """What a builder supplies when its message is sent: the template context and the secrets in it."""

    context: dict
    withhold: tuple[str, ...] = ()


BUILDERS: dict[str, Callable[[MailMessage], Built]] = {}


def register_builder(name: str, build: Callable[[MailMessage], Built]) -> None:
    """Let messages queued with `builder=name` be rendered by `build(message)` when sent."""
    BUILDERS[name] = build


def _claim(message_id: int, now: datetime) -> bool:
    claimed = db.session.execute(update(MailMessage).where(
        MailMessage.id == message_id, MailMessage.status == "queued").values(status="sending", next_try_at=now))
    return claimed.rowcount == 1


def release_stale(now: datetime | None = None) -> int:
    """Messages left `sending` by a worker that died go back to the queue."""
    now = now or utcnow()
    cutoff = now - claim_timeout()
    result = db.session.execute(update(MailMessage).where(
        MailMessage.status == "sending", MailMessage.next_try_at < cutoff).values(status="queued", next_try_at=now))
    return result.rowcount or 0


def send_one(message: MailMessage) -> None:
    """Render (through its builder, if any) and send one claimed message; record the outcome."""
    text = html = None
    try:
        if message.builder:
            build = BUILDERS.get(message.builder)
            if build is None:
                raise MailError(f"no builder named {message.builder!r}", permanent=True)
            built = build(message)
            text, html = render(message.template, {**built.context, "organisation_id": message.organisation_id})
            message.text_body, message.html_body = withheld(text, built.withhold), withheld(html, built.withhold)
        deliver(message, text, html)
    except MailError as exc:
        if message.status == "sending":  # refused before reaching the server (deliver() records its own)
            message.error = str(exc)[:2000]
        if exc.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.status, message.next_try_at = "queued", utcnow() + retry_delay(message.attempts)
        log.info("queued email %s: %s", message.id, message.error)


def deliver_queued(limit: int = 20, now: datetime | None = None) -> int:
    """One pass over the due queued messages (committing per message); returns how many were tried."""
    now = now or utcnow()
    release_stale(now)
    db.session.commit()
    query = (select(MailMessage.id).where(MailMessage.status == "queued", MailMessage.next_try_at <= now)
             .order_by(MailMessage.next_try_at, MailMessage.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    tried = 0
    for message_id in ids:
        if not _claim(message_id, now):
            db.session.rollback()
            continue
        db.session.commit()  # claimed before anything goes out
        send_one(db.session.get(MailMessage, message_id))
        db.session.commit()
        tried += 1
    db.session.commit()
    return tried
