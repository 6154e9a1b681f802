"""The one candidates list: everyone the organisation has invited (through Lever or by hand) and every
Lever applicant not invited, searched, filtered, sorted and paged by key (never OFFSET).

A page is one query: a UNION of three branches, each already in the list's order and cut at the page
size, whose rows carry every column the table shows (sync state included). The page's last row gives
the key of the next page (`after`), so a deep page costs what the first one does.

Rows:
- INVITED, one per Lever invitation (opportunity × assessment) with its attempt;
- APPLICANT, one per Lever applicant not invited, with the reason;
- DIRECT, one per attempt created by a manual invitation (`Attempt.source`; should Lever reuse its
  result later, the invitation has its own row too).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    DDL,
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    event,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.params import like_literal
from dashboard.core.search import normalise
from dashboard.core.sql import inline_constants
from dashboard.extensions import db
from dashboard.lever.sync import reasons
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity

PAGE_SIZE = 25
INVITED, APPLICANT, DIRECT = 0, 1, 2
NOT_INVITED = "not_invited"
SYNC_STATES = ("ok", "pending", "failed")
FAILED_STATES = ("dead", "needs_decision")
PENDING_STATES = ("pending", "claimed")
SORTS = ("recent", "name", "score", "status")
STATUSES = ("invited", "in_progress", "completed", "expired", "cancelled", NOT_INVITED)

# Search inside names and emails: trigram indexes on the normalised column (PostgreSQL only; SQLite
# scans the one column).
for _model in (Candidate, LeverOpportunity):
    event.listen(_model.__table__, "before_create",
                 DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
    Index(f"ix_{_model.__tablename__}_search_trgm", _model.search_text, postgresql_using="gin",
          postgresql_ops={"search_text": "gin_trgm_ops"}, info={"postgresql_only": True}).ddl_if(
        dialect="postgresql")
# Each order walks an index of the table that drives its branch.
Index("ix_candidates_organisation_search", Candidate.organisation_id, Candidate.search_text, Candidate.id)
Index("ix_lever_opportunities_organisation_search", LeverOpportunity.organisation_id, LeverOpportunity.search_text,
      LeverOpportunity.id)
Index("ix_lever_opportunities_organisation_seen", LeverOpportunity.organisation_id, LeverOpportunity.first_seen_at,
      LeverOpportunity.id)
Index("ix_attempts_organisation_source_invited", Attempt.organisation_id, Attempt.source, Attempt.invited_at,
      Attempt.id)
SCORE = func.coalesce(Attempt.final_score, literal_column("-1", Float))


class Row(NamedTuple):
    """One line of the list: plain values. `key` identifies it for bulk actions. `row_id` is the
    invitation's id (INVITED), the opportunity's (APPLICANT) or the attempt's (DIRECT)."""

    kind: int
    row_id: int
    attempt_id: int | None
    opportunity_id: int | None
    candidate_id: int | None
    name: str | None
    email: str | None
    status: str
    final_score: float | None
    evaluation_state: str | None
    passing_score: float | None
    assessment_id: int | None
    posting_lever_id: str | None
    profile_url: str | None
    reason_code: str | None
    reason: str | None
    k0: object  # the order's key, then the tie-breaks (k1, row_id): where the next page starts
    k1: int
    failed: bool = False  # the opportunity's outbox: a write failed for good / one is waiting
    pending: bool = False

    @property
    def key(self) -> str:
        return f"a{self.attempt_id}" if self.attempt_id else f"o{self.opportunity_id}"

    @property
    def sync(self) -> str:
        return "failed" if self.failed else "pending" if self.pending else "ok"


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; every field comes from the query string and goes back into links."""

    q: str = ""
    job: str = ""
    assessment: int | None = None
    status: str = ""
    reason: str = ""
    sync: str = ""
    sort: str = "recent"

    def args(self) -> dict[str, str]:
        """The non-empty filters as query-string arguments."""
        values = {"q": self.q, "job": self.job, "assessment": str(self.assessment or ""), "status": self.status,
                  "reason": self.reason, "sync": self.sync, "sort": "" if self.sort == "recent" else self.sort}
        return {k: v for k, v in values.items() if v}


def filters_from(args, known_jobs=None, known_assessments=None) -> Filters:
    """Filters read from a query string: unknown values are ignored (the whole list), never an error."""
    def pick(name: str, allowed) -> str:
        value = (args.get(name) or "").strip()
        return value if value in allowed else ""

    raw_assessment = (args.get("assessment") or "").strip()
    assessment = int(raw_assessment) if raw_assessment.isdigit() and len(raw_assessment) < 10 else None
    if known_assessments is not None and assessment not in known_assessments:
        assessment = None
    job = (args.get("job") or "").strip()[:64]
    if known_jobs is not None and job not in known_jobs:
        job = ""
    return Filters(q=(args.get("q") or "").strip()[:200], job=job, assessment=assessment,
                   status=pick("status", STATUSES), reason=pick("reason", reasons.LABELS),
                   sync=pick("sync", SYNC_STATES), sort=pick("sort", SORTS) or "recent")


@dataclass
class Page:
    """One page of rows, and the key of the next one (None on the last page)."""

    rows: list[Row]
    after: str | None
    first: bool = True


def _flags(organisation_id: int, opportunity_id):
    """(failed, pending) of an opportunity's outbox, as two correlated EXISTS (index lookups)."""
    def state(states):
        return exists().where(Effect.organisation_id == organisation_id, Effect.state.in_(states),
                              Effect.opportunity_id == opportunity_id)
    return state(FAILED_STATES), state(PENDING_STATES)


