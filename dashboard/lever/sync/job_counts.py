"""Per-job counts kept up to date in the transaction that changes them: how many applicants a job has,
how many were invited, and their invitations by attempt status.

The Overview, Linked jobs and the candidates' status counts read these few rows instead of counting
every invitation on each view. A row holds the contribution of every opportunity of one
(organisation, posting, deleted) key. Whenever a flush changes what an opportunity contributes (an
opportunity seen, moved to another job, deleted, decided; an invitation made or removed; its attempt
started, completed, scored, cancelled, expired), the contributions of the opportunities involved are read
just before and just after the flush; the differences are added to their rows when the transaction
commits, in that transaction (a rolled-back transaction or savepoint adds nothing).
`recount` rebuilds the rows of an organisation from the records (reconciliation runs it as a repair).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.lever.sync.models import Invitation, LeverOpportunity
from dashboard.lever.sync.reasons import NOT_INVITED

STATUSES = ("invited", "in_progress", "completed", "expired", "cancelled")
COLUMNS = ("applied", "with_invitation", "not_invited", *STATUSES, "passed")
WATCHED = {  # the attributes whose change can change a contribution
    LeverOpportunity: ("organisation_id", "posting_lever_id", "deleted", "reason_code"),
    Invitation: ("opportunity_id", "attempt_id"),
    Attempt: ("status", "final_score", "passing_score"),
}


class JobCount(db.Model):
    """The counts of one (organisation, posting, deleted) key; posting "" stands for no posting.

    `applied`: opportunities; `with_invitation`: those with at least one invitation; `not_invited`:
    those without any whose decision invites nobody (or is not taken yet), as the candidates list shows
    them; one column per attempt status counting invitations; `passed`: completed at the pass mark."""

    __tablename__ = "lever_job_counts"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    posting_lever_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    with_invitation: Mapped[int] = mapped_column(Integer, default=0)
    not_invited: Mapped[int] = mapped_column(Integer, default=0)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    expired: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)


Key = tuple[int, str, bool]


def _contributions(session: Session, opportunity_ids) -> dict[Key, dict[str, int]]:
    """What these opportunities add to each key, read from the database as it is now."""
    ids = sorted({i for i in opportunity_ids if i is not None})
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(LeverOpportunity.id, LeverOpportunity.organisation_id, LeverOpportunity.posting_lever_id,
                   LeverOpportunity.deleted, LeverOpportunity.reason_code, Invitation.id, Attempt.status,
                   Attempt.final_score >= Attempt.passing_score)
            .outerjoin(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
            .outerjoin(Attempt, Attempt.id == Invitation.attempt_id)
            .where(LeverOpportunity.id.in_(ids[start:start + 500]))
            .execution_options(autoflush=False)).all()
        _add(out, rows)
    return out


def _add(out, rows) -> None:
    """Fold (opportunity id, organisation, posting, deleted, reason, invitation id, status, at pass mark)
    rows, one per invitation (or one with no invitation), into per-key counts."""
    seen: dict[int, Key] = {}
    invited: set[int] = set()
    reason_of: dict[int, str | None] = {}
    for opp_id, org_id, posting, deleted, reason, invitation_id, status, at_pass in rows:
        key = (org_id, posting or "", bool(deleted))
        if opp_id not in seen:
            seen[opp_id] = key
            reason_of[opp_id] = reason
            out[key]["applied"] += 1
        if invitation_id is not None:
            invited.add(opp_id)
            if status in STATUSES:
                out[key][status] += 1
            if status == "completed" and at_pass:
                out[key]["passed"] += 1
    for opp_id, key in seen.items():
        if opp_id in invited:
            out[key]["with_invitation"] += 1
        elif reason_of[opp_id] is None or reason_of[opp_id] in NOT_INVITED:
            out[key]["not_invited"] += 1


def _changed(obj, names) -> bool:
    return any(attributes.get_history(obj, name).has_changes() for name in names)


def _old(obj, name):
    history = attributes.get_history(obj, name)
    return history.deleted[0] if history.deleted else None


def _involved(session: Session) -> tuple[set[int], list]:
    """(ids of existing opportunities a flush may change the contribution of, new opportunities)."""
    ids: set[int] = set()
    new_opps = []
    attempt_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, LeverOpportunity):
            new_opps.append(obj)
        elif isinstance(obj, Invitation):
            ids.add(obj.opportunity_id)
    for obj in list(session.dirty) + list(session.deleted):
        kind = type(obj)
        if kind not in WATCHED or (obj not in session.deleted and not _changed(obj, WATCHED[kind])):
            continue
        if kind is LeverOpportunity:
            ids.add(obj.id)
        elif kind is Invitation:
            ids.update((obj.opportunity_id, _old(obj, "opportunity_id")))
        else:
            attempt_ids.add(obj.id)
    if attempt_ids:
        ids.update(session.scalars(select(Invitation.opportunity_id).where(
            Invitation.attempt_id.in_(attempt_ids)).execution_options(autoflush=False)))
    ids.discard(None)
    return ids, new_opps


_PENDING = "lever_job_counts_before"
_DELTAS = "lever_job_counts_deltas"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    if not any(isinstance(obj, tuple(WATCHED)) for obj in (*session.new, *session.dirty, *session.deleted)):
        return
    ids, new_opps = _involved(session)
    if not ids and not new_opps:
        return
    session.info.setdefault(_PENDING, []).append((ids, new_opps, _contributions(session, ids) if ids else {}))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    """The difference each flush made, kept with the (innermost) transaction that made it."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    for ids, new_opps, before in pending:
        after = _contributions(session, ids | {o.id for o in new_opps})
        delta: dict[Key, dict[str, int]] = {}
        for key in set(before) | set(after):
            change = {c: after.get(key, {}).get(c, 0) - before.get(key, {}).get(c, 0) for c in COLUMNS}
            if any(change.values()):
                delta[key] = change
        if delta:
            session.info.setdefault(_DELTAS, []).append((transaction, delta))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Add the transaction's differences to the rows when it commits: the rows are locked for the
    commit only, not while the transaction goes on (a Lever call, another worker on the same job)."""
    if session.in_nested_transaction():
        return  # a savepoint released: its differences belong to the enclosing transaction
    _apply_pending(session)


def _apply_pending(session: Session) -> None:
    """Flush, then add every difference the transaction has made so far to the rows."""
    session.flush()  # what is still pending has its difference too
    total: dict[Key, dict[str, int]] = {}
    for _transaction, delta in session.info.pop(_DELTAS, []):
        for key, change in delta.items():
            row = total.setdefault(key, dict.fromkeys(COLUMNS, 0))
            for column, n in change.items():
                row[column] += n
    apply(session, {k: v for k, v in total.items() if any(v.values())})


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    """Forget the differences of a rolled-back transaction (or savepoint) and of those inside it."""
    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    kept = [(t, d) for t, d in session.info.get(_DELTAS, []) if not inside(t)]
    if kept:
        session.info[_DELTAS] = kept
    else:
        session.info.pop(_DELTAS, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session's transaction is over, however it ended
        session.info.pop(_DELTAS, None)
        session.info.pop(_PENDING, None)


def apply(session: Session, delta: dict[Key, dict[str, int]]) -> None:
    """Add `delta` to the rows (created when missing), keys in a fixed order so that concurrent
    transactions lock them in the same order."""
    if not delta:
        return
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    table = JobCount.__table__
    for key in sorted(delta):
        org_id, posting, deleted = key
        conn.execute(dialect.insert(table).values(organisation_id=org_id, posting_lever_id=posting,
                                                  deleted=deleted, **dict.fromkeys(COLUMNS, 0))
                     .on_conflict_do_nothing())
        conn.execute(update(table).where(table.c.organisation_id == org_id, table.c.posting_lever_id == posting,
                                         table.c.deleted == deleted)
                     .values({table.c[c]: table.c[c] + n for c, n in delta[key].items() if n}))


def recount(organisation_id: int) -> bool:
    """Rebuild the organisation's rows from the records; True when they differed (a repair). The
    transaction's own differences are added first, so that only a real drift counts as one."""
    _apply_pending(db.session())
    rows = db.session.execute(
        select(LeverOpportunity.id, LeverOpportunity.organisation_id, LeverOpportunity.posting_lever_id,
               LeverOpportunity.deleted, LeverOpportunity.reason_code, Invitation.id, Attempt.status,
               Attempt.final_score >= Attempt.passing_score)
        .outerjoin(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
        .outerjoin(Attempt, Attempt.id == Invitation.attempt_id)
        .where(LeverOpportunity.organisation_id == organisation_id)
        .order_by(LeverOpportunity.id)).all()
    fresh: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    _add(fresh, rows)
    stored = stored_counts(organisation_id)
    wanted = {k: v for k, v in fresh.items() if any(v.values())}
    if wanted == {k: v for k, v in stored.items() if any(v.values())}:
        return False
    db.session.execute(delete(JobCount).where(JobCount.organisation_id == organisation_id))
    db.session.add_all(JobCount(organisation_id=k[0], posting_lever_id=k[1], deleted=k[2], **v)
                       for k, v in wanted.items())
    db.session.flush()
    return True


def stored_counts(organisation_id: int) -> dict[Key, dict[str, int]]:
    """The organisation's rows as {key: {column: count}}."""
    table = JobCount.__table__
    return {(r.organisation_id, r.posting_lever_id, r.deleted): {c: r._mapping[c] for c in COLUMNS}
            for r in db.session.execute(select(table).where(table.c.organisation_id == organisation_id))}


def totals(organisation_id: int, *, include_deleted: bool) -> dict[str, int]:
    """The organisation's counts summed over its jobs (deleted opportunities' too, if asked)."""
    query = select(*[func.coalesce(func.sum(JobCount.__table__.c[c]), 0) for c in COLUMNS]).where(
        JobCount.organisation_id == organisation_id)
    if not include_deleted:
        query = query.where(JobCount.deleted.is_(False))
    return dict(zip(COLUMNS, (int(n) for n in db.session.execute(query).one()), strict=True))
