"""Read models for the integration's dashboard pages: bounded queries, indexed (the candidates list
itself is `candidate_list`)."""

from __future__ import annotations

from sqlalchemy import Index, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from dashboard.attempts.models import Attempt, Candidate, PartScore
from dashboard.extensions import db
from dashboard.lever.sync.models import (
    Effect,
    LeverOpportunity,
    LeverStage,
    SyncEvent,
)

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


def history_for_candidate(organisation_id: int, candidate_id: int, limit: int = 200,
                          opportunity_ids: list[int] | None = None) -> list[SyncEvent]:
    """The candidate's sync history, newest first (lines from before the invitation included).

    One query: an index range read by candidate and one by each of its opportunities (`opportunity_ids`
    when the page has them already), each cut at `limit`, merged and cut again. A single WHERE with an
    OR makes the planner walk the whole table backwards by id instead."""
    if opportunity_ids is None:
        opportunity_ids = list(db.session.scalars(select(LeverOpportunity.id).where(
            LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.candidate_id == candidate_id)))
    ranges = [SyncEvent.candidate_id == candidate_id] + [SyncEvent.opportunity_id == i for i in opportunity_ids]
    ids = union_all(*[select(select(SyncEvent.id).where(SyncEvent.organisation_id == organisation_id, where)
                             .order_by(SyncEvent.id.desc()).limit(limit).subquery()) for where in ranges]).subquery()
    return list(db.session.scalars(select(SyncEvent).where(SyncEvent.id.in_(select(ids.c.id)))
                                   .order_by(SyncEvent.id.desc()).limit(limit)))


def attempts_for_candidate(candidate_id: int) -> list[Attempt]:
    """The candidate's attempts, newest first, with their assessment and part scores (and parts) loaded
    in the same query rather than one query per attempt and part."""
    return list(db.session.scalars(select(Attempt).where(Attempt.candidate_id == candidate_id)
                                   .options(joinedload(Attempt.assessment),
                                            joinedload(Attempt.part_scores).joinedload(PartScore.part))
                                   .order_by(Attempt.invited_at.desc(), Attempt.id.desc())).unique())


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
