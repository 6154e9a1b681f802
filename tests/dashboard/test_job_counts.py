"""The Overview's and Linked jobs' counts are kept per job in the transaction of each change; after every kind
of change (invite, start, complete, cancel, expire, archive, delete, a job change, an invitation removed) they
equal a recount from the records, and the pages show that recount."""

from __future__ import annotations

import re

from sqlalchemy import case, func, select, update

from dashboard.accounts.services import find_user_by_email
from dashboard.attempts import services as attempts
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.lever.sync import job_counts, rules
from dashboard.lever.sync.models import Invitation, LeverOpportunity, LeverPosting, SyncEvent
from dashboard.lever.views import candidate_list
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.sync import reconcile

STAFF = Actor("recruiter@example.com")


def records_funnels(org_id: int) -> dict[str, tuple[int, ...]]:
    """Per job title, from the records: (applied, invited, started, completed, passed, not invited)."""
    live = (LeverOpportunity.organisation_id == org_id, LeverOpportunity.deleted.is_(False))
    applied = dict(db.session.execute(select(LeverOpportunity.posting_lever_id, func.count()).where(
        *live, LeverOpportunity.posting_lever_id.is_not(None)).group_by(LeverOpportunity.posting_lever_id)).all())
    per_job = {p: [n, 0, 0, 0, 0, n] for p, n in applied.items()}
    for posting, invited, started, completed, passed, opps in db.session.execute(
            select(LeverOpportunity.posting_lever_id, func.count(Invitation.id),
                   func.sum(case((Attempt.status.in_(("in_progress", "completed")), 1), else_=0)),
                   func.sum(case((Attempt.status == "completed", 1), else_=0)),
                   func.sum(case(((Attempt.status == "completed") & (Attempt.final_score >= Attempt.passing_score),
                                  1), else_=0)),
                   func.count(func.distinct(LeverOpportunity.id)))
            .join(Invitation, Invitation.opportunity_id == LeverOpportunity.id)
            .join(Attempt, Attempt.id == Invitation.attempt_id).where(*live)
            .group_by(LeverOpportunity.posting_lever_id)):
        row = per_job.setdefault(posting, [0, 0, 0, 0, 0, 0])
        row[1:] = [invited, int(started), int(completed), int(passed), max(0, row[0] - opps)]
    titles = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text)).all())
    return {titles.get(p, p): tuple(v) for p, v in per_job.items()}


def records_statuses(org_id: int) -> dict[str, int]:
    """Invitations by attempt status, from the records."""
    return dict(db.session.execute(select(Attempt.status, func.count(Invitation.id))
                                   .join(Invitation, Invitation.attempt_id == Attempt.id)
                                   .where(Invitation.organisation_id == org_id).group_by(Attempt.status)).all())


def page_funnels(html: str) -> dict[str, tuple[int, ...]]:
    found = {}
    for figure in re.findall(r"<figure.*?</figure>", html, re.S):
        label = re.search(r'aria-label="Funnel for (.*?): Applied (\d+), Invited (\d+), Started (\d+), '
                          r'Completed (\d+), Passed (\d+)"', figure)
        not_invited = re.search(r">(\d+) not invited</a>", figure)
        found[label.group(1)] = (*map(int, label.groups()[1:]), int(not_invited.group(1)) if not_invited else 0)
    return found


def page_statuses(html: str) -> dict[str, int]:
    rows = re.findall(r'status=(\w+)">[^<]+</a></th><td class="right">(\d+)<', html)
    return {status: int(n) for status, n in rows if int(n)}


def assert_counts_true(world, org_id: int) -> None:
    """Stored counts equal a recount from the records; the Overview shows the records' figures."""
    db.session.commit()
    db.session.expire_all()
    before = job_counts.stored_counts(org_id)
    assert job_counts.recount(org_id) is False, before  # nothing to repair
    db.session.rollback()
    html = world.client.get("/lever/").get_data(as_text=True)
    assert page_funnels(html) == records_funnels(org_id)
    statuses = records_statuses(org_id)
    not_invited = db.session.scalar(select(func.count()).select_from(LeverOpportunity).where(
        *candidate_list.not_invited(org_id)))
    if not_invited:
        statuses["not_invited"] = not_invited
    assert page_statuses(html) == statuses


def _opp(email: str) -> LeverOpportunity:
    return db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.email == email))


