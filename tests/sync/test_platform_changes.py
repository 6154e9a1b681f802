"""Changes made on the platform reach Lever and the history, against the sandbox over HTTP: cancel, reopen,
extend, extra time, expiry, finish at the time limit and reminders; the caps on totals; the time limit and
pass mark each attempt keeps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.assessments.models import Assessment
from dashboard.attempts import services as attempts
from dashboard.attempts.jobs import invitation_housekeeping
from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, SyncEvent
from dashboard.mail.models import MailMessage
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.sync import field, status_tags

OWNER = "owner@acme.example"  # the world's client is logged in as this demo user


def _history(attempt: Attempt) -> list[SyncEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(SyncEvent).where(SyncEvent.candidate_id == attempt.candidate_id)
                                   .order_by(SyncEvent.id)))


def _line(attempt: Attempt, pattern: str) -> SyncEvent:
    found = [e for e in _history(attempt) if re.search(pattern, e.summary)]
    assert len(found) == 1, (pattern, [e.summary for e in _history(attempt)])
    return found[0]


def _assessment_id() -> int:
    return db.session.scalar(select(Assessment.id).where(Assessment.name == "Data Analyst Assessment"))


def _post(world, path: str, data: dict) -> str:
    """Post a staff form and return the text of the page it leads back to (with the flashed outcome)."""
    resp = world.client.post(path, data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return world.client.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def invited(world):
    """An applicant to the Data Analyst job, invited, with Alooba - Invited in Lever."""
    opp = world.apply("Data Analyst", "Pat Platform", "pat@example.com")
    world.step(1)
    attempt = attempt_for("pat@example.com")
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}
    return world, opp["id"], attempt


def test_cancel_here_removes_the_status_tag_in_lever_and_says_why(invited):
    world, opp_id, attempt = invited
    deliveries = world.inbox_count()
    page = _post(world, f"/people/attempts/{attempt.id}/cancel", {"reason": "Role filled"})
    assert "Invitation cancelled." in page
    world.drain()
    assert status_tags(world.opportunity(opp_id)) == set()
    assert world.inbox_count() == deliveries  # nothing happened in Lever: no webhook, no reconciliation
    line = _line(attempt, "cancelled by")
    assert line.summary == ("The invitation to “Data Analyst Assessment” was cancelled by owner@acme.example: "
                            "Role filled. Its link no longer works and its status tag is removed.")
    assert line.kind == "change" and "user" in line.detail
    assert any(e.summary == "Lever: status tags removed." for e in _history(attempt))


def test_expiry_tags_expired_then_reopening_brings_invited_back(invited):
    world, opp_id, attempt = invited
    attempt.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert invitation_housekeeping()["expired"] == 1
    world.drain()
    assert status_tags(world.opportunity(opp_id)) == {"Alooba - Expired"}
    assert "marked by the scheduler" in _line(attempt, "expired at").summary

    page = _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "2"})
    assert "Deadline extended by 2 days" in page
    world.drain()
    db.session.expire_all()
    assert attempt.status == "invited" and as_utc(attempt.deadline) > utcnow() + timedelta(days=1, hours=23)
    assert status_tags(world.opportunity(opp_id)) == {"Alooba - Invited"}
    assert re.search(r"reopened by owner@acme\.example for 2 days: new deadline \d\d \w{3} \d{4}",
                     _line(attempt, "reopened").summary)


def test_extend_and_extra_time_are_in_the_history_with_who_and_how_much(invited):
    world, _, attempt = invited
    before = as_utc(attempt.deadline)
    page = _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "1"})
    assert "Deadline extended by 1 day:" in page  # singular
    db.session.expire_all()
    assert as_utc(attempt.deadline) == before + timedelta(days=1)
    assert "Deadline of “Data Analyst Assessment” extended by 1 day by owner@acme.example" in \
        _line(attempt, "extended by").summary
    page = _post(world, f"/people/attempts/{attempt.id}/extra-time", {"minutes": "15", "notify": "y"})
    assert "15 extra minutes given: the time limit is now 60 minutes. The candidate is told by email." in page
    line = _line(attempt, "extra minutes given")
    assert line.summary == ("15 extra minutes given on “Data Analyst Assessment” by owner@acme.example: time limit "
                            "now 60 minutes (15 extra in total); the candidate was told by email.")
    told = db.session.scalar(select(MailMessage).where(MailMessage.subject == "More time: Data Analyst Assessment"))
    assert told is not None and told.to == "pat@example.com" and "New time limit: 60 minutes" in told.text_body


def test_telling_the_candidate_about_an_extension_sends_the_new_deadline(invited):
    world, _, attempt = invited
    _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "3", "notify": "y"})
    db.session.expire_all()
    told = db.session.scalar(select(MailMessage).where(MailMessage.subject == "New deadline: Data Analyst Assessment"))
    assert told is not None and told.to == "pat@example.com"
    assert as_utc(attempt.deadline).strftime("%d %b %Y") in told.text_body
    _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "1"})  # not ticked: no email
    assert db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.subject.like("New deadline%"))) == 1


def test_finish_at_the_time_limit_is_in_the_history_and_reaches_lever(invited):
    world, opp_id, attempt = invited
    take(attempt, correct=4)
    attempt.started_at = utcnow() - timedelta(minutes=46)  # the Data Analyst Assessment has 45 minutes
    db.session.commit()
    assert invitation_housekeeping()["finished"] == 1
    world.drain()
    assert status_tags(world.opportunity(opp_id)) == {"Alooba - Completed"}
    assert _line(attempt, "started by").summary == ("“Data Analyst Assessment” started by the candidate: "
                                                    "45 minutes to finish.")
    assert _line(attempt, "time limit").summary == (
        "“Data Analyst Assessment” finished at its time limit of 45 minutes (by the scheduler): parts not "
        "submitted count as blank.")


def test_an_extension_re_arms_the_reminder_which_quotes_the_new_deadline(invited):
    world, _, attempt = invited
    attempt.valid_from = utcnow() - timedelta(days=6)
    attempt.deadline = utcnow() + timedelta(hours=20)
    db.session.commit()
    first_deadline = as_utc(attempt.deadline)
    assert invitation_housekeeping()["reminders"] == 1
    assert invitation_housekeeping()["reminders"] == 0  # one per deadline
    _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "2"})
    db.session.expire_all()
    new_deadline = as_utc(attempt.deadline)
    assert new_deadline == first_deadline + timedelta(days=2)
    assert invitation_housekeeping()["reminders"] == 0  # the new deadline is more than a day away
    assert invitation_housekeeping(new_deadline - timedelta(hours=23))["reminders"] == 1
    reminders = db.session.scalars(select(MailMessage).where(MailMessage.subject.like("Reminder:%"))
                                   .order_by(MailMessage.id)).all()
    assert len(reminders) == 2
    assert new_deadline.strftime("%d %b %Y %H:%M") in reminders[1].text_body
    lines = [e for e in _history(attempt) if e.summary.startswith("Reminder for")]
    assert len(lines) == 2 and all("queued by the scheduler to pat@example.com" in e.summary for e in lines)


def test_a_one_day_invitation_gets_no_immediate_reminder(world):
    world.app.config["REMINDER_HOURS"] = 24
    _post(world, f"/assessments/{_assessment_id()}/edit", {"name": "Data Analyst Assessment", "passing_score": "60",
                                         "time_limit_minutes": "45", "invitation_valid_days": "1"})
    world.apply("Data Analyst", "Day One", "dayone@example.com")
    world.step(1)
    attempt = attempt_for("dayone@example.com")
    invited_at = as_utc(attempt.invited_at)
    assert as_utc(attempt.deadline) == invited_at + timedelta(days=1)
    assert invitation_housekeeping()["reminders"] == 0
    assert invitation_housekeeping(invited_at + timedelta(hours=11, minutes=59))["reminders"] == 0
    assert invitation_housekeeping(invited_at + timedelta(hours=12))["reminders"] == 1


def test_totals_beyond_the_caps_are_refused_with_a_clear_message_and_change_nothing(invited):
    world, _, attempt = invited
    deadline, effects = as_utc(attempt.deadline), db.session.scalar(select(func.count(Effect.id)))
    lines = len(_history(attempt))
    page = _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "40"})
    assert re.search(r"An invitation stays open at most 30 days in total: this one can be extended by 23 days at "
                     r"most \(until \d\d \w{3} \d{4} \d\d:\d\d", page)
    _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "23"})
    page = _post(world, f"/people/attempts/{attempt.id}/extend", {"days": "1"})
    assert "An invitation stays open at most 30 days in total, and this one already does" in page
    db.session.expire_all()
    assert as_utc(attempt.deadline) == deadline + timedelta(days=23)

    _post(world, f"/people/attempts/{attempt.id}/extra-time", {"minutes": "120"})
    page = _post(world, f"/people/attempts/{attempt.id}/extra-time", {"minutes": "61"})
    assert ("An attempt can get at most 180 minutes of extra time in total; this one has 120 minutes already, "
            "so at most 60 minutes more.") in page
    db.session.expire_all()
    assert attempt.extra_minutes == 120
    assert len(_history(attempt)) == lines + 2  # the two changes that went through, nothing for the refusals
    assert db.session.scalar(select(func.count(Effect.id))) == effects
    page = world.client.get(f"/lever/candidates/{attempt.candidate_id}").get_data(as_text=True)
    assert "60 minutes left." in page and "no more days can be added." in page


def test_a_candidate_mid_test_keeps_the_time_limit_and_pass_mark_they_started_with(invited):
    from dashboard.accounts.services import find_user_by_email

    world, opp_id, attempt = invited
    take(attempt, correct=3)
    started = as_utc(attempt.started_at)
    _post(world, f"/assessments/{_assessment_id()}/edit", {"name": "Data Analyst Assessment", "passing_score": "90",
                                         "time_limit_minutes": "10", "invitation_valid_days": "7"})
    db.session.expire_all()
    assert attempt.assessment.time_limit_minutes == 10
    assert attempts.time_ends_at(attempt) == started + timedelta(minutes=45)
    assert invitation_housekeeping(started + timedelta(minutes=20))["finished"] == 0
    page = world.client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert f'data-countdown-to="{(started + timedelta(minutes=45)).isoformat(timespec="milliseconds")}"' in page
    # Scored against the pass mark of 60 it started with: (75 + 100) / 2 = 87.5 is a strong hire (≥ 80),
    # where the edited 90 would make it a no hire.
    finish_and_evaluate(attempt, 10, find_user_by_email("admin@acme.example").id)
    world.drain()
    profile = world.client.get(f"/lever/candidates/{attempt.candidate_id}").get_data(as_text=True)
    assert "4 - Strong Hire" in profile and "passing score 60%" in profile
    [form] = world.feedback(opp_id)
    assert (field(form, "Rating"), field(form, "Pass mark")) == ("4 - Strong Hire", "60%")
    # A new invitation gets the edited settings.
    world.apply("Data Analyst", "Late Comer", "late@example.com")
    world.step(2)
    later = attempt_for("late@example.com")
    assert (later.time_limit_minutes, later.passing_score) == (10, 90)
    show = world.client.get(f"/assessments/{_assessment_id()}").get_data(as_text=True)
    assert "changes here apply to new invitations only" in show


def test_an_invitation_sent_by_a_person_is_in_the_history(world):
    page = _post(world, f"/people/invite/{_assessment_id()}", {"email": "manual@example.com", "name": "Manu Al"})
    assert "manual@example.com is invited" in page
    attempt = attempt_for("manual@example.com")
    assert _line(attempt, "Invited to").summary == "Invited to “Data Analyst Assessment” by owner@acme.example."


def test_a_resend_is_in_the_history_as_queued_not_as_sent(invited):
    world, _, attempt = invited
    page = _post(world, f"/people/attempts/{attempt.id}/resend", {})
    assert "queued" in page
    assert _line(attempt, "again on request").summary == (
        "Invitation email queued again on request by owner@acme.example.")


def test_archiving_in_lever_cancels_through_the_same_path_and_says_so(invited):
    world, opp_id, attempt = invited
    world.act(opp_id, "archive", reason="Withdrew")
    world.step(2)
    db.session.expire_all()
    assert attempt.status == "cancelled"
    assert _line(attempt, "cancelled by").summary == (
        "The invitation to “Data Analyst Assessment” was cancelled by Lever: archived in Lever. Its link no longer "
        "works and its status tag is removed.")
    assert status_tags(world.opportunity(opp_id)) == set()
