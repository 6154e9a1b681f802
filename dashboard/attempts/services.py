"""Candidates and attempts: invite, start, answer, finish, and the staff actions on them.

Every function takes explicit arguments, flushes and never commits: the caller commits once.
Events are sent right after the change is flushed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from dashboard.accounts.models import Organisation, User
from dashboard.accounts.services import organisation_timezone
from dashboard.assessments.models import Assessment
from dashboard.assessments.rating import rating_for
from dashboard.attempts import events, policy
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Answer, Attempt, Candidate, PartScore
from dashboard.attempts.scoring import evaluate_answers, recompute_final, score_submitted_part
from dashboard.core.boundary import DomainError
from dashboard.core.clock import as_utc, utcnow
from dashboard.core.templating import format_datetime, plural
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from dashboard.mail.services import queue_email, send_email


class AttemptError(DomainError):
    """A user-facing reason an attempt or candidate change was refused."""


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def find_or_create_candidate(organisation_id: int, email: str, name: str) -> Candidate:
    """The organisation's candidate with this email (lower-cased), created when missing.

    An existing candidate without a name takes the given one.
    """
    email = (email or "").strip().lower()
    name = (name or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise AttemptError("A valid candidate email address is required.")
    candidate = db.session.scalar(
        select(Candidate).where(Candidate.organisation_id == organisation_id, Candidate.email == email)
    )
    if candidate is None:
        candidate = Candidate(organisation_id=organisation_id, email=email, name=name[:200])
        db.session.add(candidate)
        db.session.flush()
    elif name and not candidate.name:
        candidate.name = name[:200]
        db.session.flush()
    return candidate


def get_attempt(attempt_id: int) -> Attempt:
    """The attempt with this id, or AttemptError."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise AttemptError("There is no such attempt.")
    return attempt


def create_attempt(organisation_id: int, candidate_id: int, assessment_id: int, *,
                   actor: Actor | None = None, now: datetime | None = None, source: str = "direct") -> Attempt:
    """Invite a candidate to a published assessment of the same organisation; emits attempt_invited
    (`actor` None: the caller records the decision itself, as the ATS rules do with their trigger).

    The assessment's time limit and passing score are copied onto the attempt: later edits of the
    assessment apply to new attempts only. `source`: "lever" when the ATS rules invite, "direct" otherwise."""
    now = now or utcnow()
    assessment = db.session.get(Assessment, assessment_id)
    candidate = db.session.get(Candidate, candidate_id)
    if assessment is None or assessment.organisation_id != organisation_id:
        raise AttemptError("There is no such assessment.")
    if candidate is None or candidate.organisation_id != organisation_id:
        raise AttemptError("There is no such candidate.")
    if assessment.status != "published":
        raise AttemptError(f"“{assessment.name}” is not published; publish it before inviting candidates.")
    attempt = Attempt(
        organisation_id=organisation_id, candidate_id=candidate.id, assessment_id=assessment.id,
        token=secrets.token_urlsafe(32), status="invited", invited_at=now, valid_from=now,
        deadline=now + timedelta(days=assessment.invitation_valid_days), extra_minutes=0,
        time_limit_minutes=assessment.time_limit_minutes, passing_score=assessment.passing_score,
        evaluation_state="pending", source=source,
    )
    db.session.add(attempt)
    for part in assessment.parts:
        attempt.part_scores.append(PartScore(part_id=part.id, state="pending"))
    db.session.flush()
    events.attempt_invited.send(None, attempt_id=attempt.id, organisation_id=organisation_id, actor=actor)
    return attempt


# Attempts that a new invitation to the same assessment would sit beside: live, or holding a result.
HELD_STATUSES = ("invited", "in_progress", "completed")


def find_candidate(organisation_id: int, email: str) -> Candidate | None:
    """The organisation's candidate with this email (compared lower-cased), if any."""
    email = (email or "").strip().lower()
    return db.session.scalar(
        select(Candidate).where(Candidate.organisation_id == organisation_id, Candidate.email == email))


def held_attempts(organisation_id: int, assessment_id: int, email: str) -> list[Attempt]:
    """The attempts at this assessment of the candidate with this email that are live (invited, in
    progress) or hold a result, newest first: a manual invitation asks before adding another."""
    candidate = find_candidate(organisation_id, email)
    if candidate is None:
        return []
    return list(db.session.scalars(select(Attempt).where(
        Attempt.organisation_id == organisation_id, Attempt.candidate_id == candidate.id,
        Attempt.assessment_id == assessment_id, Attempt.status.in_(HELD_STATUSES),
    ).order_by(Attempt.invited_at.desc(), Attempt.id.desc())))


