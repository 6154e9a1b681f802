"""Performing one outbox row: the email or Lever write it stands for, and recording the outcome."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverError,
    LeverNotFoundError,
    LeverOutcomeUnknownError,
    LeverRateLimitedError,
)
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import automation, feedback, history, moves, outbox, rules
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import Effect, LeverOpportunity
from dashboard.mail.models import MailMessage
from dashboard.mail.services import MailError

LABELS = {
    "send_invitation": "Invitation email",
    "inherit_tags": "Lever: add the job's assessment tags",
    "add_link": "Lever: add the profile link",
    "status_tag": "Lever: set the status tag",
    "feedback": "Lever: write the results feedback",
    automation.KIND: moves.LABEL,
}


def perform(effect: Effect, client_for) -> str:
    """Do one claimed effect; record the outcome on the row and in the history. Returns its state."""
    connection = _connection(effect)
    opp = db.session.get(LeverOpportunity, effect.opportunity_id) if effect.opportunity_id else None
    label = LABELS.get(effect.kind, effect.kind)
    if opp is not None and opp.deleted:
        effect.state = "cancelled"
        return effect.state
    try:
        if effect.kind == "send_invitation":
            summary = _send_invitation(effect)
        else:
            if connection is None or connection.status != "connected":
                outbox.mark_retry(effect, "Lever is not connected: waiting for a reconnect", count=False,
                                  delay=timedelta(seconds=60))
                return effect.state
            client = client_for(connection)
            # A token refresh writes the connection in a session of its own: do it before this effect
            # writes anything (on SQLite a write in progress here would make the refresh wait on it).
            client.token_source.access_token()
            summary = _lever_write(effect, connection, client, opp)
    except LeverRateLimitedError as exc:
        outbox.mark_retry(effect, f"rate limited by Lever: {exc}", count=False,
                          delay=timedelta(seconds=exc.retry_after or 5))
        return effect.state
    except LeverAuthError as exc:
        outbox.mark_retry(effect, f"Lever refused our token: {exc}", count=False, delay=timedelta(seconds=60))
        _log(effect, opp, "retry", f"{label}: paused until Lever is reconnected.", "failed")
        return effect.state
    except LeverOutcomeUnknownError as exc:
        # Look again only once Lever has surely finished the lost request.
        outbox.mark_retry(effect, f"outcome unknown: {exc}", outcome_unknown=True, delay=settle_delay())
        _log(effect, opp, "retry", f"{label}: Lever's answer was lost; checking before trying again.", "failed")
        return effect.state
    except LeverNotFoundError as exc:
        outbox.mark_dead(effect, f"not found in Lever: {exc}")
        _log(effect, opp, "failure", f"{label} failed: not found in Lever.", "failed")
        return effect.state
    except (LeverError, EffectError) as exc:
        retryable = getattr(exc, "retryable", False)
        if retryable and outbox.mark_retry(effect, str(exc)):
            _log(effect, opp, "retry", f"{label} failed ({exc}); will retry.", "failed")
        else:
            outbox.mark_dead(effect, str(exc))
            _log(effect, opp, "failure", f"{label} failed: {exc}", "failed")
        return effect.state
    outbox.mark_done(effect)
    if summary:
        _log(effect, opp, "email" if effect.kind == "send_invitation" else "lever_write", summary, "ok")
    return effect.state


class EffectError(Exception):
    """A failure performing an effect outside Lever (email); `.retryable` says whether to retry."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def _connection(effect: Effect):

    return db.session.get(LeverConnection, effect.connection_id) if effect.connection_id else None


def _send_invitation(effect: Effect) -> str | None:
    """Send the invitation email; once the mail server took it (or it was stored), the status tag
    can say Invited. A permanent refusal (5xx) is not retried; a temporary one is, with back-off."""
    attempt = db.session.get(Attempt, effect.attempt_id)
    if attempt is None or attempt.status != "invited":
        return f"Invitation email not sent: the attempt is {attempt.status if attempt else 'gone'}."
    candidate = db.session.get(Candidate, attempt.candidate_id)
    try:
        message = attempts.send_invitation(attempt.id)
    except MailError as exc:
        if exc.permanent:
            raise EffectError(f"refused for good, not retried: {exc}", retryable=False) from exc
        raise EffectError(f"email failed: {exc}") from exc
    rules.on_attempt_event(attempt.id, feedback=False, status=True)  # every opportunity sharing the attempt
    if message.status == "stored":
        return f"Invitation email to {candidate.email} stored in the Outbox (no mail server set)."
    return f"Invitation email to {candidate.email} sent (accepted by the mail server)."


