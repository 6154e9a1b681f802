"""Read models for the integration's dashboard pages: bounded queries, paginated, indexed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Index, and_, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import joinedload

from dashboard.assessments.models import Assessment
from dashboard.attempts.models import Attempt, Candidate, PartScore
from dashboard.core.params import like_literal
from dashboard.extensions import db
from dashboard.lever.sync import reasons
from dashboard.lever.sync.models import (
    Effect,
    Invitation,
    LeverOpportunity,
    LeverPosting,
    LeverStage,
    SyncEvent,
)
from dashboard.lever.views import overview

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
# Search is a prefix search on the lower-cased name (and on the email, through its unique index).
Index("ix_candidates_organisation_lower_name", Candidate.organisation_id, func.lower(Candidate.name))

PAGE_SIZE = 25
SYNC_STATES = ("ok", "pending", "failed")
FAILED_STATES = ("dead", "needs_decision")
PENDING_STATES = ("pending", "claimed")


class CandidateRow(NamedTuple):
    """One line of the candidates list: plain values, no ORM entities. An applicant who was not invited
    has no invitation (`invitation_id` None), status `not_invited` and the reason."""

    invitation_id: int | None
    opportunity_id: int
    candidate_id: int | None
    name: str | None
    email: str | None
    status: str
    final_score: float | None
    evaluation_state: str
    assessment_id: int | None
    posting_lever_id: str | None
    profile_url: str | None
    passing_score: float | None  # the attempt's own (fixed when it was created)
    job: str | None = None
    assessment: str | None = None
    sync: str = "ok"
    reason_code: str | None = None
    reason: str | None = None


@dataclass
class Page:
    """One page of rows and what the pager needs ("next" without a total: counting every match of a
    broad filter would read the whole list on each view)."""

    rows: list
    page: int
    has_next: bool


_COLUMNS = (Invitation.id, Invitation.opportunity_id, Candidate.id, Candidate.name, Candidate.email, Attempt.status,
            Attempt.final_score, Attempt.evaluation_state, Invitation.assessment_id,
            LeverOpportunity.posting_lever_id, LeverOpportunity.profile_url, Attempt.passing_score)
NOT_INVITED = "not_invited"
INVITED, APPLICANT = 0, 1  # which kind of row a page key names


def _invited_keys(organisation_id: int, *, q: str, posting: str, assessment_id: int | None, status: str, sync: str,
                  sort: str):
    """(kind, id, sort keys…) of matching invitation rows, in the list's order."""
    by_candidate = bool(q) or sort == "name"
    by_attempt = by_candidate or bool(status) or sort in ("score", "status")
    # The page's invitation ids first, joining only what the filter and order need (a deep page skips
    # index entries, not joined rows); then the columns of those 25 rows.
    query = (select(Invitation.id)
             .join(LeverOpportunity, LeverOpportunity.id == Invitation.opportunity_id)
             .where(Invitation.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False)))
    if by_attempt:
        query = query.join(Attempt, Attempt.id == Invitation.attempt_id)
    if by_candidate:
        query = query.join(Candidate, Candidate.id == Attempt.candidate_id).where(
            Candidate.organisation_id == organisation_id)
    elif by_attempt:
        query = query.where(Attempt.organisation_id == organisation_id)
    else:
        query = query.where(LeverOpportunity.organisation_id == organisation_id)
    query = _filtered(query, organisation_id, q=q, posting=posting, assessment_id=assessment_id, status=status,
                      sync=sync)
    # Each order starts with the columns of one index on the table that drives the query, so a page is
    # read by walking that index; the last key only orders the invitations of one opportunity/attempt.
    keys = {
        "name": ((Candidate.name, False), (Candidate.id, False), (Invitation.id, False)),
        "score": ((SCORE_KEY, True), (Attempt.id, True), (Invitation.id, True)),
        "status": ((Attempt.status, True), (Attempt.id, True), (Invitation.id, True)),  # invited first
    }.get(sort, ((LeverOpportunity.id, True), (Invitation.id, True)))
    return query, keys


def not_invited(organisation_id: int) -> tuple:
    """Conditions for the applicants not invited: found through the reason index (the decisions that
    invite nobody, or none recorded yet), then checked for having no invitation at all (an invited
    applicant archived later keeps their invitation rows)."""
    return (LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
            or_(LeverOpportunity.reason_code.in_(reasons.NOT_INVITED), LeverOpportunity.reason_code.is_(None)),
            ~select(Invitation.id).where(Invitation.opportunity_id == LeverOpportunity.id).exists())


