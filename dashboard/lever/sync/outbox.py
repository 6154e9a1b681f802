"""The effects queue: enqueue idempotently, claim due rows, record outcomes, retry with backoff.

Performing a row is `performers.perform(effect)` (run by `effects`); this module only moves rows
between states:
pending → claimed → done | dead | needs_decision. A claim is an atomic compare-and-set UPDATE,
so any number of workers can share the queue without doing a row twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from dashboard.core import queues
from dashboard.core.clock import utcnow
from dashboard.core.retry import retry_delay
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect

MAX_ATTEMPTS = 8
SAFE_TO_REPEAT = {"inherit_tags", "add_link", "status_tag"}  # set semantics in Lever


def enqueue(*, organisation_id: int, kind: str, key: str, connection_id: int | None = None,
            opportunity_id: int | None = None, attempt_id: int | None = None,
            candidate_id: int | None = None, payload: dict | None = None) -> Effect | None:
    """Queue an effect unless one with the same idempotency key exists. Returns the new row or None."""
    exists = db.session.scalar(select(Effect.id).where(Effect.idempotency_key == key))
    if exists is not None:
        return None
    for pending in db.session.new:  # queued earlier in this same transaction
        if isinstance(pending, Effect) and pending.idempotency_key == key:
            return None
    effect = Effect(organisation_id=organisation_id, connection_id=connection_id, kind=kind,
                    idempotency_key=key, opportunity_id=opportunity_id, attempt_id=attempt_id,
                    candidate_id=candidate_id, payload=payload or {}, state="pending",
                    next_try_at=utcnow())
    db.session.add(effect)
    return effect


def due_ids(paused_connection_ids: set[int], limit: int = 20, now: datetime | None = None) -> list[int]:
    """Ids of pending rows whose time has come, skipping paused connections, a candidate's rows together
    and in order (a later stage move must not overtake an earlier one): candidates (opportunities) from
    both ends of each organisation's queue and organisations in turn (`core.queues`), so neither a burst
    of applications nor another customer's burst holds up a new applicant's invitation. Claims are
    compare-and-set (`claim`), so workers that read the same ids still perform each row once."""
    now = now or utcnow()
    due = [Effect.state == "pending", Effect.next_try_at <= now]
    if paused_connection_ids:
        due.append(or_(Effect.connection_id.is_(None), Effect.connection_id.not_in(paused_connection_ids)))
    group = func.coalesce(Effect.opportunity_id, -Effect.id)  # a row for no opportunity stands alone
    grouped = select(Effect.id, Effect.next_try_at, Effect.organisation_id.label("org"),
                     func.min(Effect.id).over(partition_by=group).label("head")).where(*due).subquery()
    ranked = select(grouped, *queues.both_ends_turn(grouped.c.org, (grouped.c.head,), (grouped.c.head.desc(),),
                                                    rank=func.dense_rank)).subquery()
    return list(db.session.scalars(select(ranked.c.id).order_by(
        queues.turn(ranked), ranked.c.head, ranked.c.next_try_at, ranked.c.id).limit(limit)))


def claim(effect_id: int, worker_id: str) -> bool:
    """Atomically move one row from pending to claimed; False when someone else got it."""
    result = db.session.execute(
        update(Effect)
        .where(Effect.id == effect_id, Effect.state == "pending")
        .values(state="claimed", claimed_at=utcnow(), claimed_by=worker_id, attempts=Effect.attempts + 1)
    )
    return result.rowcount == 1


def earlier_try_may_have_landed(effect: Effect) -> bool:
    """Whether an earlier try of this write may have reached Lever: this row was tried before (its claim
    counts attempts) or lost an answer, or another row for the same target (kind, opportunity,
    attempt) was claimed and did not finish. Only then must a create look for what it may have made."""
    if effect.attempts > 1 or effect.outcome_unknown:
        return True
    target = (Effect.kind == effect.kind, Effect.opportunity_id == effect.opportunity_id,
              Effect.attempt_id == effect.attempt_id if effect.attempt_id is not None
              else Effect.attempt_id.is_(None))
    return db.session.scalar(select(Effect.id).where(
        *target, Effect.id != effect.id, Effect.attempts > 0, Effect.state != "done").limit(1)) is not None


def mark_done(effect: Effect) -> None:
    """The effect happened."""
    effect.state = "done"
    effect.done_at = utcnow()
    effect.last_error = None
    effect.outcome_unknown = False


def mark_retry(effect: Effect, error: str, *, delay: timedelta | None = None, count: bool = True,
               outcome_unknown: bool = False) -> bool:
    """Schedule another try; returns False (and marks the row dead) when attempts are used up."""
    effect.last_error = error[:2000]
    effect.outcome_unknown = effect.outcome_unknown or outcome_unknown
    if not count:
        effect.attempts = max(0, effect.attempts - 1)
    if effect.attempts >= MAX_ATTEMPTS:
        effect.state = "dead"
        return False
    effect.state = "pending"
    effect.next_try_at = utcnow() + (delay if delay is not None else retry_delay(effect.attempts))
    return True


def mark_dead(effect: Effect, error: str) -> None:
    """A permanent failure: kept for a person to look at and retry."""
    effect.state = "dead"
    effect.last_error = error[:2000]


def retry_now(effect: Effect) -> None:
    """A person asked to retry a dead or undecided row: give it fresh attempts."""
    effect.outcome_unknown = effect.outcome_unknown or effect.state == "needs_decision"
    effect.state = "pending"
    effect.attempts = 0
    effect.next_try_at = utcnow()
    effect.last_error = None
