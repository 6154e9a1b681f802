"""Dashboard fixtures: an organisation with a Lever connection, postings, candidates, invitations and
sync history written straight to the database (the pages only read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity, LeverPosting, SyncEvent
from tests.support.clients import login
from tests.support.connections import direct_connection
from tests.support.platform import analyst_assessment


@dataclass
class Dash:
    """Handles on what the dashboard fixture built."""

    org: object
    owner: object
    connection: object
    assessment: object
    postings: dict = field(default_factory=dict)
    candidates: list = field(default_factory=list)

    def posting(self, text: str, tags: list[str], lever_id: str | None = None) -> LeverPosting:
        """Store a posting as the catalog would after reading it from Lever."""
        posting = LeverPosting(organisation_id=self.org.id, connection_id=self.connection.id,
                               lever_id=lever_id or f"post-{len(self.postings) + 1}", text=text, tags=tags,
                               team="Analytics", location="Remote")
        db.session.add(posting)
        db.session.flush()
        self.postings[text] = posting
        return posting

    def invite(self, name: str, email: str, posting: LeverPosting, *, status: str = "invited",
               score: float | None = None, effect_state: str | None = None) -> Candidate:
        """A candidate who applied to `posting` and was invited, in the given state."""
        cand = Candidate(organisation_id=self.org.id, email=email.lower(), name=name)
        db.session.add(cand)
        db.session.flush()
        now = utcnow()
        attempt = Attempt(organisation_id=self.org.id, candidate_id=cand.id, assessment_id=self.assessment.id,
                          token=f"tok-{cand.id}-{email}", status=status, invited_at=now,
                          deadline=now + timedelta(days=7), valid_from=now, extra_minutes=0, final_score=score,
                          time_limit_minutes=self.assessment.time_limit_minutes,
                          passing_score=self.assessment.passing_score,
                          evaluation_state="final" if score is not None else "pending", source="lever",
                          completed_at=now if status == "completed" else None)
        opp = LeverOpportunity(organisation_id=self.org.id, connection_id=self.connection.id,
                               lever_id=f"opp-{cand.id}", candidate_id=cand.id, posting_lever_id=posting.lever_id,
                               name=name, email=email, profile_url=f"https://hire.example/candidates/opp-{cand.id}",
                               tags_inherited=True)
        db.session.add_all([attempt, opp])
        db.session.flush()
        db.session.add(Invitation(organisation_id=self.org.id, opportunity_id=opp.id,
                                  assessment_id=self.assessment.id, attempt_id=attempt.id))
        db.session.add(SyncEvent(organisation_id=self.org.id, candidate_id=cand.id, opportunity_id=opp.id,
                                 kind="decision", summary=f"Invited to {self.assessment.name}"))
        if effect_state:
            db.session.add(Effect(organisation_id=self.org.id, connection_id=self.connection.id,
                                  opportunity_id=opp.id, candidate_id=cand.id, attempt_id=attempt.id,
                                  kind="add_tags", idempotency_key=f"tags:{opp.id}", state=effect_state,
                                  last_error="Lever answered 500" if effect_state == "dead" else None))
        db.session.flush()
        self.candidates.append(cand)
        return cand


@pytest.fixture
def dash(app, client, make_user):
    """An owner logged in; their organisation connected to Lever with one linked and one untagged job."""
    owner = make_user("owner")
    org = owner.organisation
    connection = direct_connection(org.id)
    assessment = analyst_assessment(org.id)
    d = Dash(org=org, owner=owner, connection=connection, assessment=assessment)
    d.posting("Data Analyst", ["Alooba Assessment - Data Analyst Assessment"])
    d.posting("Data Engineer", [])
    db.session.commit()
    login(client, owner)
    return d