def invite_candidate(organisation_id: int, assessment_id: int, email: str, name: str, *, actor: Actor,
                     new_attempt: bool = False) -> Attempt:
    """Invite someone by email to a published assessment: the candidate (found or created), a new
    attempt, and the invitation email queued for after the commit.

    The name typed is the candidate's name from now on. A candidate who already has a live attempt or
    a result at this assessment gets a second attempt only when `new_attempt` says the person chose it."""
    if not new_attempt and held_attempts(organisation_id, assessment_id, email):
        raise AttemptError("This candidate already has an attempt at this assessment: confirm that a new "
                           "attempt should be created.")
    candidate = find_or_create_candidate(organisation_id, email, name)
    name = (name or "").strip()[:200]
    if name and candidate.name != name:
        candidate.name = name
        db.session.flush()
    created = create_attempt(organisation_id, candidate.id, assessment_id, actor=actor)
    created.invited_by_id = actor.user_id
    queue_invitation(created.id, actor=actor)
    return created


def cancel_attempt(attempt_id: int, reason: str, *, actor: Actor) -> Attempt:
    """Cancel an invitation that has not been started; emits attempt_cancelled."""
    attempt = get_attempt(attempt_id)
    if attempt.status not in ("invited", "expired"):
        raise AttemptError("Only an invitation that has not been started can be cancelled.")
    was = attempt.status
    attempt.status = "cancelled"
    attempt.cancelled_reason = (reason or "").strip()[:500] or f"Cancelled by {actor.label}"
    db.session.flush()
    events.attempt_cancelled.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                  actor=actor, reason=attempt.cancelled_reason, was=was)
    return attempt


def expire_attempt(attempt_id: int) -> Attempt:
    """Mark an unstarted invitation as expired (the scheduler's doing; already expired: unchanged).
    Emits attempt_expired."""
    attempt = get_attempt(attempt_id)
    if attempt.status == "expired":
        return attempt
    if attempt.status != "invited":
        raise AttemptError("Only an invitation that has not been started can expire.")
    attempt.status = "expired"
    db.session.flush()
    events.attempt_expired.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                actor=events.SCHEDULER, deadline=as_utc(attempt.deadline))
    return attempt


def expire_due_attempts(now: datetime | None = None) -> list[int]:
    """Expire every unstarted invitation whose deadline has passed; returns their ids. One indexed
    range read (status, deadline): cheap when nothing is due."""
    now = now or utcnow()
    due = db.session.scalars(select(Attempt.id).where(
        Attempt.status == "invited", Attempt.deadline <= now).order_by(Attempt.deadline)).all()
    for attempt_id in due:
        expire_attempt(attempt_id)
    return list(due)


def extend_deadline(attempt_id: int, days: int, *, actor: Actor, notify: bool = False,
                    now: datetime | None = None) -> Attempt:
    """Give an unstarted invitation `days` more, within the validity cap (policy.py). An expired one
    (or one whose deadline just passed) is reopened: `days` from now, in a new validity window. The
    reminder is re-armed for the new deadline; `notify` emails the candidate the new deadline.
    Emits deadline_extended."""
    now = now or utcnow()
    attempt = get_attempt(attempt_id)
    if attempt.status not in ("invited", "expired"):
        raise AttemptError("Only an invitation that has not been started can get a later deadline.")
    days = int(days)
    if days < 1:
        raise AttemptError("Extend by at least 1 day.")
    room = policy.extension_room(attempt, now)
    if days > room:
        raise AttemptError(_extension_refusal(attempt, room, now))
    reopened = policy.reopens(attempt, now)
    if reopened:
        attempt.valid_from = now
    attempt.deadline = (now if reopened else as_utc(attempt.deadline)) + timedelta(days=days)
    attempt.status = "invited"
    attempt.reminder_sent_at = None  # one reminder per deadline: this one gets its own
    db.session.flush()
    if notify:
        queue_change_notice(attempt, "deadline")
    events.deadline_extended.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                  actor=actor, days=days, deadline=as_utc(attempt.deadline), reopened=reopened,
                                  notified=notify)
    return attempt


def _extension_refusal(attempt: Attempt, room: int, now: datetime) -> str:
    cap = plural(policy.max_deadline_days(), "day")
    if room == 0:
        return (f"An invitation stays open at most {cap} in total, and this one already does: "
                "it cannot be extended any further.")
    latest = format_datetime(policy.latest_deadline(attempt, now),
                             zone=organisation_timezone(attempt.organisation_id))
    return (f"An invitation stays open at most {cap} in total: this one can be extended by "
            f"{plural(room, 'day')} at most (until {latest}).")


