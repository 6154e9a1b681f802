"""Read models for the integration's dashboard pages: bounded queries, indexed (the candidates list
itself is `candidate_list`)."""

from __future__ import annotations

from sqlalchemy import Index, func, literal_column, select

from dashboard.attempts.models import Attempt, Candidate
from dashboard.extensions import db
from dashboard.lever.sync.models import (
    Effect,
    Invitation,
    LeverOpportunity,
    LeverStage,
    SyncEvent,
)
from dashboard.lever.views import candidate_list
from dashboard.lever.views.overview import COUNTED_STATUSES, cached_aggregate, status_sums

# The candidates list sorted by name walks this index instead of sorting every candidate.
Index("ix_candidates_organisation_name", Candidate.organisation_id, Candidate.name)
# Best score first, candidates without a score last, on every engine (NULL sorts differently).
SCORE_KEY = func.coalesce(Attempt.final_score, literal_column("-1"))  # a literal: the index matches it
Index("ix_attempts_organisation_score", Attempt.organisation_id, SCORE_KEY, Attempt.id)
Index("ix_attempts_organisation_status_score", Attempt.organisation_id, Attempt.status, SCORE_KEY, Attempt.id)
Index("ix_attempts_organisation_status", Attempt.organisation_id, Attempt.status, Attempt.id)
# Newest applications first, for a whole organisation or one job.
Index("ix_lever_opportunities_organisation_id_id", LeverOpportunity.organisation_id, LeverOpportunity.id)
Index("ix_lever_opportunities_organisation_posting", LeverOpportunity.organisation_id,
      LeverOpportunity.posting_lever_id, LeverOpportunity.id)
# The "sync failed/pending" filters read the few outbox rows in those states.
Index("ix_lever_effects_organisation_state", Effect.organisation_id, Effect.state, Effect.opportunity_id)


def history_for_candidate(organisation_id: int, candidate_id: int, limit: int = 200) -> list[SyncEvent]:
    """The candidate's sync history, newest first (lines from before the invitation included).

    Two index range reads (by candidate, by each opportunity) merged here: one query with an OR makes
    the planner walk the whole table backwards by id."""
    opp_ids = list(db.session.scalars(select(LeverOpportunity.id).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.candidate_id == candidate_id)))
    found = {e.id: e for e in db.session.scalars(select(SyncEvent).where(
        SyncEvent.organisation_id == organisation_id, SyncEvent.candidate_id == candidate_id,
    ).order_by(SyncEvent.id.desc()).limit(limit))}
    for opp_id in opp_ids:
        found.update((e.id, e) for e in db.session.scalars(select(SyncEvent).where(
            SyncEvent.opportunity_id == opp_id, SyncEvent.organisation_id == organisation_id,
        ).order_by(SyncEvent.id.desc()).limit(limit)))
    return [found[i] for i in sorted(found, reverse=True)[:limit]]


def effects_for_candidate(organisation_id: int, candidate_id: int) -> list[Effect]:
    """Outbox rows of this candidate that are not done: what is waiting or needs a person."""
    return list(db.session.scalars(select(Effect).where(
        Effect.organisation_id == organisation_id, Effect.candidate_id == candidate_id,
        Effect.state.in_(("pending", "claimed", "dead", "needs_decision"))).order_by(Effect.id)))


def effects_for_opportunity(organisation_id: int, opportunity_id: int) -> list[Effect]:
    """Outbox rows of this opportunity that are not done."""
    return list(db.session.scalars(select(Effect).where(
        Effect.organisation_id == organisation_id, Effect.opportunity_id == opportunity_id,
        Effect.state.in_(("pending", "claimed", "dead", "needs_decision"))).order_by(Effect.id)))


def opportunities_for_candidate(organisation_id: int, candidate_id: int) -> list[LeverOpportunity]:
    return list(db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.candidate_id == candidate_id
    ).order_by(LeverOpportunity.id)))


def status_counts(organisation_id: int) -> dict[str, int]:
    """Invitations by attempt status, and applicants not invited (briefly cached)."""
    return cached_aggregate("status_counts", organisation_id, lambda: _read_status_counts(organisation_id))


def _read_status_counts(organisation_id: int) -> dict[str, int]:
    row = db.session.execute(select(*status_sums()).select_from(Invitation)
                             .join(Attempt, Attempt.id == Invitation.attempt_id)
                             .where(Invitation.organisation_id == organisation_id)).one()
    counts = {s: int(n or 0) for s, n in zip(COUNTED_STATUSES, row, strict=True) if n}
    applicants = db.session.scalar(select(func.count(LeverOpportunity.id)).where(
        *candidate_list.not_invited(organisation_id))) or 0
    if applicants:
        counts[candidate_list.NOT_INVITED] = applicants
    return counts


def reason_counts(organisation_id: int) -> dict[str, int]:
    """Applicants by the decision last taken, for the reason filter (codes of invited ones included)."""
    return dict(db.session.execute(select(LeverOpportunity.reason_code, func.count(LeverOpportunity.id)).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
        LeverOpportunity.reason_code.is_not(None)).group_by(LeverOpportunity.reason_code)).all())


def history_for_opportunity(organisation_id: int, opportunity_id: int, limit: int = 200) -> list[SyncEvent]:
    """One applicant's sync history, newest first."""
    return list(db.session.scalars(select(SyncEvent).where(
        SyncEvent.opportunity_id == opportunity_id, SyncEvent.organisation_id == organisation_id)
        .order_by(SyncEvent.id.desc()).limit(limit)))


def stage_name(connection_id: int, stage_lever_id: str | None) -> str | None:
    """A Lever stage's name from the cached stage list."""
    if not stage_lever_id:
        return None
    return db.session.scalar(select(LeverStage.text).where(
        LeverStage.connection_id == connection_id, LeverStage.lever_id == stage_lever_id))
