"""Fixtures for the platform tests: an organisation's staff, assessments and a recorder of events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.assessments import services as assessments
from dashboard.attempts import events
from dashboard.attempts import services as attempts
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from tests.support.clients import login


@pytest.fixture
def org(make_org):
    return make_org("Acme Analytics")


@pytest.fixture
def admin(make_user, org):
    return make_user("admin", org=org)


@pytest.fixture
def recruiter(make_user, org):
    return make_user("recruiter", org=org)


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


@pytest.fixture
def recruiter_client(client, recruiter):
    login(client, recruiter)
    return client


@pytest.fixture
def build_assessment():
    """build_assessment(org, name=..., parts=[("auto", weight, n_questions) | ("manual", weight, [points])])."""

    def _build(org, name="Data Analyst Assessment", parts=(("auto", 1, 2), ("manual", 1, [10])),
               passing_score=60, time_limit_minutes=45, invitation_valid_days=7, publish=True):
        a = assessments.create_assessment(org.id, name=name, passing_score=passing_score,
                                          time_limit_minutes=time_limit_minutes,
                                          invitation_valid_days=invitation_valid_days)
        for i, (grading, weight, spec) in enumerate(parts, start=1):
            part = assessments.add_part(a.id, name=f"Part {i}", weight=weight, grading=grading)
            if grading == "auto":
                for n in range(spec):
                    assessments.add_question(part.id, kind="multiple_choice", prompt=f"Q{n}",
                                             choices=["a", "b", "c"], correct_choice=1)
            else:
                for points in spec:
                    assessments.add_question(part.id, kind="free_text", prompt="Explain", max_points=points)
        if publish:
            assessments.publish_assessment(a.id)
        db.session.commit()
        return a

    return _build


@pytest.fixture
def invite():
    """invite(org, assessment, email=...) → a committed Attempt."""

    def _invite(org, assessment, email="cand@example.com", name="Casey Candidate", now=None):
        candidate = attempts.find_or_create_candidate(org.id, email, name)
        attempt = attempts.create_attempt(org.id, candidate.id, assessment.id, now=now)
        db.session.commit()
        return attempt

    return _invite


@pytest.fixture
def recorded_events():
    """Every platform event sent during the test, as (name, kwargs)."""
    seen: list[tuple[str, dict]] = []
    handlers = []
    for name in ("attempt_invited", "attempt_started", "part_scored", "attempt_completed",
                 "attempt_evaluated"):
        def handler(sender, _name=name, **kw):
            seen.append((_name, kw))
        handlers.append(handler)
        getattr(events, name).connect(handler)
    yield seen
    for name, handler in zip(("attempt_invited", "attempt_started", "part_scored", "attempt_completed",
                              "attempt_evaluated"), handlers, strict=True):
        getattr(events, name).disconnect(handler)


def ago(**kw):
    """A moment in the past."""
    return utcnow() - timedelta(**kw)
