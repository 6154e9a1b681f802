"""The attempts' periodic job: invitation expiry, overdue attempts and reminders."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from dashboard.attempts import events
from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.jobs.registry import JobSpec
from dashboard.mail.services import MailError, send_email

log = logging.getLogger(__name__)


def invitation_housekeeping(now=None) -> dict:
    """Expire invitations past their deadline (subscribers follow, e.g. the Lever status tag), finish
    overdue attempts, and send one reminder REMINDER_HOURS before expiry."""
    now = now or utcnow()
    expired = attempts.expire_due_attempts(now)
    db.session.commit()
    finished = attempts.finish_overdue_attempts(now)
    db.session.commit()
    sent, failed = send_reminders(now)
    return {"expired": len(expired), "finished": len(finished), "reminders": sent, "reminder_failures": failed}


def send_reminders(now=None) -> tuple[int, int]:
    """One reminder per unstarted invitation expiring within REMINDER_HOURS (24); (sent, failed)."""
    now = now or utcnow()
    horizon = now + timedelta(hours=int(current_app.config.get("REMINDER_HOURS", 24)))
    candidates = db.session.scalars(select(Attempt).where(
        Attempt.status == "invited", Attempt.reminder_sent_at.is_(None))).all()
    due = [a.id for a in candidates if now < as_utc(a.deadline) <= horizon]
    sent = failed = 0
    for attempt_id in due:
        attempt = db.session.get(Attempt, attempt_id)
        if events.reminder_held(attempt.id):
            continue
        try:
            send_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                       subject=f"Reminder: {attempt.assessment.name} closes soon", template="reminder",
                       context=attempts.invitation_context(attempt), idempotency_key=f"reminder:{attempt.id}")
        except MailError as exc:
            db.session.commit()  # keep the failed message row; retried next run with the same key
            log.warning("reminder for attempt %s failed: %s", attempt.id, exc)
            failed += 1
            continue
        attempt.reminder_sent_at = now
        db.session.commit()
        sent += 1
    return sent, failed


JOBS = (JobSpec("invitations", "Invitation expiry and reminders", lambda counter: invitation_housekeeping(),
                "SCHEDULE_INVITATIONS_SECONDS", 3600),)