def _sync_filter(organisation_id: int, opportunity_id, sync: str):
    failed, pending = _flags(organisation_id, opportunity_id)
    return {"failed": failed, "pending": and_(pending, ~failed), "ok": and_(~failed, ~pending)}[sync]


def _order(kind: int, sort: str):
    """(key, tie-break) columns of a branch for an order: each pair leads an index of the table that
    drives the branch, so a page is a walk along that index from the previous page's last row."""
    if sort == "name":
        return ((LeverOpportunity.search_text, LeverOpportunity.id) if kind == APPLICANT
                else (Candidate.search_text, Candidate.id))
    if sort == "score":
        return (literal_column("-1", Float), LeverOpportunity.id) if kind == APPLICANT else (SCORE, Attempt.id)
    if sort == "status":
        return (cast(literal(""), String), LeverOpportunity.id) if kind == APPLICANT else (Attempt.status, Attempt.id)
    if kind == DIRECT:
        return Attempt.invited_at, Attempt.id
    return LeverOpportunity.first_seen_at, LeverOpportunity.id


def _columns(kind: int, *values):
    """A branch's select list, labelled with Row's fields; None for a column the branch has not."""
    types = (Integer, Integer, Integer, Integer, String, String, String, Float, String, Float, Integer,
             String, String, String, String)
    cols = [literal_column(str(kind), Integer)]
    for value, type_ in zip(values[:-2], types, strict=True):
        cols.append(cast(null(), type_) if value is None else value)
    cols += values[-2:]
    return [col.label(name) for col, name in zip(cols, Row._fields, strict=False)]


