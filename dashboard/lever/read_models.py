"""Read models for the integration's dashboard pages: bounded queries, paginated, indexed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Index, func, or_, select

from dashboard.assessments.models import Assessment
from dashboard.attempts.models import Attempt, Candidate
from dashboard.extensions import db
from dashboard.lever.records import Effect, Invitation, LeverOpportunity, LeverPosting, SyncEvent

# The candidates list sorted by name walks this index instead of sorting every candidate.
Index("ix_candidates_organisation_name", Candidate.organisation_id, Candidate.name)

PAGE_SIZE = 25
COUNT_CAP = 1000  # beyond this the pager says "1,000+": an exact count would read every matching row
SYNC_STATES = ("ok", "pending", "failed")
FAILED_STATES = ("dead", "needs_decision")
PENDING_STATES = ("pending", "claimed")


@dataclass
class Page:
    """One page of rows and what the pager needs."""

    rows: list
    page: int
    pages: int
    total: int
    capped: bool = False


def _sync_state_expr():
    """Per invitation row: failed when any effect of its opportunity is dead or undecided, pending when
    any is waiting, else ok."""
    failed = select(func.count(Effect.id)).where(
        Effect.opportunity_id == LeverOpportunity.id,
        Effect.state.in_(("dead", "needs_decision"))).scalar_subquery()
    pending = select(func.count(Effect.id)).where(
        Effect.opportunity_id == LeverOpportunity.id,
        Effect.state.in_(("pending", "claimed"))).scalar_subquery()
    return failed, pending


def candidate_rows(organisation_id: int, *, q: str = "", posting: str = "", assessment_id: int | None = None,
                   status: str = "", sync: str = "", sort: str = "recent", page: int = 1) -> Page:
    """Candidates invited through Lever: one row per (opportunity, assessment)."""
    failed, pending = _sync_state_expr()
    query = (
        select(Invitation, LeverOpportunity, Attempt, Candidate, Assessment.name, Assessment.passing_score,
               LeverPosting.text, failed.label("failed"), pending.label("pending"))
        .join(LeverOpportunity, LeverOpportunity.id == Invitation.opportunity_id)
        .join(Attempt, Attempt.id == Invitation.attempt_id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .join(Assessment, Assessment.id == Invitation.assessment_id)
        .outerjoin(LeverPosting, (LeverPosting.connection_id == LeverOpportunity.connection_id)
                   & (LeverPosting.lever_id == LeverOpportunity.posting_lever_id))
        .where(Invitation.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False))
    )
    query = _filtered(query, organisation_id, q=q, posting=posting, assessment_id=assessment_id, status=status,
                      sync=sync)
    counted = query.with_only_columns(Invitation.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    capped = total > COUNT_CAP
    order = {
        "name": (Candidate.name, Invitation.id),
        "score": (Attempt.final_score.desc().nulls_last(), Invitation.id.desc()),
        "status": (Attempt.status, Invitation.id.desc()),
    }.get(sort, (Invitation.id.desc(),))
    pages = max(1, -(-min(total, COUNT_CAP) // PAGE_SIZE))
    page = max(1, page) if capped else min(max(1, page), pages)
    rows = db.session.execute(query.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if capped and not rows and page > 1:  # past the end of a long list: show the last rows instead
        return candidate_rows(organisation_id, q=q, posting=posting, assessment_id=assessment_id, status=status,
                              sync=sync, sort=sort, page=pages)
    if capped:
        pages = max(pages, page + (1 if len(rows) == PAGE_SIZE else 0))
    return Page(rows=rows, page=page, pages=pages, total=min(total, COUNT_CAP), capped=capped)


def _effect_opportunities(organisation_id: int, states: tuple[str, ...]):
    """Opportunity ids with an outbox row in one of `states` (a small set: found through the state index)."""
    return select(Effect.opportunity_id).where(Effect.organisation_id == organisation_id,
                                               Effect.state.in_(states), Effect.opportunity_id.is_not(None))


def _filtered(query, organisation_id: int, *, q: str, posting: str, assessment_id: int | None, status: str,
              sync: str):
    """Apply the list filters to the candidates query."""
    if q:
        term = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{term}%"
        query = query.where(or_(func.lower(Candidate.name).like(like, escape="\\"),
                                Candidate.email.like(like, escape="\\")))
    if posting:
        query = query.where(LeverOpportunity.posting_lever_id == posting)
    if assessment_id:
        query = query.where(Invitation.assessment_id == assessment_id)
    if status:
        query = query.where(Attempt.status == status)
    failed = _effect_opportunities(organisation_id, FAILED_STATES)
    pending = _effect_opportunities(organisation_id, PENDING_STATES)
    if sync == "failed":
        query = query.where(Invitation.opportunity_id.in_(failed))
    elif sync == "pending":
        query = query.where(Invitation.opportunity_id.in_(pending), Invitation.opportunity_id.not_in(failed))
    elif sync == "ok":
        query = query.where(Invitation.opportunity_id.not_in(failed), Invitation.opportunity_id.not_in(pending))
    return query


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


def opportunities_for_candidate(organisation_id: int, candidate_id: int) -> list[LeverOpportunity]:
    return list(db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.candidate_id == candidate_id
    ).order_by(LeverOpportunity.id)))


def status_counts(organisation_id: int) -> dict[str, int]:
    """Invitations by attempt status (one aggregate row, no grouping; briefly cached)."""
    from dashboard.lever.overview import cached_aggregate

    return cached_aggregate("status_counts", organisation_id, lambda: _read_status_counts(organisation_id))


def _read_status_counts(organisation_id: int) -> dict[str, int]:
    from dashboard.lever.overview import COUNTED_STATUSES, status_sums

    row = db.session.execute(select(*status_sums()).select_from(Invitation)
                             .join(Attempt, Attempt.id == Invitation.attempt_id)
                             .where(Invitation.organisation_id == organisation_id)).one()
    return {s: int(n or 0) for s, n in zip(COUNTED_STATUSES, row, strict=True) if n}


def attention_count(organisation_id: int) -> int:
    """Outbox rows that failed for good or wait for a decision."""
    return db.session.scalar(select(func.count(Effect.id)).where(
        Effect.organisation_id == organisation_id, Effect.state.in_(("dead", "needs_decision")))) or 0
