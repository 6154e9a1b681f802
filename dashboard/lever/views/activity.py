"""The Activity page's read model, in a recruiter's words: webhook deliveries and outbox rows named by
candidate and job, job runs with what they did, routine safety-net runs that did nothing folded away.

Each list is bounded (`limit`) and read newest first through an index; names come from one lookup per
list, never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from dashboard.attempts.models import Candidate
from dashboard.extensions import db
from dashboard.jobs.registry import registry
from dashboard.jobs.runs import recent_runs
from dashboard.lever.connection.models import EVENT_LABELS
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity
from dashboard.lever.sync.performers import LABELS as EFFECT_LABELS

KINDS = {"": "Everything", "webhooks": "Webhook deliveries", "writes": "Lever writes and emails",
         "scheduler": "Scheduled and requested runs"}
# One vocabulary for the state filter; what each means in each table.
STATES = {"waiting": "Waiting", "done": "Done", "failed": "Failed"}
_DELIVERY_STATES = {"waiting": ("pending", "claimed"), "done": ("done", "repaired"), "failed": ("failed",)}
_EFFECT_STATES = {"waiting": ("pending", "claimed"), "done": ("done",), "failed": ("dead", "needs_decision")}
DELIVERY_LABELS = {"pending": "Waiting", "claimed": "Processing", "done": "Processed", "failed": "Failed",
                   "repaired": "Repaired later"}
EFFECT_STATE_LABELS = {"pending": "Waiting", "claimed": "In progress", "done": "Done", "dead": "Failed",
                       "needs_decision": "Needs a decision", "cancelled": "Cancelled"}
EVENTS = {**EVENT_LABELS, "resync": "Resync requested"}
ROUTINE_JOBS = ("outbox", "inbox")  # safety nets: a run that found nothing to do is not news
CHANGE_WORDS = {
    "postings": "postings read", "stages": "stages read", "linked": "jobs linked", "warnings": "tag problems",
    "listed": "opportunities listed", "applied": "applied", "invited": "invited", "repairs": "repairs queued",
    "effects": "writes queued", "unannounced": "changes no webhook announced", "processed": "items processed",
    "purged": "old deliveries purged", "refreshed": "token refreshed", "expired": "invitations expired",
    "finished": "overdue attempts finished", "reminders": "reminders sent", "reminder_failures": "reminders failed",
}


@dataclass
class Row:
    """One delivery or outbox row with the names a person recognises."""

    record: object
    what: str
    state: str
    subject: str | None = None
    href: str | None = None
    job: str | None = None


@dataclass
class RunRow:
    """One job run in words."""

    run: object
    label: str
    details: str
    routine: bool


def run_details(changes: dict | None, error: str | None = None, summary: str | None = None) -> str:
    """What a run did, in words ("3 opportunities listed, 1 invited, full pass"), or its error."""
    if error or (summary and not changes):
        return error or summary
    words = []
    for key, value in (changes or {}).items():
        if key == "full":
            words.append("full pass" if value else "")
        elif key in CHANGE_WORDS and isinstance(value, int) and value:
            words.append(f"{value} {CHANGE_WORDS[key]}")
    return ", ".join(w for w in words if w) or "nothing to do"


def _is_routine(run) -> bool:
    return run.job in ROUTINE_JOBS and run.status == "ok" and not any(
        isinstance(v, int) and v for v in (run.changes or {}).values())


def _opportunity_filter(organisation_id: int, job: str):
    return select(LeverOpportunity.id).where(LeverOpportunity.organisation_id == organisation_id,
                                             LeverOpportunity.posting_lever_id == job)


def deliveries(organisation_id: int, titles: dict[str, str], *, state: str = "", job: str = "",
               limit: int = 100) -> list[Row]:
    """Recent webhook deliveries (and resyncs), named."""
    query = select(InboxDelivery).where(InboxDelivery.organisation_id == organisation_id)
    if state in _DELIVERY_STATES:
        query = query.where(InboxDelivery.state.in_(_DELIVERY_STATES[state]))
    if job:
        query = query.where(InboxDelivery.opportunity_lever_id.in_(select(LeverOpportunity.lever_id).where(
            LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.posting_lever_id == job)))
    found = db.session.scalars(query.order_by(InboxDelivery.id.desc()).limit(limit)).all()
    opps = {(o.connection_id, o.lever_id): o for o in db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.organisation_id == organisation_id,
        LeverOpportunity.lever_id.in_({d.opportunity_lever_id for d in found if d.opportunity_lever_id})))}
    rows = []
    for d in found:
        opp = opps.get((d.connection_id, d.opportunity_lever_id))
        row = Row(d, EVENTS.get(d.event, d.event), DELIVERY_LABELS.get(d.state, d.state))
        if opp is not None:
            row.subject, row.job = opp.name or opp.email, titles.get(opp.posting_lever_id or "")
            row.href = _href(opp.candidate_id, opp.id)
        rows.append(row)
    return rows


def writes(organisation_id: int, titles: dict[str, str], *, state: str = "", job: str = "",
           limit: int = 100) -> list[Row]:
    """Recent outbox rows (Lever writes, invitation emails), named."""
    query = (select(Effect, Candidate.name, Candidate.email, LeverOpportunity.name, LeverOpportunity.posting_lever_id)
             .outerjoin(Candidate, Candidate.id == Effect.candidate_id)
             .outerjoin(LeverOpportunity, LeverOpportunity.id == Effect.opportunity_id)
             .where(Effect.organisation_id == organisation_id))
    if state in _EFFECT_STATES:
        query = query.where(Effect.state.in_(_EFFECT_STATES[state]))
    if job:
        query = query.where(Effect.opportunity_id.in_(_opportunity_filter(organisation_id, job)))
    rows = []
    for effect, name, email, opp_name, posting in db.session.execute(query.order_by(Effect.id.desc()).limit(limit)):
        rows.append(Row(effect, EFFECT_LABELS.get(effect.kind, effect.kind.replace("_", " ")),
                        EFFECT_STATE_LABELS.get(effect.state, effect.state), name or email or opp_name,
                        _href(effect.candidate_id, effect.opportunity_id), titles.get(posting or "")))
    return rows


def runs(organisation_id: int, *, routine: bool = False, limit: int = 100) -> tuple[list[RunRow], int]:
    """Recent job runs in words, and how many routine ones that did nothing were folded away."""
    labels = {spec.id: spec.label for spec in registry().jobs}
    out, folded = [], 0
    for run in recent_runs(organisation_id, limit):
        row = RunRow(run, labels.get(run.job, run.job), run_details(run.changes, run.error, run.summary),
                     _is_routine(run))
        if row.routine and not routine:
            folded += 1
            continue
        out.append(row)
    return out, folded


def _href(candidate_id: int | None, opportunity_id: int | None) -> str | None:
    if candidate_id:
        return url_for("lever.candidate", candidate_id=candidate_id)
    if opportunity_id:
        return url_for("lever.applicant", opportunity_id=opportunity_id)
    return None
