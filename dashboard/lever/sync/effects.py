"""The worker step that performs due effects (Lever writes and invitation emails).

A claim is committed before the effect happens; a claim left by a dead worker is recovered by the
effect's kind (`performers.recover_stale`): Lever writes look before writing again, an invitation
email whose send may have happened waits for a person unless it provably did not go out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.core.clock import as_utc, utcnow
from dashboard.core.retry import claim_timeout
from dashboard.extensions import db
from dashboard.lever.connection.clients import client_for
from dashboard.lever.sync import outbox, performers
from dashboard.lever.sync.inbox import paused_connections
from dashboard.lever.sync.models import Effect


def release_stale_claims(now: datetime | None = None) -> int:
    """Recover the rows claimed by a worker that died (see the module docstring)."""
    now = now or utcnow()
    cutoff = now - claim_timeout()
    query = select(Effect).where(Effect.state == "claimed", Effect.claimed_at < cutoff)
    if db.engine.dialect.name == "postgresql":  # two workers must not both release (and re-queue) one row
        query = query.with_for_update(skip_locked=True)
    stale = [e for e in db.session.scalars(query).all() if as_utc(e.claimed_at) < cutoff]
    for effect in stale:
        performers.recover_stale(effect)
    return len(stale)


def run_effects(worker_id: str, limit: int = 20) -> int:
    """Perform up to `limit` due effects (committing per row); returns how many were attempted."""
    done = 0
    for effect_id in outbox.due_ids(paused_connections(), limit):
        if not outbox.claim(effect_id, worker_id):
            db.session.rollback()
            continue
        db.session.commit()  # the claim is durable before the effect happens
        try:
            performers.perform(db.session.get(Effect, effect_id), client_for)
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            effect = db.session.get(Effect, effect_id)
            if effect.kind == "send_invitation":  # the email may have gone out before the conflict: never blindly again
                performers.recover_stale(effect)
            else:
                outbox.mark_retry(effect, f"conflict: {exc.orig}", delay=timedelta(seconds=1))
            db.session.commit()
        done += 1
    db.session.commit()
    return done


def run(worker_id: str) -> int:
    """Worker step: recover abandoned claims, then perform what is due."""
    release_stale_claims()
    db.session.commit()
    return run_effects(worker_id)