def test_counts_equal_a_recount_after_every_kind_of_change(world):
    org_id = world.connection.organisation_id
    ada = world.apply("Data Analyst", "Ada One", "ada@example.com")
    world.apply("Data Analyst", "Bo Two", "bo@example.com")
    cy = world.apply("Data Analyst", "Cy Three", "cy@example.com")
    world.apply("Data Engineer", "Dee Untagged", "dee@example.com")  # applied, not invited
    world.step(4)
    db.session.add(LeverOpportunity(organisation_id=org_id, connection_id=world.connection.id, lever_id="opp-old",
                                    posting_lever_id=world.postings["Data Analyst"], name="Old Record"))
    assert_counts_true(world, org_id)  # invite (and one recorded before decisions were: no reason yet)
    assert records_funnels(org_id)["Data Analyst"][:2] == (4, 3)

    take(attempt_for("ada@example.com"))
    assert_counts_true(world, org_id)  # start
    owner = find_user_by_email("owner@acme.example")
    finish_and_evaluate(attempt_for("ada@example.com"), 10, owner.id)
    world.drain()
    assert_counts_true(world, org_id)  # complete (and pass or not, by the score)
    assert records_funnels(org_id)["Data Analyst"][3] == 1

    attempts.cancel_attempt(attempt_for("bo@example.com").id, "Role filled", actor=STAFF)
    assert_counts_true(world, org_id)  # cancel
    attempts.expire_attempt(attempt_for("cy@example.com").id)
    assert_counts_true(world, org_id)  # expire

    world.act(ada["id"], "archive")
    world.step(5)
    assert_counts_true(world, org_id)  # archive

    rules.forget_opportunity(world.connection, cy["id"])  # what candidateDeleted does
    assert_counts_true(world, org_id)  # delete
    assert records_funnels(org_id)["Data Analyst"][0] == 3

    bo = _opp("bo@example.com")
    bo.posting_lever_id = world.postings["Data Engineer"]  # moved to another job
    assert_counts_true(world, org_id)
    db.session.delete(db.session.scalar(select(Invitation).where(Invitation.opportunity_id == bo.id)))
    assert_counts_true(world, org_id)  # an invitation removed: Bo counts as not invited again


def test_reconciliation_repairs_counts_changed_behind_the_orm(world):
    org_id = world.connection.organisation_id
    world.apply("Data Analyst", "Ada One", "ada@example.com")
    world.step(1)
    db.session.execute(update(Attempt).values(status="in_progress"))  # a bulk write: no flush to follow
    db.session.commit()
    assert page_funnels(world.client.get("/lever/").get_data(as_text=True))["Data Analyst"][2] == 0
    reconcile(world)
    db.session.expire_all()
    assert job_counts.recount(org_id) is False
    assert page_funnels(world.client.get("/lever/").get_data(as_text=True)) == records_funnels(org_id)
    assert records_funnels(org_id)["Data Analyst"][2] == 1
    assert db.session.scalar(select(SyncEvent).where(SyncEvent.kind == "repair",
                                                     SyncEvent.summary.like("%counts per job%"))) is not None


def test_the_migration_fills_the_counts_from_existing_records(app, dash):
    from flask_migrate import downgrade, stamp, upgrade

    from dashboard.lever.sync.job_counts import JobCount

    analyst, engineer = dash.postings["Data Analyst"], dash.postings["Data Engineer"]
    dash.invite("Ada One", "ada@example.com", analyst, status="completed", score=90)
    dash.invite("Bo Two", "bo@example.com", analyst, status="completed", score=20)
    dash.invite("Cy Three", "cy@example.com", engineer, status="cancelled")
    gone = dash.invite("Dee Four", "dee@example.com", analyst, status="expired")
    db.session.get(LeverOpportunity, gone.id).deleted = True  # the fixture gives opportunity and candidate one id
    db.session.add_all([
        LeverOpportunity(organisation_id=dash.org.id, connection_id=dash.connection.id, lever_id="opp-held",
                         posting_lever_id=analyst.lever_id, reason_code="backfill_held"),
        LeverOpportunity(organisation_id=dash.org.id, connection_id=dash.connection.id, lever_id="opp-new",
                         posting_lever_id=None)])
    db.session.commit()
    kept = job_counts.stored_counts(dash.org.id)
    assert kept and job_counts.recount(dash.org.id) is False
    db.session.rollback()
    stamp()
    downgrade(revision="b7c4e1a9d2f0")  # the table goes, and comes back filled from the records
    upgrade()
    db.session.expire_all()
    assert job_counts.stored_counts(dash.org.id) == kept
    assert db.session.scalar(select(func.count()).select_from(JobCount)) == len(kept)


def test_a_rolled_back_change_or_savepoint_adds_nothing(dash):
    from dashboard.attempts.models import Attempt

    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    db.session.commit()
    kept = job_counts.stored_counts(dash.org.id)
    attempt = db.session.scalar(select(Attempt))
    attempt.status = "in_progress"
    db.session.flush()
    db.session.rollback()  # the whole transaction
    db.session.commit()
    assert job_counts.stored_counts(dash.org.id) == kept

    with db.session.begin_nested():
        db.session.scalar(select(Attempt)).status = "completed"  # released: it counts at the commit
    savepoint = db.session.begin_nested()
    db.session.scalar(select(Attempt)).status = "cancelled"
    db.session.flush()
    savepoint.rollback()  # this one is undone, and its difference with it
    db.session.commit()
    assert db.session.scalar(select(Attempt)).status == "completed"
    assert job_counts.recount(dash.org.id) is False
    assert sum(v["completed"] for v in job_counts.stored_counts(dash.org.id).values()) == 1