def grant_extra_time(attempt_id: int, minutes: int, *, actor: Actor, notify: bool = False) -> Attempt:
    """Add minutes to the time limit of an attempt that is not finished, within the extra time cap
    (policy.py); `notify` emails the candidate the new time limit. Emits extra_time_granted."""
    attempt = get_attempt(attempt_id)
    if attempt.status not in ("invited", "in_progress"):
        raise AttemptError("Extra time can only be given before the attempt is finished.")
    minutes = int(minutes)
    if minutes < 1:
        raise AttemptError("Give at least 1 extra minute.")
    room = policy.extra_time_room(attempt)
    if minutes > room:
        cap = plural(policy.max_extra_minutes(), "minute")
        given = plural(attempt.extra_minutes or 0, "minute")
        raise AttemptError(f"An attempt can get at most {cap} of extra time in total; this one has {given} "
                           + (f"already, so at most {plural(room, 'minute')} more." if room else
                              "already: no more can be given."))
    attempt.extra_minutes = (attempt.extra_minutes or 0) + minutes
    db.session.flush()
    if notify:
        queue_change_notice(attempt, "time")
    events.extra_time_granted.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                   actor=actor, minutes=minutes, total_minutes=attempt.extra_minutes,
                                   time_limit=time_limit(attempt), notified=notify)
    return attempt


def time_limit(attempt: Attempt) -> int:
    """The attempt's time limit in minutes: fixed when it was created, plus any extra time."""
    return attempt.time_limit_minutes + (attempt.extra_minutes or 0)


def attempt_link(attempt: Attempt) -> str:
    """The candidate's absolute secret link to the attempt (works without a request, e.g. in jobs)."""
    return f"{_base_url()}/a/{attempt.token}"


def candidate_profile_link(candidate: Candidate) -> str:
    """The absolute staff URL of the candidate's page (works without a request, e.g. in jobs)."""
    return f"{_base_url()}/lever/candidates/{candidate.id}"


def invitation_context(attempt: Attempt) -> dict:
    """What the invitation and reminder emails show."""
    assessment = attempt.assessment
    return {
        "candidate_name": attempt.candidate.name or attempt.candidate.email,
        "assessment_name": assessment.name,
        "organisation_name": assessment_organisation_name(assessment),
        "link": attempt_link(attempt),
        "deadline": as_utc(attempt.deadline),
        "time_limit_minutes": time_limit(attempt),
        "started": attempt.status == "in_progress",
        "ends_at": time_ends_at(attempt),
    }


def send_invitation(attempt_id: int) -> MailMessage:
    """Render and send the attempt's invitation email now (background work: the Lever worker); once per
    attempt. Returns the MailMessage; MailError when the server did not take it."""
    attempt = get_attempt(attempt_id)
    if attempt.status != "invited":
        raise AttemptError("Only an open invitation can be sent.")
    return send_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                      subject=f"Your invitation: {attempt.assessment.name}", template="invitation",
                      context=invitation_context(attempt), idempotency_key=f"invitation:{attempt.id}")


def invitation_delivered(attempt_id: int) -> bool:
    """True once the attempt's invitation email was accepted by the mail server (or stored for the
    Outbox page, when no mail server is configured)."""
    message = db.session.scalar(select(MailMessage).where(MailMessage.idempotency_key == f"invitation:{attempt_id}"))
    if message is None:
        return False
    return message.status == "sent" or (message.status == "stored" and message.transport == "outbox")


def queue_invitation(attempt_id: int, *, actor: Actor, resend: bool = False) -> MailMessage:
    """Queue the invitation email (a fresh copy with `resend`) for the worker to send after the commit;
    emits `invitation_resent` for a resend (the history records who asked)."""
    attempt = get_attempt(attempt_id)
    if attempt.status != "invited":
        raise AttemptError("Only an open invitation can be sent.")
    message = queue_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                          subject=f"Your invitation: {attempt.assessment.name}", template="invitation",
                          context=invitation_context(attempt),
                          idempotency_key=None if resend else f"invitation:{attempt.id}")
    if resend:
        events.invitation_resent.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                      actor=actor)
    return message


CHANGE_SUBJECTS = {"deadline": "New deadline", "time": "More time"}


def queue_change_notice(attempt: Attempt, change: str) -> MailMessage:
    """Queue the email telling the candidate of a later deadline (`change="deadline"`) or more time
    (`"time"`), with the new deadline or time limit; sent by the worker after the commit."""
    return queue_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                       subject=f"{CHANGE_SUBJECTS[change]}: {attempt.assessment.name}", template="invitation_changed",
                       context={**invitation_context(attempt), "change": change})


