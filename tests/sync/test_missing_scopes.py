"""A connection Lever granted fewer scopes than asked (an admin unticked them on the consent page): the
card says which feature is affected and offers Reconnect, everything else keeps working, and nothing is
retried until it dies. Over HTTP against the sandbox, which refuses what the token does not cover."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.api.oauth import APPLICATIONS_SCOPE, CONFIDENTIAL_SCOPE
from dashboard.lever.sync.models import InboxDelivery, Invitation, LeverOpportunity, SyncEvent
from dashboard.lever.sync.rules import APPLICATIONS_HIDDEN
from tests.support.lever import CONNECT, connect
from tests.support.sync import apply_to, confidential_posting, emails_to, reconcile, status_tags

NOT_INVITED = "Not invited: confidential job, the connection lacks confidential access"


def reconnect_without(world, *scopes: str) -> None:
    """Walk the consent again with `scopes` unticked (the connection keeps its row and webhooks)."""
    assert connect(world.client, world.lever, untick=scopes).status_code == 302
    db.session.expire_all()
    for scope in scopes:
        assert scope not in world.connection.scope_list


def refusals(world) -> list[dict]:
    return [c for c in world.sandbox.calls() if c["status"] == 403]


def test_without_confidential_access_the_card_says_so_and_other_work_continues(world):
    world.sandbox.configure(enforce_applications_scope=True)
    reconnect_without(world, CONFIDENTIAL_SCOPE)
    page = world.client.get(f"{CONNECT}/").get_data(as_text=True)
    notice = page[page.index('id="lever-missing-permissions"'):]
    assert "Confidential jobs" in notice[:notice.index("</div>")] and "Reconnect" in notice[:notice.index("</div>")]
    assert "Confidential jobs is off" in world.client.get("/lever/").get_data(as_text=True)

    secret = apply_to(world, confidential_posting(world), "Cora Secret", "cora@example.com")
    public = world.apply("Data Analyst", "Pat Public", "pat@example.com")
    world.step(2)
    assert emails_to("pat@example.com") == 1 and status_tags(world.opportunity(public["id"])) == {"Alooba - Invited"}
    untouched = world.opportunity(secret["id"])
    assert emails_to("cora@example.com") == 0 and status_tags(untouched) == set() and untouched["links"] == []
    refused = db.session.scalar(select(InboxDelivery).where(InboxDelivery.opportunity_lever_id == secret["id"]))
    assert refused.state == "failed" and refused.attempts == 1  # said once, not retried until it dies
    assert NOT_INVITED in refused.error and "Reconnect" in refused.error
    lines = db.session.scalars(select(SyncEvent.summary).where(SyncEvent.outcome == "failed")).all()
    assert [line for line in lines if line.startswith(NOT_INVITED)] == lines and len(lines) == 1
    assert "Lever refused" not in world.client.get("/lever/activity").get_data(as_text=True)
    assert NOT_INVITED in world.client.get("/lever/activity").get_data(as_text=True)

    calls_before = len(refusals(world))
    runs = reconcile(world)  # reconciliation lists what it may see, and never asks for the rest
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    assert len(refusals(world)) == calls_before == 1
    assert emails_to("cora@example.com") == 0

    # Reconnect with every permission: the next reconciliation invites the confidential applicant.
    connect(world.client, world.lever)
    reconcile(world)
    assert emails_to("cora@example.com") == 1
    assert status_tags(world.opportunity(secret["id"])) == {"Alooba - Invited"}
    assert 'id="lever-missing-permissions"' not in world.client.get(f"{CONNECT}/").get_data(as_text=True)


def test_without_access_to_applications_new_applicants_are_invited_by_reconciliation(world):
    world.sandbox.configure(enforce_applications_scope=True)
    reconcile(world)  # the jobs are known and listed once, as on any running connection
    reconnect_without(world, APPLICATIONS_SCOPE)
    assert "New applicants at once" in world.client.get(f"{CONNECT}/").get_data(as_text=True)
    opp = world.apply("Data Analyst", "Ann Waiting", "ann@example.com")
    world.step(1)
    assert emails_to("ann@example.com") == 0
    stored = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == opp["id"]))
    assert stored.posting_lever_id is None
    waiting = db.session.scalars(select(SyncEvent.summary).where(SyncEvent.opportunity_id == stored.id)).all()
    assert APPLICATIONS_HIDDEN in waiting

    reconcile(world)
    assert emails_to("ann@example.com") == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}
    db.session.expire_all()
    assert stored.posting_lever_id == world.postings["Data Analyst"]
    # Lever refused the applications (asked for once per read and per run), never anything else.
    assert refusals(world) and all(c["path"].startswith("/v1/opportunities") for c in refusals(world))
    lists = [c["status"] for c in world.sandbox.calls() if c["path"] == "/v1/opportunities"]
    assert lists[-3:] == [403, 200, 200]  # refused with the applications, then one listing per linked job

    # A stage change of a known candidate is still handled at once, by webhook.
    staged = world.apply("Senior Data Analyst", "Sid Stage", "sid@example.com")
    reconcile(world)
    assert emails_to("sid@example.com") == 0
    world.act(staged["id"], "stage", stage="Hiring Manager Review")
    world.step(3)
    assert emails_to("sid@example.com") == 1
    assert db.session.query(Invitation).count() == 2


def test_without_the_applications_scope_a_lever_that_still_shows_them_invites_at_once(world):
    reconnect_without(world, APPLICATIONS_SCOPE)  # an older connection; this Lever does not enforce the scope
    opp = world.apply("Data Analyst", "Otto Older", "otto@example.com")
    world.step(1)
    assert emails_to("otto@example.com") == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}
    assert refusals(world) == []
    assert "New applicants at once" in world.client.get(f"{CONNECT}/").get_data(as_text=True)
