"""The sync engine end to end: Lever sandbox over HTTP → webhooks → worker → emails, tags, links, feedback."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt, Candidate
from dashboard.extensions import db
from dashboard.lever.sync.models import Invitation, LeverOpportunity, SyncEvent
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.sync import DA_TAG, emails_to, field, status_tags


def test_untagged_job_does_nothing(world):
    opp = world.apply("Data Engineer", "Una Tagged", "una@example.com")
    world.step(1)
    assert emails_to("una@example.com") == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert world.opportunity(opp["id"])["tags"] == []


def test_tagged_job_invites_once_with_link_tags_and_status(world):
    opp = world.apply("Data Analyst", "Ada Lovelace", "ada@example.com")
    world.step(1)
    assert emails_to("ada@example.com") == 1
    lever_opp = world.opportunity(opp["id"])
    assert DA_TAG in lever_opp["tags"]
    assert status_tags(lever_opp) == {"Alooba - Invited"}
    candidate = db.session.scalar(select(Candidate).where(Candidate.email == "ada@example.com"))
    assert attempts.candidate_profile_link(candidate) in lever_opp["links"]
    # No mail server in this world: the history says the email was stored, not sent.
    line = db.session.scalar(select(SyncEvent.summary).where(SyncEvent.summary.like("Invitation email to%")))
    assert line == "Invitation email to ada@example.com stored in the Outbox (no mail server set)."
    assert line in world.client.get(f"/lever/candidates/{candidate.id}").get_data(as_text=True)
    # A second pass (resync) changes nothing and sends nothing.
    world.client.post(f"/lever/candidates/{candidate.id}/resync")
    world.drain()
    assert emails_to("ada@example.com") == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}


def test_stage_tagged_job_waits_for_the_stage_and_invites_once(world):
    opp = world.apply("Senior Data Analyst", "Grace Hopper", "grace@example.com")
    world.step(1)
    assert emails_to("grace@example.com") == 0
    assert DA_TAG in world.opportunity(opp["id"])["tags"]  # inherited at first sight
    world.act(opp["id"], "stage", stage="Phone Screen")
    world.step(2)
    assert emails_to("grace@example.com") == 0
    world.act(opp["id"], "stage", stage="Hiring Manager Review")
    world.step(3)
    assert emails_to("grace@example.com") == 1
    world.act(opp["id"], "stage", stage="Phone Screen")
    world.step(4)
    world.act(opp["id"], "stage", stage="Hiring Manager Review")
    world.step(5)
    assert emails_to("grace@example.com") == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}


def test_progress_moves_tags_and_feedback_goes_provisional_then_final(world):
    from dashboard.accounts.services import find_user_by_email

    opp = world.apply("Data Analyst", "Alan Turing", "alan@example.com")
    world.step(1)
    attempt = attempt_for("alan@example.com")
    take(attempt, correct=4)
    world.drain()
    lever_opp = world.opportunity(opp["id"])
    assert status_tags(lever_opp) == {"Alooba - In Progress"}
    forms = world.feedback(opp["id"])
    assert len(forms) == 1
    first = forms[0]
    assert "Provisional" in field(first, "Score status")
    assert field(first, "Final score") == "Not final: 100% provisional, covering only the scored parts (1 of 2)"
    assert field(first, "Rating") is None
    assert "SQL & Statistics basics: 100%" in field(first, "Scores by part")

    finish_and_evaluate(attempt, 2, find_user_by_email("admin@acme.example").id)
    world.drain()
    lever_opp = world.opportunity(opp["id"])
    assert status_tags(lever_opp) == {"Alooba - Completed"}
    forms = world.feedback(opp["id"])
    assert [f["id"] for f in forms] == [first["id"]]  # updated in place
    final = forms[0]
    assert field(final, "Score status") == "Final"
    assert field(final, "Final score") == "60%"  # (100 + 20) / 2
    assert field(final, "Rating") == "3 - Hire"  # pass mark 60: 60 <= s < 80
    assert field(final, "Pass mark") == "60%"


def test_archived_before_starting_cancels_the_invitation(world):
    opp = world.apply("Data Analyst", "Barbara Liskov", "barbara@example.com")
    world.step(1)
    world.act(opp["id"], "archive", reason="Withdrew")
    world.step(2)
    attempt = attempt_for("barbara@example.com")
    assert attempt.status == "cancelled"
    assert status_tags(world.opportunity(opp["id"])) == set()


def test_reapplying_with_the_same_email_reuses_the_attempt(world):
    from dashboard.accounts.services import find_user_by_email

    first = world.apply("Data Analyst", "Edsger Dijkstra", "edsger@example.com")
    world.step(1)
    attempt = attempt_for("edsger@example.com")
    take(attempt, correct=4)
    finish_and_evaluate(attempt, 10, find_user_by_email("admin@acme.example").id)
    world.drain()
    second = world.apply("Senior Data Analyst", "Edsger Dijkstra", "EDSGER@example.com")
    world.step(2)
    world.act(second["id"], "stage", stage="Hiring Manager Review")
    world.step(3)
    assert emails_to("edsger@example.com") == 1
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    for opp in (first, second):
        forms = world.feedback(opp["id"])
        assert len(forms) == 1
        assert field(forms[0], "Final score") == "100%"
        assert field(forms[0], "Rating") == "4 - Strong Hire"
        assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Completed"}
    assert db.session.scalar(select(func.count(LeverOpportunity.id))) == 2