def queue_reminder(attempt: Attempt) -> MailMessage:
    """Queue the "closes soon" email for the attempt's current deadline (once per deadline)."""
    return queue_email(organisation_id=attempt.organisation_id, to=attempt.candidate.email,
                       subject=f"Reminder: {attempt.assessment.name} closes soon", template="reminder",
                       context=invitation_context(attempt),
                       idempotency_key=f"reminder:{attempt.id}:{int(as_utc(attempt.deadline).timestamp())}")


def assessment_organisation_name(assessment: Assessment) -> str:
    """The name of the organisation that owns an assessment."""
    org = db.session.get(Organisation, assessment.organisation_id)
    return org.name if org else ""


# -- the candidate's side ------------------------------------------------------------------------

def find_by_token(token: str) -> Attempt | None:
    """The attempt behind a secret link, or None."""
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL text cannot hold NUL
        return None
    return db.session.scalar(select(Attempt).where(Attempt.token == token))


def time_ends_at(attempt: Attempt) -> datetime | None:
    """When the candidate's time runs out (None before the start)."""
    if attempt.started_at is None:
        return None
    return as_utc(attempt.started_at) + timedelta(minutes=time_limit(attempt))


def is_time_up(attempt: Attempt, now: datetime | None = None) -> bool:
    """True when a started attempt has used its time limit (plus any extra minutes)."""
    ends = time_ends_at(attempt)
    return ends is not None and (now or utcnow()) >= ends


def start_attempt(attempt_id: int, *, now: datetime | None = None) -> Attempt:
    """The candidate starts: in_progress from now; refused after the deadline. Emits attempt_started."""
    now = now or utcnow()
    attempt = get_attempt(attempt_id)
    if attempt.status == "in_progress":
        return attempt
    if attempt.status != "invited":
        raise AttemptError(_closed_message(attempt))
    if now >= as_utc(attempt.deadline):
        raise AttemptError("This invitation expired before the assessment was started.")
    attempt.status = "in_progress"
    attempt.started_at = now
    db.session.flush()
    events.attempt_started.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id)
    return attempt


def _closed_message(attempt: Attempt) -> str:
    return {
        "completed": "This assessment has already been completed.",
        "expired": "This invitation has expired.",
        "cancelled": "This invitation was cancelled.",
        "invited": "This assessment has not been started yet.",
    }.get(attempt.status, "This assessment is not open.")


def submit_part(attempt_id: int, part_id: int, answers: dict[int, int | str | None], *,
                now: datetime | None = None) -> PartScore:
    """Store the answers to one part and score it (auto at once, manual awaits evaluation).

    `answers` maps question id to a choice index (multiple choice) or text. After the time
    limit nothing is stored: the attempt is finished with what was submitted and AttemptError
    says so. The last part submitted finishes the attempt.
    """
    now = now or utcnow()
    attempt = get_attempt(attempt_id)
    if attempt.status != "in_progress":
        raise AttemptError(_closed_message(attempt))
    if is_time_up(attempt, now):
        finish_attempt(attempt.id, now=now, at_time_limit=True)
        raise AttemptError("Time is up: answers sent after the time limit are not accepted. "
                           "Your assessment was finished with the parts you had submitted.")
    part_score = next((ps for ps in attempt.part_scores if ps.part_id == part_id), None)
    if part_score is None:
        raise AttemptError("This part does not belong to the assessment.")
    if part_score.state != "pending" or not _claim_part(part_score):
        raise AttemptError("This part was already submitted.")
    _store_answers(attempt, part_score, answers, now)
    score_submitted_part(attempt, part_score, now)
    if all(ps.state != "pending" for ps in attempt.part_scores):
        finish_attempt(attempt.id, now=now)
    return part_score


