"""Fixtures for the security tests: an organisation holding one real object of every kind a route
can name by id, and helpers that turn URL rules into concrete URLs from those ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from werkzeug.routing.converters import IntegerConverter

from dashboard.extensions import db


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    from tests.accounts.conftest import forget_user_between_requests

    forget_user_between_requests(app)


@dataclass
class OrgObjects:
    """Ids of real objects of one organisation, by URL argument name."""

    organisation_id: int
    owner: object
    ids: dict[str, int] = field(default_factory=dict)
    token: str = ""


def make_objects(organisation_id: int, owner, *, prefix: str) -> OrgObjects:
    """An assessment with parts and questions, a candidate with an attempt, a stored email, a second
    user, an outbox row, a Lever connection with an applicant and a failed webhook delivery, all in one
    organisation."""
    from dashboard.accounts import services as accounts
    from dashboard.attempts import services as attempts
    from dashboard.lever.sync import outbox
    from dashboard.lever.sync.models import InboxDelivery, LeverOpportunity
    from tests.support.connections import direct_connection
    from tests.support.platform import analyst_assessment

    assessment = analyst_assessment(organisation_id, name=f"{prefix} assessment")
    part = sorted(assessment.parts, key=lambda p: p.position)[0]
    candidate = attempts.find_or_create_candidate(organisation_id, f"{prefix}-cand@example.com", "Cand")
    attempt = attempts.create_attempt(organisation_id, candidate.id, assessment.id)
    message = attempts.send_invitation(attempt.id)
    colleague = accounts.create_user(organisation_id, f"{prefix}-colleague@example.com", "recruiter",
                                     name="Colleague")
    effect = outbox.enqueue(organisation_id=organisation_id, kind="status_tag", key=f"{prefix}-effect",
                            attempt_id=attempt.id, candidate_id=candidate.id)
    connection = direct_connection(organisation_id)
    opportunity = LeverOpportunity(organisation_id=organisation_id, connection_id=connection.id,
                                   lever_id=f"{prefix}-opp", name="Applicant", reason_code="job_not_linked")
    db.session.add(opportunity)
    db.session.flush()
    delivery = InboxDelivery(organisation_id=organisation_id, connection_id=connection.id, token=f"{prefix}-tok",
                             event="applicationCreated", opportunity_lever_id=opportunity.lever_id,
                             triggered_at=1, state="failed")
    db.session.add(delivery)
    db.session.commit()
    ids = {"assessment_id": assessment.id, "part_id": part.id, "question_id": part.questions[0].id,
           "candidate_id": candidate.id, "attempt_id": attempt.id, "message_id": message.id,
           "user_id": colleague.id, "effect_id": effect.id, "opportunity_id": opportunity.id,
           "delivery_id": delivery.id}
    return OrgObjects(organisation_id, owner, ids, attempt.token)


def int_arguments(rule) -> list[str]:
    """Names of the rule's integer arguments."""
    return [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]


def row_counts() -> dict[str, int]:
    """Number of rows in every table."""
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


from tests.sync.conftest import world  # noqa: E402,F401  (the connected demo organisation)
