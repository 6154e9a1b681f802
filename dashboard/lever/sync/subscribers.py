"""Platform events → Lever effects and history lines. The platform knows nothing of Lever; this module
listens.

Receivers run inside the platform service's transaction, so the effects they queue and the history lines
they add commit (or roll back) together with the change that caused them. Every change made on the
platform (an invitation by a person, cancel, reopen, extend, extra time, start, finish, expiry, a
reminder, a resend) takes this path, as the same change coming from Lever takes `rules`: the status tag
is queued through `rules.enqueue_status`, and one history line says who did what, when and by how much.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from dashboard.accounts.services import organisation_timezone
from dashboard.attempts import events
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt
from dashboard.core.templating import format_datetime, plural
from dashboard.extensions import db
from dashboard.lever.sync import automation, history, rules
from dashboard.lever.sync.models import Invitation, LeverOpportunity


def _opportunities(attempt_id: int) -> list[LeverOpportunity]:
    return list(db.session.scalars(select(LeverOpportunity).join(
        Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(Invitation.attempt_id == attempt_id)
        .order_by(LeverOpportunity.id)))


def _record(attempt_id: int, kind: str, summary: str, *, outcome: str = "info", actor: Actor | None = None) -> None:
    """One history line for the attempt's candidate (on its first live opportunity, if any)."""
    attempt = db.session.get(Attempt, attempt_id)
    live = [o for o in _opportunities(attempt_id) if not o.deleted]
    detail = None
    if actor is not None:
        detail = f"by {actor.label}" + (f" (user {actor.user_id})" if actor.user_id else "")
    history.record(attempt.organisation_id, kind, summary, candidate_id=attempt.candidate_id,
                   opportunity_id=live[0].id if live else None, outcome=outcome, detail=detail)


def _linked(attempt_id: int) -> bool:
    return any(not o.deleted for o in _opportunities(attempt_id))


def _what(attempt_id: int) -> str:
    attempt = db.session.get(Attempt, attempt_id)
    return f"“{attempt.assessment.name}”"


def _when(attempt_id: int, moment: datetime) -> str:
    return format_datetime(moment, zone=organisation_timezone(db.session.get(Attempt, attempt_id).organisation_id))


def _invited(sender, attempt_id: int, actor: Actor | None = None, **_):
    if actor is not None:  # without one, the caller records the decision (the ATS rules, with their trigger)
        _record(attempt_id, "change", f"Invited to {_what(attempt_id)} by {actor.label}.", actor=actor)


def _started(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)
    attempt = db.session.get(Attempt, attempt_id)
    _record(attempt_id, "change", f"{_what(attempt_id)} started by the candidate: "
                                  f"{plural(attempt.time_limit_minutes + (attempt.extra_minutes or 0), 'minute')} "
                                  "to finish.")


def _scored(sender, attempt_id: int, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=False)


def _completed(sender, attempt_id: int, actor: Actor = events.CANDIDATE, at_time_limit: bool = False,
               minutes: int | None = None, **_):
    rules.on_attempt_event(attempt_id, feedback=True, status=True)
    if at_time_limit:
        _record(attempt_id, "change", f"{_what(attempt_id)} finished at its time limit of "
                                      f"{plural(minutes or 0, 'minute')} (by {actor.label}): parts not submitted "
                                      "count as blank.", actor=actor)
    else:
        _record(attempt_id, "change", f"{_what(attempt_id)} finished by {actor.label}.", actor=actor)


def _result(sender, attempt_id: int, **_):
    """Completed, or evaluated to a final score: the stage automation's moves, if the job has one."""
    automation.on_result(attempt_id)


def _expired(sender, attempt_id: int, actor: Actor = events.SCHEDULER, deadline: datetime | None = None, **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)
    when = f" at {_when(attempt_id, deadline)}" if deadline else ""
    tag = ": the status tag becomes Expired" if _linked(attempt_id) else ""
    _record(attempt_id, "change", f"Invitation to {_what(attempt_id)} expired{when}, not started "
                                  f"(marked by {actor.label}){tag}.", actor=actor)


def _cancelled(sender, attempt_id: int, actor: Actor, reason: str = "", was: str = "invited", **_):
    rules.on_attempt_event(attempt_id, feedback=False, status=True)
    state = "expired invitation" if was == "expired" else "invitation"
    tag = " and its status tag is removed" if _linked(attempt_id) else ""
    _record(attempt_id, "change", f"The {state} to {_what(attempt_id)} was cancelled by {actor.label}: {reason}. "
                                  f"Its link no longer works{tag}.", actor=actor)


def _extended(sender, attempt_id: int, actor: Actor, days: int, deadline: datetime, reopened: bool = False,
              notified: bool = False, **_):
    told = "; the candidate was told by email" if notified else ""
    if reopened:
        rules.on_attempt_event(attempt_id, feedback=False, status=True)
        _record(attempt_id, "change", f"Invitation to {_what(attempt_id)} reopened by {actor.label} for "
                                      f"{plural(days, 'day')}: new deadline {_when(attempt_id, deadline)}{told}.",
                actor=actor)
    else:
        _record(attempt_id, "change", f"Deadline of {_what(attempt_id)} extended by {plural(days, 'day')} by "
                                      f"{actor.label}: new deadline {_when(attempt_id, deadline)}{told}.", actor=actor)


def _extra_time(sender, attempt_id: int, actor: Actor, minutes: int, total_minutes: int, time_limit: int,
                notified: bool = False, **_):
    told = "; the candidate was told by email" if notified else ""
    _record(attempt_id, "change", f"{plural(minutes, 'extra minute')} given on {_what(attempt_id)} by {actor.label}: "
                                  f"time limit now {plural(time_limit, 'minute')} ({total_minutes} extra in total)"
                                  f"{told}.", actor=actor)


def _reminder(sender, attempt_id: int, actor: Actor = events.SCHEDULER, deadline: datetime | None = None, **_):
    attempt = db.session.get(Attempt, attempt_id)
    _record(attempt_id, "email", f"Reminder for {_what(attempt_id)} queued by {actor.label} to "
                                 f"{attempt.candidate.email}: the invitation closes {_when(attempt_id, deadline)}.",
            outcome="ok", actor=actor)


def _resent(sender, attempt_id: int, actor: Actor | None = None, **_):
    # Queued, not sent yet: the Outbox says whether it was then sent or only stored (no mail server).
    _record(attempt_id, "email", "Invitation email queued again on request"
                                 + (f" by {actor.label}." if actor else "."), actor=actor)


def _reminder_held(sender, attempt_id: int, **_) -> bool:
    """No reminder for a candidate hired in Lever, or whose every opportunity is archived or deleted."""
    opps = _opportunities(attempt_id)
    if any(o.hired for o in opps):
        return True
    return bool(opps) and all(o.archived or o.deleted for o in opps)


def connect_signals() -> None:
    """Subscribe to the platform's domain events (idempotent)."""
    for signal, receiver in ((events.attempt_invited, _invited), (events.attempt_started, _started),
                             (events.part_scored, _scored), (events.attempt_evaluated, _scored),
                             (events.attempt_completed, _completed), (events.attempt_expired, _expired),
                             (events.attempt_cancelled, _cancelled), (events.deadline_extended, _extended),
                             (events.extra_time_granted, _extra_time), (events.reminder_sent, _reminder),
                             (events.invitation_resent, _resent), (events.reminder_due, _reminder_held),
                             (events.attempt_completed, _result), (events.attempt_evaluated, _result)):
        signal.connect(receiver, weak=False)
