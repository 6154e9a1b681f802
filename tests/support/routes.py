"""The URL map turned into concrete URLs, for the security checks generated from it: an app to read
the map at collection time, URLs with generic or real values for a rule's arguments, and an
organisation holding one real object of every kind a route can name by id."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass, field

from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db

OBJECT_ID = 1  # the first organisation and its first user are created with this id


@functools.cache
def collection_app():
    """An app built only to read its URL map at collection time (no database is touched)."""
    return create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def get_routes(app) -> list[tuple[str, str]]:
    """(rule, endpoint) of every route that answers GET, static files aside, sorted."""
    return sorted((r.rule, r.endpoint) for r in app.url_map.iter_rules()
                  if "GET" in (r.methods or ()) and r.endpoint != "static")


def int_arguments(rule) -> list[str]:
    """Names of the rule's integer arguments."""
    return [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]


def _string_value(converter) -> str:
    """A short value the converter's pattern accepts (custom converters included)."""
    length = max(1, getattr(converter, "minlength", 1) or 1)
    for candidate in ("x" * length, "1" * length, "a1b2c3d4" * max(1, length // 8 + 1)):
        if re.fullmatch(converter.regex, candidate):
            return candidate
    raise AssertionError(f"no generic value for converter {type(converter).__name__}; teach the matrix")


def build_url(app, rule_text: str, method: str, endpoint: str) -> str:
    """A concrete URL for a rule, with generic values for its arguments (ids are `OBJECT_ID`)."""
    rule: Rule = next(r for r in app.url_map.iter_rules(endpoint)
                      if r.rule == rule_text and method in (r.methods or ()))
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = OBJECT_ID
        elif isinstance(converter, FloatConverter):
            values[name] = float(OBJECT_ID)
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.UUID(int=OBJECT_ID)
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = _string_value(converter)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def url_for_rule(app, rule_text: str, endpoint: str, ids: dict[str, int], token: str = "",
                 slot: str | None = None) -> str:
    """A concrete URL for a rule with real values: ids from `ids`, the candidate's `token`; with
    `slot`, that text stands for every other string argument."""
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == rule_text)
    values = {}
    for name, conv in rule._converters.items():
        if name in ids:
            values[name] = ids[name]
        elif slot is not None and name not in ("position", "filename"):
            values[name] = slot
        elif isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        elif name == "token":
            values[name] = token
        elif name == "position":
            values[name] = 1
        elif name == "direction":
            values[name] = "down"
        elif name == "public_id":
            values[name] = "unknown"
        elif name == "filename":
            values[name] = "css/app.css"
        else:
            raise AssertionError(f"{rule_text}: no real value for argument {name!r}; add a factory for it")
    with app.test_request_context():
        return url_for(endpoint, **values)


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