def _claim_part(part_score: PartScore) -> bool:
    """Take the part for this submission with one compare-and-set UPDATE: of simultaneous submissions
    (a double click, a retried request) exactly one goes on; the others see it already taken."""
    claimed = db.session.execute(
        update(PartScore).where(PartScore.id == part_score.id, PartScore.state == "pending")
        .values(state="submitting").execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    part_score.state = "submitting"
    return True


def _store_answers(attempt: Attempt, part_score: PartScore, answers: dict, now: datetime) -> None:
    for question in part_score.part.questions:
        raw = answers.get(question.id)
        if question.kind == "multiple_choice":
            choice = None if raw in (None, "") else int(raw)
            if choice is not None and not 0 <= choice < len(question.choices or []):
                raise AttemptError("That choice does not exist; pick one of the options shown.")
            attempt.answers.append(Answer(question_id=question.id, choice=choice, submitted_at=now))
        else:
            text = "" if raw is None else str(raw)
            if len(text) > 20000:
                raise AttemptError("An answer is too long (20,000 characters at most).")
            attempt.answers.append(Answer(question_id=question.id, text=text, submitted_at=now))
    db.session.flush()


def finish_attempt(attempt_id: int, *, now: datetime | None = None, actor: Actor = events.CANDIDATE,
                   at_time_limit: bool = False) -> Attempt:
    """Complete an attempt: parts not submitted are scored as submitted (blank). Emits attempt_completed
    (`at_time_limit`: it ran out of time, rather than the candidate finishing)."""
    now = now or utcnow()
    attempt = get_attempt(attempt_id)
    if attempt.status == "completed":
        return attempt
    if attempt.status != "in_progress":
        raise AttemptError(_closed_message(attempt))
    for ps in attempt.part_scores:
        if ps.state == "pending":
            _store_answers(attempt, ps, {}, now)
            score_submitted_part(attempt, ps, now)
    attempt.status = "completed"
    attempt.completed_at = now
    recompute_final(attempt)
    queue_result_notice(attempt)
    events.attempt_completed.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                                  actor=actor, at_time_limit=at_time_limit, minutes=time_limit(attempt))
    return attempt


def finish_overdue_attempts(now: datetime | None = None) -> list[int]:
    """The scheduler finishes every in-progress attempt whose time is up; returns their ids. (Attempts in
    progress are the few taking a test right now: read through the status index.)"""
    now = now or utcnow()
    overdue = [a for a in db.session.scalars(select(Attempt).where(Attempt.status == "in_progress"))
               if is_time_up(a, now)]
    for attempt in overdue:
        finish_attempt(attempt.id, now=now, actor=events.SCHEDULER, at_time_limit=True)
    return [a.id for a in overdue]


def evaluate_attempt(attempt_id: int, points: dict[int, float], evaluator_id: int, *,
                     now: datetime | None = None) -> list[int]:
    """Validate and record an evaluator's points (answer id → points) on an attempt's manual answers.

    Every given answer must belong to a part awaiting evaluation and score 0..max points.
    Returns the ids of the parts this scored.
    """
    attempt = get_attempt(attempt_id)
    awaiting = {ps.part_id for ps in attempt.part_scores if ps.state == "awaiting_evaluation"}
    answers = {a.id: a for a in attempt.answers}
    if not points:
        raise AttemptError("Give points to at least one answer.")
    for answer_id, value in points.items():
        answer = answers.get(answer_id)
        if answer is None or answer.question.part_id not in awaiting:
            raise AttemptError("That answer is not awaiting evaluation.")
        maximum = answer.question.max_points
        if value is None or not 0 <= value <= maximum:
            raise AttemptError(f"Points must be between 0 and {maximum:g}.")
    scored = evaluate_answers(attempt, points, evaluator_id, now)
    queue_result_notice(attempt)
    return scored


def queue_result_notice(attempt: Attempt) -> MailMessage | None:
    """Once an attempt's score is final, email it to the staff member who invited by hand (once per
    attempt; invitations the ATS made have nobody to tell, and their result goes to the ATS)."""
    if attempt.invited_by_id is None or attempt.evaluation_state != "final" or attempt.final_score is None:
        return None
    inviter = db.session.get(User, attempt.invited_by_id)
    if inviter is None or not inviter.active:
        return None
    candidate = attempt.candidate
    who = candidate.name or candidate.email
    rating = rating_for(attempt.passing_score, attempt.final_score)
    return queue_email(organisation_id=attempt.organisation_id, to=inviter.email,
                       subject=f"Result: {who}, {attempt.assessment.name}", template="result",
                       idempotency_key=f"result:{attempt.id}", context={
                           "inviter_name": inviter.name or inviter.email, "candidate_name": who,
                           "assessment_name": attempt.assessment.name, "final_score": attempt.final_score,
                           "passing_score": attempt.passing_score, "rating": rating.label,
                           "parts": [(ps.part.name, ps.score) for ps in
                                     sorted(attempt.part_scores, key=lambda p: p.part.position)],
                           "link": candidate_profile_link(candidate)})


def awaiting_evaluation(organisation_id: int) -> list[Attempt]:
    """The organisation's attempts with at least one part awaiting evaluation, oldest first."""
    stmt = (select(Attempt).join(PartScore).where(
        Attempt.organisation_id == organisation_id, PartScore.state == "awaiting_evaluation")
        .group_by(Attempt.id).order_by(func.min(PartScore.submitted_at)))
    return list(db.session.scalars(stmt))
