"""The candidate's emails give the deadline in the organisation's timezone, formatted as the candidate's
pages format it, and say which zone that is."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dashboard.assessments import services as assessments
from dashboard.attempts import services as attempts
from dashboard.attempts.jobs import send_reminders
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.mail.models import MailMessage


def _invited(org, invited_at):
    org.timezone = "Asia/Tokyo"  # no daylight saving: the abbreviation is always JST
    a = assessments.create_assessment(org.id, name="Data Analyst Assessment", passing_score=60,
                                      time_limit_minutes=45, invitation_valid_days=1)
    part = assessments.add_part(a.id, name="Basics", weight=1, grading="auto")
    assessments.add_question(part.id, kind="multiple_choice", prompt="Q", choices=["a", "b"], correct_choice=0)
    assessments.publish_assessment(a.id)
    candidate = attempts.find_or_create_candidate(org.id, "ada@example.com", "Ada")
    attempt = attempts.create_attempt(org.id, candidate.id, a.id, now=invited_at)
    db.session.commit()
    return attempt


def _start_by(attempt) -> str:
    local = as_utc(attempt.deadline).astimezone(ZoneInfo("Asia/Tokyo"))
    return f"Start by: {local.strftime('%d %b %Y %H:%M')} JST (Asia/Tokyo time)"


def test_invitation_shows_the_deadline_in_the_organisation_timezone(make_org):
    attempt = _invited(make_org(), utcnow())
    message = attempts.send_invitation(attempt.id)
    db.session.commit()
    for body in (message.text_body, message.html_body):
        assert _start_by(attempt) in body
        assert "UTC" not in body


def test_reminder_shows_the_deadline_in_the_organisation_timezone(make_org):
    attempt = _invited(make_org(), utcnow() - timedelta(hours=2))  # expires within the reminder window
    assert send_reminders() == (1, 0)
    message = db.session.scalar(select(MailMessage).where(MailMessage.subject.like("Reminder:%")))
    for body in (message.text_body, message.html_body):
        assert _start_by(attempt) in body
        assert "UTC" not in body