def _lever_write(effect: Effect, connection, client, opp: LeverOpportunity | None) -> str | None:
    brand = connection.tag_brand or "Alooba"
    if effect.kind == "inherit_tags":
        wanted = list(effect.payload.get("tags") or [])
        if wanted:
            client.add_tags(opp.lever_id, wanted)
            return f"Lever: added tags {', '.join(wanted)}."
        return None
    if effect.kind == "add_link":
        candidate = db.session.get(Candidate, effect.candidate_id)
        client.add_links(opp.lever_id, [attempts.candidate_profile_link(candidate)])
        return "Lever: added the link to the candidate's profile here."
    if effect.kind == "status_tag":
        return _set_status(client, opp, brand, list((effect.payload or {}).get("tags") or []))
    if effect.kind == "feedback":
        attempt = db.session.get(Attempt, effect.attempt_id)
        done = feedback.write(connection, client, opp, attempt, perform_as_user(connection, client),
                              look_first=outbox.earlier_try_may_have_landed(effect))
        if done == "unchanged":
            return None
        state = "final score and rating" if attempt.evaluation_state == "final" else "provisional score, no rating yet"
        return f"Lever: feedback {done} ({state})."
    if effect.kind == automation.KIND:
        try:
            return moves.perform(effect, connection, client, opp, lambda: perform_as_user(connection, client))
        except moves.MoveRefused as exc:
            raise EffectError(str(exc), retryable=False) from exc
    raise EffectError(f"unknown effect kind {effect.kind!r}", retryable=False)


def _set_status(client, opp: LeverOpportunity, brand: str, extra: list[str] | None = None) -> str:
    """One status tag: add the wanted one, then remove the others that the answer shows.

    `extra` are the job's assessment tags of a first-seen opportunity, added in the same call."""
    extra = [t for t in (extra or []) if t]
    status = rules.desired_status(opp)
    every = tag_rules.all_status_tags(brand)
    wanted = tag_rules.status_tag(brand, status) if status else None
    adding = [*extra, wanted] if wanted else extra
    current = client.add_tags(opp.lever_id, adding).get("tags") or [] if adding else None
    if wanted:
        stale = [t for t in every if t != wanted and t in current]
    else:
        stale = [t for t in every if current is None or t in current]
    if stale:
        client.remove_tags(opp.lever_id, stale)
    opp.status_written, opp.status_written_at = status, utcnow()  # what the drift check compares with
    also = f" (with the job's tags {', '.join(extra)})" if extra else ""
    return (f"Lever: status tag is now {wanted}{also}." if wanted
            else f"Lever: status tags removed{also}.")


def settle_delay() -> timedelta:
    """How long to wait before checking the outcome of a write whose answer was lost."""
    return timedelta(seconds=float(current_app.config.get("LEVER_OUTCOME_SETTLE_SECONDS", 60)))


def perform_as_user(connection, client) -> str:
    """The Lever user who authors feedback: the admin's choice, else the first active Super Admin."""
    if connection.perform_as_user_id:
        return connection.perform_as_user_id
    users = [u for u in client.list_users() if not u.get("deactivatedAt")]
    supers = [u for u in users if str(u.get("accessRole", "")).lower() == "super admin"]
    chosen = (supers or users or [None])[0]
    if chosen is None:
        raise EffectError("Lever has no active user to author feedback", retryable=False)
    connection.perform_as_user_id = chosen["id"]
    connection.perform_as_user_name = chosen.get("name")
    return chosen["id"]


def recover_stale(effect: Effect) -> None:
    """A claimed row whose worker died. Emails: resend only when provably unsent."""

    if effect.kind != "send_invitation":
        outbox.mark_retry(effect, "worker stopped while performing; checking Lever before retrying",
                          delay=settle_delay(), outcome_unknown=True)
        return
    message = db.session.scalar(select(MailMessage).where(
        MailMessage.idempotency_key == f"invitation:{effect.attempt_id}"))
    # A row still "stored" for SMTP was recorded but its sending never recorded (SQLite may commit the
    # row's savepoint on its own): whether it went out is unknown, as when no row was written.
    if message is not None and not (message.transport == "smtp" and message.status == "stored"):
        outbox.mark_done(effect)
    elif not current_app.config.get("MAIL_SERVER"):
        outbox.mark_retry(effect, "worker stopped before the message was stored; storing it now",
                          delay=timedelta(seconds=0))
    else:
        effect.state = "needs_decision"
        effect.last_error = "the worker stopped while sending: the email may or may not have gone out"
        _log(effect, None, "failure", "Invitation email: sending was interrupted; decide whether to resend.",
             "failed")


def _log(effect: Effect, opp: LeverOpportunity | None, kind: str, summary: str, outcome: str) -> None:
    history.record(effect.organisation_id, kind, summary, candidate_id=effect.candidate_id or (
        opp.candidate_id if opp else None), opportunity_id=effect.opportunity_id, effect_id=effect.id,
        outcome=outcome, detail=effect.last_error if outcome == "failed" else None)
