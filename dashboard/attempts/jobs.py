"""The attempts' periodic job: invitation expiry, overdue attempts and reminders.

It runs every minute (`SCHEDULE_INVITATIONS_SECONDS`, 60) so that an expired invitation shows as such, on
the dashboard and in the ATS, within a minute of its deadline. Each step reads only what is due through
the (status, deadline) index, so a run with nothing due costs three small index reads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from dashboard.attempts import events, policy
from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.jobs.registry import JobSpec
from dashboard.mail.services import MailError

log = logging.getLogger(__name__)


def invitation_housekeeping(now: datetime | None = None) -> dict:
    """Expire invitations past their deadline (subscribers follow, e.g. the ATS status tag), finish
    overdue attempts, and queue the reminders that are due."""
    now = now or utcnow()
    expired = attempts.expire_due_attempts(now)
    db.session.commit()
    finished = attempts.finish_overdue_attempts(now)
    db.session.commit()
    sent, failed = send_reminders(now)
    return {"expired": len(expired), "finished": len(finished), "reminders": sent, "reminder_failures": failed}


def reminders_due(now: datetime) -> list[Attempt]:
    """Open invitations whose reminder for the current deadline is due (policy.reminder_due_at) and not
    sent: those closing within REMINDER_HOURS, read by (status, deadline), then the half-window rule."""
    hours = policy.reminder_hours()
    closing = db.session.scalars(select(Attempt).where(
        Attempt.status == "invited", Attempt.deadline > now, Attempt.deadline <= now + timedelta(hours=hours),
        Attempt.reminder_sent_at.is_(None)).order_by(Attempt.deadline)).all()
    return [a for a in closing if policy.reminder_due_at(a, hours) <= now]


def send_reminders(now: datetime | None = None) -> tuple[int, int]:
    """Queue one reminder per deadline for each invitation that is due (sent by the worker after the
    commit, quoting the current deadline); emits reminder_sent. Returns (queued, failed)."""
    now = now or utcnow()
    queued = failed = 0
    for attempt in reminders_due(now):
        if events.reminder_held(attempt.id):
            continue
        try:
            attempts.queue_reminder(attempt)
        except MailError as exc:  # an address the mail service refuses: nothing will change it
            db.session.rollback()
            log.warning("reminder for attempt %s not queued: %s", attempt.id, exc)
            failed += 1
            continue
        attempt.reminder_sent_at = now
        events.reminder_sent.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                  actor=events.SCHEDULER, deadline=as_utc(attempt.deadline))
        db.session.commit()
        queued += 1
    return queued, failed


JOBS = (JobSpec("invitations", "Invitation expiry and reminders", lambda counter: invitation_housekeeping(),
                "SCHEDULE_INVITATIONS_SECONDS", 60, misfire_grace_seconds=60),)