def _applicant_keys(organisation_id: int, *, q: str, posting: str, reason: str, sort: str):
    """(query, keys) of applicants the integration has seen and not invited, in the list's order."""
    query = select(LeverOpportunity.id).where(*not_invited(organisation_id))
    if q:
        query = query.where(prefix_match(q, LeverOpportunity.name, LeverOpportunity.email))
    if posting:
        query = query.where(LeverOpportunity.posting_lever_id == posting)
    if reason:
        query = query.where(LeverOpportunity.reason_code == reason)
    keys = {
        "name": ((LeverOpportunity.name, False), (literal(APPLICANT), False), (LeverOpportunity.id, False)),
        "score": ((literal(-1.0), True), (literal(0), True), (LeverOpportunity.id, True)),
        "status": ((literal(""), True), (literal(0), True), (LeverOpportunity.id, True)),  # after the invited
    }.get(sort, ((LeverOpportunity.id, True), (literal(0), True)))
    return query, keys


def _ordered(query, keys, kind: int, limit: int | None = None):
    """The branch as (kind, id, k0, k1…) in its own order, at most `limit` rows."""
    columns = [literal(kind).label("kind"), query.selected_columns[0].label("row_id")]
    columns += [col.label(f"k{i}") for i, (col, _) in enumerate(keys)]
    ordered = query.with_only_columns(*columns).order_by(
        *[(col.desc() if desc else col.asc()) for col, desc in keys])
    return ordered.limit(limit) if limit is not None else ordered


def candidate_rows(organisation_id: int, *, q: str = "", posting: str = "", assessment_id: int | None = None,
                   status: str = "", sync: str = "", sort: str = "recent", page: int = 1, reason: str = "",
                   jobs: dict[str, str] | None = None, assessments: dict[int, tuple[str, float]] | None = None
                   ) -> Page:
    """Every applicant the integration has seen, PAGE_SIZE per page: one row per (opportunity, assessment)
    invited, and one per opportunity not invited (status `not_invited`, with its reason).

    `jobs` (posting id → title) and `assessments` (id → (name, passing score)) are the small lookup
    tables the page already read for its filters; they name the rows without joining them per row."""
    page = max(1, page)
    invited = status != NOT_INVITED and not reason
    applicants = status in ("", NOT_INVITED) and sync in ("", "ok") and not assessment_id
    branches = []
    if invited:
        query, keys = _invited_keys(organisation_id, q=q, posting=posting, assessment_id=assessment_id,
                                    status=status, sync=sync, sort=sort)
        branches.append((query, keys, INVITED))
    if applicants:
        query, keys = _applicant_keys(organisation_id, q=q, posting=posting, reason=reason, sort=sort)
        branches.append((query, keys, APPLICANT))
    if not branches:
        return Page(rows=[], page=page, has_next=False)
    offset, wanted = (page - 1) * PAGE_SIZE, PAGE_SIZE + 1
    if len(branches) == 1:
        query, keys, kind = branches[0]
        combined = _ordered(query, keys, kind).subquery()
        order = [(combined.c[f"k{i}"], desc) for i, (_, desc) in enumerate(keys)]
    else:  # each branch in order and cut at what this page can need; the merge orders the rest
        parts = [select(_ordered(query, keys, kind, offset + wanted).subquery()) for query, keys, kind in branches]
        combined = union_all(*parts).subquery()
        order = [(combined.c[f"k{i}"], desc) for i, (_, desc) in enumerate(branches[0][1])]
    order_by = [(col.desc() if desc else col.asc()) for col, desc in order] + [combined.c.kind]
    keys_found = db.session.execute(select(combined.c.kind, combined.c.row_id).order_by(*order_by)
                                    .limit(wanted).offset(offset)).all()
    if not keys_found and page > 1:  # past the end (an old link): show the last page instead
        total = db.session.scalar(select(func.count()).select_from(combined)) or 0
        last = max(1, -(-total // PAGE_SIZE))
        if last < page:
            return candidate_rows(organisation_id, q=q, posting=posting, assessment_id=assessment_id,
                                  status=status, sync=sync, sort=sort, page=last, reason=reason, jobs=jobs,
                                  assessments=assessments)
    rows = _rows_for(keys_found[:PAGE_SIZE])
    return Page(rows=_named(organisation_id, rows, jobs, assessments), page=page, has_next=len(keys_found) > PAGE_SIZE)


def _rows_for(keys: list) -> list[CandidateRow]:
    """The columns of one page's rows (two reads at most: invitations, applicants), in the page's order."""
    invitation_ids = [row_id for kind, row_id in keys if kind == INVITED]
    applicant_ids = [row_id for kind, row_id in keys if kind == APPLICANT]
    found: dict[tuple[int, int], CandidateRow] = {}
    if invitation_ids:
        for r in db.session.execute(
                select(*_COLUMNS)
                .join(LeverOpportunity, LeverOpportunity.id == Invitation.opportunity_id)
                .join(Attempt, Attempt.id == Invitation.attempt_id)
                .join(Candidate, Candidate.id == Attempt.candidate_id)
                .where(Invitation.id.in_(invitation_ids))):
            found[(INVITED, r[0])] = CandidateRow(*r)
    if applicant_ids:
        for o in db.session.execute(select(
                LeverOpportunity.id, LeverOpportunity.candidate_id, LeverOpportunity.name, LeverOpportunity.email,
                LeverOpportunity.posting_lever_id, LeverOpportunity.profile_url, LeverOpportunity.reason_code,
                LeverOpportunity.reason).where(LeverOpportunity.id.in_(applicant_ids))):
            found[(APPLICANT, o.id)] = CandidateRow(
                None, o.id, o.candidate_id, o.name, o.email, NOT_INVITED, None, "", None, o.posting_lever_id,
                o.profile_url, None, reason_code=o.reason_code, reason=o.reason)
    return [found[(kind, row_id)] for kind, row_id in keys if (kind, row_id) in found]


def _named(organisation_id: int, rows: list[CandidateRow], jobs: dict[str, str] | None,
           assessments: dict[int, tuple[str, float]] | None) -> list[CandidateRow]:
    """Add job title and assessment name, and the sync state of each row's opportunity (one
    query over this page's opportunities)."""
    if not rows:
        return rows
    jobs = job_titles(organisation_id) if jobs is None else jobs
    assessments = assessment_names(organisation_id) if assessments is None else assessments
    states: dict[int, set[str]] = {}
    for opp_id, state in db.session.execute(select(Effect.opportunity_id, Effect.state).where(
            Effect.opportunity_id.in_({r.opportunity_id for r in rows}),
            Effect.state.in_(FAILED_STATES + PENDING_STATES)).distinct()):
        states.setdefault(opp_id, set()).add(state)
    out = []
    for row in rows:
        name, _passing = assessments.get(row.assessment_id, ("?", None)) if row.assessment_id else (None, None)
        seen = states.get(row.opportunity_id, set())
        sync = "failed" if seen & set(FAILED_STATES) else "pending" if seen else "ok"
        out.append(row._replace(job=jobs.get(row.posting_lever_id or ""), assessment=name, sync=sync))
    return out


def job_titles(organisation_id: int) -> dict[str, str]:
    """Posting id → title for the organisation (a few hundred rows at most)."""
    return dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
        LeverPosting.organisation_id == organisation_id)).all())


