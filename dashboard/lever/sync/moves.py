"""Performing one move of the stage automation (`automation.py` queues them).

Lever's current stage is read just before the move. The move is made only when the candidate is still
where the automation expects to find them: the stage of the invitation, or the stage our last move left
them in, whichever is later. A candidate someone moved in Lever since then stays where they are
("not moved: the candidate was moved to X by someone in Lever"); the target of one of our own moves not
yet confirmed (its answer lost) does not count as such. A candidate already at the target is
left alone, so a retry after a lost answer moves nothing twice. A 403 is not retried: it is kept on the
connection ("Reconnect to allow stage changes") and the rest of the sync carries on.
"""

from __future__ import annotations

from sqlalchemy import select

from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc
from dashboard.extensions import db
from dashboard.lever.api import shapes
from dashboard.lever.api.errors import LeverForbiddenError
from dashboard.lever.connection import scopes
from dashboard.lever.sync import automation, catalog, history
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity

LABEL = "Lever: move the candidate (stage automation)"


class MoveRefused(Exception):
    """A move that cannot be made and must not be retried; the message is for the history."""


def expected_stage(opp: LeverOpportunity, attempt_id: int) -> str | None:
    """Where the automation expects to find the candidate: the later of the invitation's stage and the
    target of our last move on this opportunity (None: unknown, e.g. an invitation older than the
    automation)."""
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.opportunity_id == opp.id, Invitation.attempt_id == attempt_id))
    since = as_utc(invitation.created_at) if invitation else None
    done = db.session.scalars(select(Effect).where(
        Effect.opportunity_id == opp.id, Effect.kind == automation.KIND, Effect.state == "done")
        .order_by(Effect.done_at.desc(), Effect.id.desc())).all()
    for effect in done:
        moved_to = (effect.payload or {}).get("moved_to")
        if moved_to and (since is None or as_utc(effect.done_at) >= since):
            return moved_to
    return invitation.stage_lever_id if invitation else None


def _final_move_done(effect: Effect) -> bool:
    """Whether the pass/fail move of the same (opportunity, attempt) was already made: the completion
    move must not follow it (it would drag the candidate back)."""
    keys = [automation.move_key(effect.opportunity_id, effect.attempt_id, o) for o in ("passed", "failed")]
    return db.session.scalar(select(Effect.id).where(
        Effect.idempotency_key.in_(keys), Effect.state == "done").limit(1)) is not None


def _in_flight(effect: Effect, job) -> set[str]:
    """Targets of the opportunity's other moves tried but not confirmed (a lost answer, a network error
    after the request went out): Lever may have made them, so finding the candidate there is no sign of
    a recruiter's move."""
    lost = db.session.scalars(select(Effect).where(
        Effect.opportunity_id == effect.opportunity_id, Effect.kind == automation.KIND, Effect.id != effect.id,
        Effect.attempts > 0, Effect.state.in_(("pending", "claimed")))).all()
    moves = [automation.move_for(job, (e.payload or {}).get("outcome", "")) for e in lost]
    return {m.target for m in moves if m is not None and m.kind == "stage"}


def perform(effect: Effect, connection, client, opp: LeverOpportunity, perform_as) -> str | None:
    """Make (or decide not to make) one move. Returns the history line of a move made; a move not made
    records its own line (why not) and returns None. `perform_as()` gives the Lever user acting."""
    outcome = (effect.payload or {}).get("outcome", "")
    attempt = db.session.get(Attempt, effect.attempt_id)
    why = automation.why(attempt, outcome)
    job = automation.automation_for(opp.connection_id, opp.posting_lever_id)
    move = automation.move_for(job, outcome) if job else None
    names = catalog.stage_names(connection)
    if move is None:
        return _leave(effect, opp, f"Not moved ({why}): the job's stage automation no longer asks for a move.")
    if outcome == "completed" and _final_move_done(effect):
        return _leave(effect, opp, f"Not moved ({why}): the final result has already moved the candidate.")
    try:
        data = client.get_opportunity(opp.lever_id)
        stage = data.get("stage")
        current = (stage.get("id") if isinstance(stage, dict) else stage) or None
        if shapes.is_archived(data):
            return _leave(effect, opp, f"Not moved ({why}): the candidate is archived in Lever.")
        if move.kind == "stage" and current == move.target:
            _remember(effect, current, move.target)
            return _leave(effect, opp, f"Not moved ({why}): the candidate is already at stage "
                                       f"“{names.get(current, current)}”.")
        expected = expected_stage(opp, attempt.id)
        if expected and current != expected and current not in _in_flight(effect, job):
            return _leave(effect, opp, f"Not moved ({why}): the candidate was moved to "
                                       f"“{names.get(current, current or '?')}” by someone in Lever.")
        if move.kind == "stage":
            client.update_stage(opp.lever_id, move.target, perform_as=perform_as())
            _remember(effect, current, move.target)
            return f"Lever: moved to stage “{names.get(move.target, move.target)}” ({why})."
        reason = _active_reason(client, move.target)
        client.update_archived(opp.lever_id, move.target, perform_as=perform_as())
        _remember(effect, current, None, archived=move.target)
        return f"Lever: archived with reason “{reason}” ({why})."
    except LeverForbiddenError as exc:
        said = automation.record_refusal(connection, exc)
        raise MoveRefused(f"Lever refused the stage change ({said}): {scopes.RECONNECT_FOR_STAGES}.") from exc


def _active_reason(client, reason_id: str) -> str:
    """The text of an active archive reason, read from Lever now; MoveRefused when it is gone."""
    for reason in client.list_archive_reasons():
        if str(reason.get("id")) == reason_id and reason.get("status", "active") == "active":
            return str(reason.get("text") or reason_id)
    raise MoveRefused("Not archived: the archive reason chosen on Linked jobs is no longer active in Lever; "
                      "choose another one there.")


def _remember(effect: Effect, moved_from: str | None, moved_to: str | None, archived: str | None = None) -> None:
    effect.payload = {**(effect.payload or {}), "moved_from": moved_from, "moved_to": moved_to,
                      **({"archived": archived} if archived else {})}


def _leave(effect: Effect, opp: LeverOpportunity, summary: str) -> None:
    history.record(effect.organisation_id, "decision", summary, candidate_id=effect.candidate_id or opp.candidate_id,
                   opportunity_id=opp.id, effect_id=effect.id, outcome="info")
    return None
