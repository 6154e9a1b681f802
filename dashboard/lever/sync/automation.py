"""Stage automation: results move candidates in Lever (opt-in per linked job, set by admins on Linked jobs).

An attempt's outcomes are `completed` when it is finished, then `passed` or `failed` once its score is
final (passed: final score ≥ the attempt's pass mark). For each outcome the job's automation may name a
move: a stage, or for `failed` an archive reason. A move is queued at most once per (opportunity, attempt,
outcome), the effect's idempotency key, and decided when it is performed (`moves.py`) from Lever's stage
read just before.

The moves fire Lever's own webhooks back at us. Nothing reacts to a stage change by moving a candidate,
so there is no loop; invitations stay one per (opportunity, assessment), so a move into a job's trigger
stage invites only an assessment of that job not invited yet, never one already invited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from dashboard.assessments.models import Assessment
from dashboard.attempts.models import Attempt
from dashboard.core.boundary import DomainError
from dashboard.core.clock import utcnow
from dashboard.core.scores import format_score
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverForbiddenError
from dashboard.lever.connection import scopes
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import catalog, outbox
from dashboard.lever.sync.models import (
    Invitation,
    LeverAccountCache,
    LeverArchiveReason,
    LeverJobAutomation,
    LeverOpportunity,
    LeverPosting,
    LeverStage,
)

KIND = "stage_move"
OUTCOMES = ("completed", "passed", "failed")
FAIL_ACTIONS = {"nothing": "Do nothing", "stage": "Move to a stage", "archive": "Archive with a reason"}


class AutomationError(DomainError):
    """A stage automation setting that cannot be saved, or archive reasons that cannot be read."""


@dataclass(frozen=True)
class Move:
    """What an outcome asks for: `stage` (target: a stage id) or `archive` (target: an archive reason id)."""

    kind: str
    target: str


def automation_for(connection_id: int, posting_lever_id: str | None) -> LeverJobAutomation | None:
    """The stage automation of a job, if one is set."""
    if not posting_lever_id:
        return None
    return db.session.scalar(select(LeverJobAutomation).where(
        LeverJobAutomation.connection_id == connection_id, LeverJobAutomation.posting_lever_id == posting_lever_id))


def move_for(automation: LeverJobAutomation, outcome: str) -> Move | None:
    """The move the automation makes for an outcome, or None."""
    if outcome == "completed" and automation.complete_stage_id:
        return Move("stage", automation.complete_stage_id)
    if outcome == "passed" and automation.pass_stage_id:
        return Move("stage", automation.pass_stage_id)
    if outcome == "failed" and automation.fail_action == "stage" and automation.fail_stage_id:
        return Move("stage", automation.fail_stage_id)
    if outcome == "failed" and automation.fail_action == "archive" and automation.fail_reason_id:
        return Move("archive", automation.fail_reason_id)
    return None


def outcomes_of(attempt: Attempt) -> list[str]:
    """The outcomes an attempt has reached: completed, then passed or failed once its score is final."""
    if attempt.status != "completed":
        return []
    if attempt.evaluation_state != "final" or attempt.final_score is None:
        return ["completed"]
    return ["completed", "passed" if attempt.final_score >= attempt.passing_score else "failed"]


def move_key(opportunity_id: int, attempt_id: int, outcome: str) -> str:
    """The idempotency key of the one move per (opportunity, attempt, outcome)."""
    return f"{KIND}:{opportunity_id}:{attempt_id}:{outcome}"


def queue_moves(opp: LeverOpportunity, attempt: Attempt) -> int:
    """Queue the moves the opportunity's job asks for, for each outcome the attempt has reached (each
    once, ever); returns how many were new."""
    if opp.deleted:
        return 0
    automation = automation_for(opp.connection_id, opp.posting_lever_id)
    if automation is None:
        return 0
    queued = 0
    for outcome in outcomes_of(attempt):
        if move_for(automation, outcome) is None:
            continue
        if outbox.enqueue(organisation_id=opp.organisation_id, kind=KIND, key=move_key(opp.id, attempt.id, outcome),
                          connection_id=opp.connection_id, opportunity_id=opp.id, attempt_id=attempt.id,
                          candidate_id=opp.candidate_id, payload={"outcome": outcome}) is not None:
            queued += 1
    return queued


def on_result(attempt_id: int) -> None:
    """An attempt was completed or its evaluation made the score final: queue its opportunities' moves."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        return
    for opp in db.session.scalars(select(LeverOpportunity).join(
            Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(
            Invitation.attempt_id == attempt_id, LeverOpportunity.deleted.is_(False))):
        queue_moves(opp, attempt)


def why(attempt: Attempt, outcome: str) -> str:
    """The outcome in words, for the history: `“Data Analyst Assessment” passed: 80% ≥ pass mark 60%`."""
    assessment = db.session.get(Assessment, attempt.assessment_id)
    name = f"“{assessment.name}”" if assessment else "the assessment"
    if outcome == "completed":
        return f"{name} completed"
    sign = "≥" if outcome == "passed" else "<"
    score, mark = format_score(attempt.final_score), format_score(attempt.passing_score)
    return f"{name} {outcome}: {score} {sign} pass mark {mark}"


# -- Lever's refusals ------------------------------------------------------------------------------

def record_refusal(connection, exc: LeverForbiddenError) -> str:
    """Lever refused a stage change or the archive reasons (403): keep its words on the connection (the
    card and the automation form say "Reconnect to allow stage changes" until the next consent)."""
    connection.stage_changes_refused = (exc.message or "HTTP 403")[:500]
    return connection.stage_changes_refused


# -- archive reasons -------------------------------------------------------------------------------

def refresh_archive_reasons(connection, client) -> int | None:
    """Re-read the account's archive reasons (`GET /archive_reasons`); returns how many, or None when
    Lever refused (403: recorded, see `record_refusal`, and the cached list kept)."""
    try:
        reasons = client.list_archive_reasons()
    except LeverForbiddenError as exc:
        record_refusal(connection, exc)
        return None
    db.session.execute(delete(LeverArchiveReason).where(LeverArchiveReason.connection_id == connection.id))
    for reason in reasons:
        db.session.add(LeverArchiveReason(
            organisation_id=connection.organisation_id, connection_id=connection.id, lever_id=str(reason["id"]),
            text=str(reason.get("text") or reason["id"])[:300], kind=str(reason.get("type") or "non-hired")[:16],
            active=reason.get("status", "active") == "active"))
    catalog.account_cache(connection).archive_reasons_refreshed_at = utcnow()
    db.session.flush()
    return len(reasons)


def refresh_archive_reasons_for(organisation_id: int) -> tuple[bool, str]:
    """"Refresh archive reasons" on Linked jobs: read them from Lever now (flushes; the request commits,
    a refusal included). Returns (read, what to tell the admin)."""
    connection = _connected(organisation_id)
    count = refresh_archive_reasons(connection, client_for(connection))
    if count is None:
        return False, (f"Lever refused to show its archive reasons ({connection.stage_changes_refused}): "
                       f"{scopes.RECONNECT_FOR_STAGES}.")
    return True, f"{count} archive reason{'' if count == 1 else 's'} read from Lever."


def archive_reasons(connection) -> list[LeverArchiveReason]:
    """The cached archive reasons, active non-hired ones first (a failed result is never archived as
    hired: only active non-hired reasons can be chosen)."""
    rows = db.session.scalars(select(LeverArchiveReason).where(
        LeverArchiveReason.connection_id == connection.id).order_by(LeverArchiveReason.id)).all()
    return sorted(rows, key=lambda r: (not r.active, r.kind == "hired"))


def stages(connection) -> list[LeverStage]:
    """The cached stages in Lever's order."""
    return list(db.session.scalars(select(LeverStage).where(
        LeverStage.connection_id == connection.id).order_by(LeverStage.id)))


# -- the settings ----------------------------------------------------------------------------------

def _connected(organisation_id: int):
    connection = get_connection(organisation_id)
    if connection is None or connection.status != "connected":
        raise AutomationError("Connect Lever first.")
    return connection


def save(organisation_id: int, posting_lever_id: str, form: Mapping[str, str],
         user_id: int) -> LeverJobAutomation | None:
    """Set a job's stage automation from the form (`complete_stage`, `pass_stage`, `fail_action`,
    `fail_stage`, `fail_reason`); all empty turns it off (returns None). Flushes, never commits."""
    connection = _connected(organisation_id)
    posting = db.session.scalar(select(LeverPosting).where(
        LeverPosting.connection_id == connection.id, LeverPosting.lever_id == (posting_lever_id or "")[:64]))
    if posting is None:
        raise AutomationError("There is no such job in Lever.")
    stage_ids = {s.lever_id for s in stages(connection)}
    chosen = {key: (form.get(key) or "").strip()[:64] or None for key in ("complete_stage", "pass_stage",
                                                                          "fail_stage", "fail_reason")}
    for key in ("complete_stage", "pass_stage", "fail_stage"):
        if chosen[key] and chosen[key] not in stage_ids:
            raise AutomationError("That stage is not in Lever's stage list; refresh the page and choose again.")
    action = form.get("fail_action") or "nothing"
    if action not in FAIL_ACTIONS:
        raise AutomationError("Choose what happens when the candidate fails.")
    if action == "stage" and not chosen["fail_stage"]:
        raise AutomationError("Choose the stage a candidate who fails moves to.")
    if action == "archive":
        if scopes.stage_changes_blocked(connection) and not archive_reasons(connection):
            raise AutomationError(f"Lever's archive reasons cannot be read: {scopes.RECONNECT_FOR_STAGES}.")
        active = {r.lever_id for r in archive_reasons(connection) if r.active and r.kind != "hired"}
        if chosen["fail_reason"] not in active:
            raise AutomationError("Choose the archive reason for candidates who fail.")
    automation = automation_for(connection.id, posting.lever_id)
    if not (chosen["complete_stage"] or chosen["pass_stage"] or action != "nothing"):
        if automation is not None:
            db.session.delete(automation)
            db.session.flush()
        return None
    if automation is None:
        automation = LeverJobAutomation(organisation_id=organisation_id, connection_id=connection.id,
                                        posting_lever_id=posting.lever_id)
        db.session.add(automation)
    automation.complete_stage_id, automation.pass_stage_id = chosen["complete_stage"], chosen["pass_stage"]
    automation.fail_action = action
    automation.fail_stage_id = chosen["fail_stage"] if action == "stage" else None
    automation.fail_reason_id = chosen["fail_reason"] if action == "archive" else None
    automation.updated_by_id, automation.updated_at = user_id, utcnow()
    db.session.flush()
    return automation


def describe(automation: LeverJobAutomation | None, stage_names: dict[str, str], reason_names: dict[str, str]) -> str:
    """The automation in one line, for recruiters (read-only) and the history."""
    if automation is None:
        return "Off: results move nobody."
    parts = []
    if automation.complete_stage_id:
        parts.append(f"completed → “{stage_names.get(automation.complete_stage_id, automation.complete_stage_id)}”")
    if automation.pass_stage_id:
        parts.append(f"passed → “{stage_names.get(automation.pass_stage_id, automation.pass_stage_id)}”")
    if automation.fail_action == "stage":
        parts.append(f"failed → “{stage_names.get(automation.fail_stage_id, automation.fail_stage_id)}”")
    elif automation.fail_action == "archive":
        parts.append(f"failed → archived (“{reason_names.get(automation.fail_reason_id, automation.fail_reason_id)}”)")
    return "; ".join(parts) + "."


def form_context(organisation_id: int, posting_ids: list[str]) -> dict:
    """What `lever/_automation.html` shows: each linked job's automation, the stage and archive-reason
    choices from the cache, and why stage changes are blocked (None when they are not)."""
    connection = get_connection(organisation_id)
    if connection is None:
        return {"connection": None, "automations": {}, "stages": [], "reasons": [], "blocked": None}
    rows = db.session.scalars(select(LeverJobAutomation).where(
        LeverJobAutomation.connection_id == connection.id,
        LeverJobAutomation.posting_lever_id.in_(posting_ids or [""]))).all()
    reasons, stage_rows = archive_reasons(connection), stages(connection)
    cache = db.session.get(LeverAccountCache, connection.id)  # read only: a page view creates nothing
    stage_names = {s.lever_id: s.text for s in stage_rows}
    reason_names = {r.lever_id: r.text for r in reasons}
    return {"connection": connection, "automations": {a.posting_lever_id: a for a in rows},
            "stages": stage_rows, "reasons": reasons,
            "reasons_refreshed_at": cache.archive_reasons_refreshed_at if cache else None,
            "blocked": scopes.stage_changes_blocked(connection), "fail_actions": FAIL_ACTIONS,
            "describe": lambda a: describe(a, stage_names, reason_names)}