def assessment_names(organisation_id: int) -> dict[int, tuple[str, float]]:
    """Assessment id → (name, passing score) for the organisation."""
    return {i: (n, p) for i, n, p in db.session.execute(select(
        Assessment.id, Assessment.name, Assessment.passing_score).where(
        Assessment.organisation_id == organisation_id))}


def prefix_match(q: str, name_column=None, email_column=None):
    """Names or email addresses starting with `q` (case-insensitive), as index range reads: a name
    range over `lower(name)` and an email range (emails are stored lower-cased), each checked with LIKE
    so the range bounds never widen the match. Candidates' columns unless others are given."""
    term = q.strip().lower()
    like = like_literal(term) + "%"
    upper = term + "\U0010ffff"
    name = func.lower(Candidate.name if name_column is None else name_column)
    email = Candidate.email if email_column is None else email_column
    return or_(and_(name >= term, name < upper, name.like(like, escape="\\")),
               and_(email >= term, email < upper, email.like(like, escape="\\")))


def _effect_opportunities(organisation_id: int, states: tuple[str, ...]):
    """Opportunity ids with an outbox row in one of `states` (a small set: found through the state index)."""
    return select(Effect.opportunity_id).where(Effect.organisation_id == organisation_id,
                                               Effect.state.in_(states), Effect.opportunity_id.is_not(None))


def _filtered(query, organisation_id: int, *, q: str, posting: str, assessment_id: int | None, status: str,
              sync: str):
    """Apply the list filters to the candidates query."""
    if q:
        query = query.where(prefix_match(q))
    if posting:
        query = query.where(LeverOpportunity.organisation_id == organisation_id,
                            LeverOpportunity.posting_lever_id == posting)
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
                                   .order_by(Attempt.id.desc())).unique())


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
    """Invitations by attempt status, and applicants not invited (from the per-job counts)."""
    return overview.status_counts(organisation_id)


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