def _branches(organisation_id: int, f: Filters):
    """The selects of the branches the filters allow, each as (kind, select, key, tie-break, row id)."""
    out = []
    wants_invited = f.status != NOT_INVITED and not f.reason
    wants_applicants = f.status in ("", NOT_INVITED) and f.sync in ("", "ok") and not f.assessment
    wants_direct = wants_invited and not f.job and not f.sync
    if wants_invited:
        k0, k1 = _order(INVITED, f.sort)
        query = (select(*_columns(INVITED, Invitation.id, Attempt.id, LeverOpportunity.id, Candidate.id,
                                  Candidate.name, Candidate.email, Attempt.status, Attempt.final_score,
                                  Attempt.evaluation_state, Attempt.passing_score, Invitation.assessment_id,
                                  LeverOpportunity.posting_lever_id, LeverOpportunity.profile_url, None, None,
                                  k0, k1))
                 .join(LeverOpportunity, LeverOpportunity.id == Invitation.opportunity_id)
                 .join(Attempt, Attempt.id == Invitation.attempt_id)
                 .join(Candidate, Candidate.id == Attempt.candidate_id)
                 # every table's organisation: whichever drives the order can be walked by its index
                 .where(Invitation.organisation_id == organisation_id,
                        LeverOpportunity.organisation_id == organisation_id,
                        Attempt.organisation_id == organisation_id, Candidate.organisation_id == organisation_id,
                        LeverOpportunity.deleted.is_(False)))
        if f.q:
            query = query.where(Candidate.search_text.like(P["q"], escape="\\"))
        if f.job:
            query = query.where(LeverOpportunity.posting_lever_id == P["job"])
        if f.assessment:
            query = query.where(Invitation.assessment_id == P["assessment"])
        if f.status:
            query = query.where(Attempt.status == P["status"])
        if f.sync:
            query = query.where(_sync_filter(organisation_id, Invitation.opportunity_id, f.sync))
        out.append((INVITED, query, k0, k1, Invitation.id))
    if wants_applicants:
        k0, k1 = _order(APPLICANT, f.sort)
        query = (select(*_columns(APPLICANT, LeverOpportunity.id, None, LeverOpportunity.id,
                                  LeverOpportunity.candidate_id, LeverOpportunity.name, LeverOpportunity.email,
                                  cast(literal(NOT_INVITED), String), None, None, None, None,
                                  LeverOpportunity.posting_lever_id, LeverOpportunity.profile_url,
                                  LeverOpportunity.reason_code, LeverOpportunity.reason, k0, k1))
                 .where(*not_invited(organisation_id)))
        if f.q:
            query = query.where(LeverOpportunity.search_text.like(P["q"], escape="\\"))
        if f.job:
            query = query.where(LeverOpportunity.posting_lever_id == P["job"])
        if f.reason:
            query = query.where(LeverOpportunity.reason_code == P["reason"])
        out.append((APPLICANT, query, k0, k1, LeverOpportunity.id))
    if wants_direct:
        k0, k1 = _order(DIRECT, f.sort)
        query = (select(*_columns(DIRECT, Attempt.id, Attempt.id, None, Candidate.id, Candidate.name,
                                  Candidate.email, Attempt.status, Attempt.final_score, Attempt.evaluation_state,
                                  Attempt.passing_score, Attempt.assessment_id, None, None, None, None, k0, k1))
                 .join(Candidate, Candidate.id == Attempt.candidate_id)
                 .where(Attempt.organisation_id == organisation_id, Attempt.source == "direct",
                        Candidate.organisation_id == organisation_id, ~_listed_through_lever()))
        if f.q:
            query = query.where(Candidate.search_text.like(P["q"], escape="\\"))
        if f.assessment:
            query = query.where(Attempt.assessment_id == P["assessment"])
        if f.status:
            query = query.where(Attempt.status == P["status"])
        out.append((DIRECT, query, k0, k1, Attempt.id))
    return out


def _listed_through_lever():
    """An attempt invited by hand that a Lever application then reused: listed as that application's row,
    so not a second time as a row of its own."""
    return exists().where(Invitation.attempt_id == Attempt.id, LeverOpportunity.id == Invitation.opportunity_id,
                          LeverOpportunity.deleted.is_(False))


def not_invited(organisation_id: int) -> tuple:
    """Conditions for the Lever applicants not invited: found through the reason index, then checked for
    having no invitation at all (an invited applicant archived later keeps their invitation rows)."""
    return (LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
            or_(LeverOpportunity.reason_code.in_(reasons.NOT_INVITED), LeverOpportunity.reason_code.is_(None)),
            ~select(Invitation.id).where(Invitation.opportunity_id == LeverOpportunity.id).exists())


def _after(kind: int, k0, k1, row_id, ckind: int, sort: str, descending: bool):
    """Rows of a branch strictly after the cursor (k0, kind, k1, row id) in the list's order; the kind is
    part of the statement, the rest are parameters."""
    c0, c1, cid = bindparam("c0", type_=KEY_TYPES[sort]), P["c1"], P["cid"]
    if kind == ckind:
        rest = tuple_(k1, row_id) < tuple_(c1, cid) if descending else tuple_(k1, row_id) > tuple_(c1, cid)
    else:  # the kind breaks ties on the key, in the same direction
        rest = true() if (kind < ckind) == descending else false()
    if descending:
        return and_(k0 <= c0, or_(k0 < c0, and_(k0 == c0, rest)))  # k0 <= c0: where the index walk starts
    return and_(k0 >= c0, or_(k0 > c0, and_(k0 == c0, rest)))


