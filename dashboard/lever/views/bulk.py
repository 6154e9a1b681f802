"""Bulk actions on rows of the candidates list: resend the invitation, cancel it, resync from Lever.

Each row is done in its own transaction through the service a single row's button uses, so one
refusal never undoes another row; the result says, for each row, what happened."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import select

from dashboard.attempts import services as attempt_services
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.boundary import DomainError, attempt
from dashboard.extensions import db
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import LeverOpportunity

ACTIONS = {"resend": "Resend the invitation", "cancel": "Cancel the invitation", "resync": "Resync from Lever"}
MAX_ROWS = 200


@dataclass
class Target:
    """One selected row: an attempt (`a<id>`) or a Lever applicant not invited (`o<id>`)."""

    key: str
    label: str
    attempt: Attempt | None = None
    opportunity: LeverOpportunity | None = None


@dataclass
class Result:
    """What happened to one row."""

    label: str
    ok: bool
    message: str


def parse_keys(raw: list[str]) -> list[str]:
    """Row keys in the order given, without duplicates or malformed ones, at most MAX_ROWS."""
    keys: list[str] = []
    for key in raw:
        key = (key or "").strip()
        if len(key) < 2 or key[0] not in "ao" or not key[1:].isdigit() or len(key) > 20 or key in keys:
            continue
        keys.append(key)
    return keys[:MAX_ROWS]


def targets(organisation_id: int, keys: list[str]) -> list[Target]:
    """The organisation's rows named by `keys` (others' or unknown ones are left out), in order."""
    attempt_ids = [int(k[1:]) for k in keys if k[0] == "a"]
    opp_ids = [int(k[1:]) for k in keys if k[0] == "o"]
    attempts = {a.id: a for a in db.session.scalars(select(Attempt).where(
        Attempt.id.in_(attempt_ids), Attempt.organisation_id == organisation_id))} if attempt_ids else {}
    opps = {o.id: o for o in db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.id.in_(opp_ids), LeverOpportunity.organisation_id == organisation_id))} if opp_ids else {}
    found = []
    for key in keys:
        if key[0] == "a" and int(key[1:]) in attempts:
            a = attempts[int(key[1:])]
            found.append(Target(key, f"{_who(a.candidate)} · {a.assessment.name}", attempt=a))
        elif key[0] == "o" and int(key[1:]) in opps:
            o = opps[int(key[1:])]
            found.append(Target(key, o.name or o.email or "Applicant without a name", opportunity=o))
    return found


def _who(candidate: Candidate) -> str:
    return candidate.name or candidate.email


def perform(organisation_id: int, user, action: str, chosen: list[Target], reason: str = "") -> list[Result]:
    """Do `action` on each row, each committed (or refused) on its own."""
    actor, user_id = Actor.staff(user), user.id
    rows = [(t.label, t.attempt.id if t.attempt else None, t.attempt.candidate_id if t.attempt else None,
             t.opportunity.id if t.opportunity else None) for t in chosen]  # read before any commit
    results = []
    for label, attempt_id, candidate_id, opportunity_id in rows:
        outcome = attempt(partial(_one, organisation_id, user_id, actor, action, attempt_id, candidate_id,
                                  opportunity_id, reason))
        results.append(Result(label, outcome.ok, outcome.result if outcome.ok else str(outcome.error)))
    return results


def _one(organisation_id: int, user_id: int, actor: Actor, action: str, attempt_id: int | None,
         candidate_id: int | None, opportunity_id: int | None, reason: str) -> str:
    if action == "resync":
        if opportunity_id is not None:
            sync_services.resync_opportunity(organisation_id, opportunity_id, user_id)
            return "Resync queued: Lever is read again within a few seconds."
        count = sync_services.resync_candidate(organisation_id, candidate_id, user_id)
        return f"Resync queued for {count} Lever opportunit{'y' if count == 1 else 'ies'}."
    if attempt_id is None:
        raise DomainError("Not invited: there is no invitation to " + ("resend." if action == "resend" else "cancel."))
    if action == "resend":
        message = attempt_services.queue_invitation(attempt_id, actor=actor, resend=True)
        return f"Invitation to {message.to} queued: it goes out within a few seconds."
    attempt_services.cancel_attempt(attempt_id, reason, actor=actor)
    return "Invitation cancelled: its link no longer works."
