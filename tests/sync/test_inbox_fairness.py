"""A backlog cannot starve a new applicant: deliveries waiting for one opportunity are folded into one
read of Lever, and each worker pass takes every opportunity's oldest delivery, organisations in turn.
Against the sandbox over HTTP, with deliveries stored as the webhook receiver stores them."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.lever.sync import inbox
from dashboard.lever.sync.models import InboxDelivery, Invitation, LeverOpportunity, SyncEvent
from tests.support.connections import connected_org
from tests.support.lever import point_app_at_fast_sandbox


def _queue(connection, event: str, opp_id: str, to_stage_id: str | None = None) -> InboxDelivery:
    """One verified delivery in the inbox, as the receiver stores it."""
    row = InboxDelivery(organisation_id=connection.organisation_id, connection_id=connection.id,
                        token=secrets.token_hex(16), event=event, opportunity_lever_id=opp_id,
                        to_stage_id=to_stage_id, triggered_at=int(time.time() * 1000))
    db.session.add(row)
    return row


def _apply(sandbox, account_id: str, posting_id: str, people: list[str]) -> list[dict]:
    return sandbox.admin("POST", "/_admin/applications", {"account_id": account_id, "applications": [
        {"posting_id": posting_id, "name": name, "email": f"{name.lower().replace(' ', '.')}@example.com"}
        for name in people]})


def _reads(sandbox, opp_id: str) -> int:
    return sum(1 for c in sandbox.calls() if c["method"] == "GET" and c["path"] == f"/v1/opportunities/{opp_id}")


def test_a_new_application_behind_a_stage_change_backlog_is_invited_in_the_first_pass(app, sandbox, make_org):
    point_app_at_fast_sandbox(app, sandbox)
    _, connection, account_id, postings, stages = connected_org(sandbox, make_org, 0)
    busy = _apply(sandbox, account_id, postings["Senior Data Analyst"], [f"Busy {n}" for n in range(3)])
    screen, review = stages["Phone Screen"], stages["Hiring Manager Review"]
    for _ in range(40):  # 120 stage changes for 3 candidates, older than the new application
        for opp in busy:
            _queue(connection, "candidateStageChange", opp["id"], screen)
    for opp in busy:
        sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/stage", {"stage_id": review})
        _queue(connection, "candidateStageChange", opp["id"], review)
    [new] = _apply(sandbox, account_id, postings["Data Analyst"], ["New Applicant"])
    newest = _queue(connection, "applicationCreated", new["id"])
    db.session.commit()
    sandbox.admin("POST", "/_admin/calls/clear")

    assert inbox.run_inbox(limit=20) == 124  # one pass: every delivery, four evaluations
    assert db.session.get(InboxDelivery, newest.id).state == "done"
    assert db.session.scalar(select(func.count(InboxDelivery.id)).where(InboxDelivery.state != "done")) == 0
    assert {_reads(sandbox, o["id"]) for o in busy} == {1}  # 41 deliveries each, Lever read once
    new_opp = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == new["id"]))
    invited = set(db.session.scalars(select(Invitation.opportunity_id)))
    assert new_opp.id in invited
    assert len(invited) == 4  # the folded stage changes still reached the invitation stage
    assert db.session.scalar(select(func.count(SyncEvent.id)).where(
        SyncEvent.summary.like("41 webhooks (“%”) received for one candidate: Lever read once."))) == 3


def test_a_stage_passed_through_before_the_read_still_invites_when_folded(app, sandbox, make_org):
    point_app_at_fast_sandbox(app, sandbox)
    _, connection, account_id, postings, stages = connected_org(sandbox, make_org, 0)
    [opp] = _apply(sandbox, account_id, postings["Senior Data Analyst"], ["Quick Mover"])
    sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/stage", {"stage_id": stages["On-site"]})
    _queue(connection, "candidateStageChange", opp["id"], stages["Hiring Manager Review"])
    _queue(connection, "candidateStageChange", opp["id"], stages["On-site"])
    db.session.commit()

    assert inbox.run_inbox() == 2
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


def test_organisations_take_turns_so_a_busy_customer_cannot_delay_another(app, sandbox, make_org):
    point_app_at_fast_sandbox(app, sandbox)
    _, busy_connection, busy_account, busy_postings, _ = connected_org(sandbox, make_org, 0)
    _, calm_connection, calm_account, calm_postings, _ = connected_org(sandbox, make_org, 1)
    crowd = _apply(sandbox, busy_account, busy_postings["Data Analyst"], [f"Crowd {n}" for n in range(30)])
    for opp in crowd:
        _queue(busy_connection, "applicationCreated", opp["id"])
    [calm] = _apply(sandbox, calm_account, calm_postings["Data Analyst"], ["Calm Applicant"])
    newest = _queue(calm_connection, "applicationCreated", calm["id"])
    db.session.commit()

    assert inbox.run_inbox(limit=5) == 5
    assert db.session.get(InboxDelivery, newest.id).state == "done"  # in the first pass, not the seventh
    assert db.session.scalar(select(func.count(InboxDelivery.id)).where(InboxDelivery.state == "done")) == 5


def test_the_outbox_serves_organisations_in_turn(app, make_org):
    from dashboard.lever.sync import outbox

    busy, calm = make_org("Busy Org"), make_org("Calm Org")
    for n in range(30):
        outbox.enqueue(organisation_id=busy.id, kind="send_invitation", key=f"busy-{n}")
    db.session.commit()
    late = outbox.enqueue(organisation_id=calm.id, kind="send_invitation", key="calm-0")
    db.session.commit()

    first = outbox.due_ids(set(), limit=5)
    assert late.id in first and len(first) == 5
    busy_ids = sorted(i for i in first if i != late.id)
    oldest = min(busy_ids)
    assert busy_ids == [oldest, oldest + 1, oldest + 28, oldest + 29]  # the busy queue's two ends


def test_a_new_applicant_behind_a_burst_gets_the_invitation_email_in_the_next_worker_pass(app, sandbox, make_org,
                                                                                           smtp_server):
    """A burst already read (its 180 effects queued) and a burst still in the inbox: taken oldest first
    only, the next applicant would wait for every one of them; from both ends, the next pass of the
    worker sends its email."""
    from dashboard.jobs.worker import run_once

    point_app_at_fast_sandbox(app, sandbox)
    _, connection, account_id, postings, _ = connected_org(sandbox, make_org, 0)
    read = _apply(sandbox, account_id, postings["Data Analyst"], [f"Read {n}" for n in range(60)])
    for opp in read:
        _queue(connection, "applicationCreated", opp["id"])
    db.session.commit()
    while inbox.run_inbox():
        pass
    waiting = _apply(sandbox, account_id, postings["Data Analyst"], [f"Waiting {n}" for n in range(60)])
    for opp in waiting:
        _queue(connection, "applicationCreated", opp["id"])
    db.session.commit()
    [new] = _apply(sandbox, account_id, postings["Data Analyst"], ["New Applicant"])
    _queue(connection, "applicationCreated", new["id"])
    db.session.commit()

    run_once()

    received = [m["To"] for m in smtp_server.messages]
    assert "new.applicant@example.com" in received
    assert "read.0@example.com" in received  # the longest-waiting still go first
    assert 0 < len(received) < 20


def test_the_outbox_serves_the_oldest_and_the_newest_rows_in_turn(app, make_org):
    from dashboard.lever.sync import outbox

    org = make_org("Busy Org")
    rows = [outbox.enqueue(organisation_id=org.id, kind="send_invitation", key=f"row-{n}") for n in range(30)]
    db.session.commit()

    ids = [r.id for r in rows]
    assert outbox.due_ids(set(), limit=5) == [ids[0], ids[-1], ids[1], ids[-2], ids[2]]