def page(organisation_id: int, f: Filters, after: str | None = None, size: int | None = None) -> Page:
    """`size` rows (PAGE_SIZE) of the list after the key `after` (from the start when None): one query."""
    size = size or PAGE_SIZE
    cursor = decode_key(after, f.sort) if after else None
    shape = (f.sort, bool(f.q), bool(f.job), bool(f.assessment),
             "" if not f.status else f.status if f.status == NOT_INVITED else "attempt", bool(f.reason), f.sync,
             None if cursor is None else cursor[1], size)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _statement(f, None if cursor is None else cursor[1], size)
    if statement is _EMPTY:
        return Page(rows=[], after=None, first=cursor is None)
    params = {"org": organisation_id, "q": "%" + like_literal(normalise(f.q)) + "%", "job": f.job,
              "assessment": f.assessment, "status": f.status, "reason": f.reason}
    if cursor is not None:
        params.update(c0=cursor[0], c1=cursor[2], cid=cursor[3])
    found = [Row(*r) for r in db.session.execute(statement, params)]
    rows = found[:size]
    last = rows[-1] if rows and len(found) > size else None
    return Page(rows=rows, after=encode_key(last) if last else None, first=cursor is None)


_STATEMENTS: dict = {}  # built once per shape of filters (values are parameters): building costs more than running
_EMPTY = object()
P = {name: bindparam(name, type_=t) for name, t in (("org", Integer), ("q", String), ("job", String),
                                                     ("assessment", Integer), ("status", String),
                                                     ("reason", String), ("c1", BigInteger), ("cid", BigInteger))}
KEY_TYPES = {"recent": DateTime(timezone=True), "score": Float(), "name": String(), "status": String()}


def _statement(f: Filters, ckind: int | None, size: int):
    """The page's query for filters of this shape, after a cursor of kind `ckind` (None: the first page)."""
    descending = f.sort != "name"
    parts = []
    for kind, query, k0, k1, row_id in _branches(P["org"], f):
        if ckind is not None:
            query = query.where(_after(kind, k0, k1, row_id, ckind, f.sort, descending))
        constant = kind == APPLICANT and f.sort in ("score", "status")  # SQLite reads a number as a position
        keys = ((k1, row_id) if constant else (k0, k1, row_id))
        parts.append(query.order_by(*[k.desc() if descending else k.asc() for k in keys]).limit(size + 1))
    if not parts:
        return _EMPTY
    combined = (union_all(*[select(p.subquery()) for p in parts]) if len(parts) > 1
                else select(parts[0].subquery())).subquery()
    order = [k.desc() if descending else k.asc() for k in (combined.c.k0, combined.c.kind, combined.c.k1,
                                                             combined.c.row_id)]
    limited = select(combined).order_by(*order).limit(size + 1).subquery()
    # The outbox state only for the rows shown: one index lookup each, after the page is cut.
    failed, pending = _flags(P["org"], limited.c.opportunity_id)
    c = limited.c
    statement = select(*c, failed.label("failed"), pending.label("pending")).order_by(
        *[k.desc() if descending else k.asc() for k in (c.k0, c.kind, c.k1, c.row_id)])
    return inline_constants(statement, [*P, "c0"])  # planned once per connection on PostgreSQL


def every_row(organisation_id: int, f: Filters, batch: int = 2000, first: int = 100):
    """Every row of the filtered list in its order, read in batches (for the export): `first` rows, then
    twice as many each time up to `batch`, so the first bytes leave early and the rest in few queries."""
    after, size = None, min(first, batch)
    while True:
        chunk = page(organisation_id, f, after, size=size)
        yield from chunk.rows
        if chunk.after is None:
            return
        after, size = chunk.after, min(size * 2, batch)


def encode_key(row: Row) -> str:
    """The URL-safe key of the row a page ends with."""
    k0 = row.k0.isoformat() if isinstance(row.k0, datetime) else row.k0
    raw = json.dumps([k0, row.kind, row.k1, row.row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key(text: str, sort: str):
    """(k0, kind, k1, id) from `encode_key`; None when it is not one (an edited or truncated link)."""
    try:
        k0, kind, k1, row_id = json.loads(base64.urlsafe_b64decode(text[:400] + "=" * (-len(text[:400]) % 4)))
        if not all(isinstance(v, int) and 0 <= v < 2**63 for v in (kind, k1, row_id)) or \
                kind not in (INVITED, APPLICANT, DIRECT):
            return None
        if sort == "recent":
            k0 = datetime.fromisoformat(k0)
        elif sort == "score":
            k0 = float(k0)
        elif not isinstance(k0, str):
            return None
        return k0, kind, k1, row_id
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None
