"""The list filters' option lists (jobs, assessments) per organisation, cached in the process and
dropped as soon as a posting or an assessment of that organisation is written (ORM flush events), so
a list page does not read them on every view. Another process's write is seen after OPTIONS_TTL
seconds at most."""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from dashboard.assessments.models import Assessment
from dashboard.extensions import db
from dashboard.lever.sync.models import LeverPosting

OPTIONS_TTL = 30.0
_CACHE: dict[tuple[str, int], tuple[float, dict[str, str], dict[int, tuple[str, float]]]] = {}
_LOCK = threading.Lock()


def job_titles(organisation_id: int) -> dict[str, str]:
    """Posting id → title for the organisation."""
    return _options(organisation_id)[0]


def assessment_names(organisation_id: int) -> dict[int, tuple[str, float]]:
    """Assessment id → (name, passing score) for the organisation."""
    return _options(organisation_id)[1]


def _options(organisation_id: int):
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], organisation_id)
    now = time.monotonic()
    with _LOCK:
        hit = _CACHE.get(key)
    if hit and now - hit[0] < OPTIONS_TTL:
        return hit[1], hit[2]
    jobs = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
        LeverPosting.organisation_id == organisation_id)).all())
    assessments = {i: (n, p) for i, n, p in db.session.execute(select(
        Assessment.id, Assessment.name, Assessment.passing_score).where(
        Assessment.organisation_id == organisation_id))}
    with _LOCK:
        if len(_CACHE) > 1000:  # bounded
            _CACHE.clear()
        _CACHE[key] = (now, jobs, assessments)
    return jobs, assessments


def forget(organisation_id: int | None = None) -> None:
    """Drop the cached options of one organisation (every organisation when None)."""
    with _LOCK:
        for key in [k for k in _CACHE if organisation_id is None or k[1] == organisation_id]:
            del _CACHE[key]


@event.listens_for(Session, "after_flush")
def _written(session, _context) -> None:
    """A posting or an assessment was inserted, changed or deleted: its organisation's options go."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, LeverPosting | Assessment) and obj.organisation_id is not None:
            forget(obj.organisation_id)
