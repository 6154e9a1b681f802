"""The drift check of each reconciliation run, against the sandbox: what Lever should show for live attempts
is repaired even when the opportunity did not change in Lever, within a per-run budget of re-reads."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import delete, select

from dashboard.accounts.services import find_user_by_email
from dashboard.attempts import services as attempts
from dashboard.attempts.events import Actor
from dashboard.core.clock import utcnow
from dashboard.core.scores import format_score
from dashboard.extensions import db
from dashboard.jobs.runs import run_job
from dashboard.lever.sync.models import Effect, LeverOpportunity, ReconcileState, SyncEvent
from tests.support.attempts import attempt_for, take
from tests.support.sync import field, status_tags

INVITED = "Alooba - Invited"


def _reconcile(world) -> dict:
    """One postings + opportunities run, then the worker; the opportunities run's changes."""
    runs = run_job("postings") + run_job("opportunities")
    assert all(r.status == "ok" for r in runs), [r.error for r in runs]
    world.drain()
    return next(r for r in runs if r.job == "opportunities").changes


def _unchanged_in_lever(world, *opp_ids: str) -> None:
    """Make the listing miss these opportunities, as if Lever had reported nothing new about them: they
    are recorded at their current version and the watermark is past their last change."""
    for opp_id in opp_ids:
        row = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == opp_id))
        row.lever_updated_at = world.opportunity(opp_id)["updatedAt"]
    world.app.config["RECONCILE_OVERLAP_SECONDS"] = 0
    for state in db.session.scalars(select(ReconcileState)):
        state.watermark_ms = int((utcnow() + timedelta(hours=1)).timestamp() * 1000)
    db.session.commit()


def _remove_by_hand(world, opp_id: str, tag: str, what: str = "Tag") -> None:
    """A recruiter removes a tag (or a link) in the sandbox's UI."""
    resp = requests.post(f"{world.sandbox.url}/candidates/{opp_id}/remove{what}", data={"value": tag}, timeout=10)
    assert resp.status_code == 200
    assert tag not in world.opportunity(opp_id)[what.lower() + "s"]


def _reads(world, opp_id: str) -> int:
    path = f"/v1/opportunities/{opp_id}"
    return len([c for c in world.sandbox.calls() if c["method"] == "GET" and c["path"] == path])


def test_a_status_tag_removed_by_hand_is_restored_by_the_next_run_though_the_listing_sees_no_change(world):
    opp_id = world.apply("Data Analyst", "Ada Drift", "adadrift@example.com")["id"]
    world.step(1)
    _reconcile(world)
    _remove_by_hand(world, opp_id, INVITED)
    _unchanged_in_lever(world, opp_id)
    changes = _reconcile(world)
    assert changes["applied"] == 0  # the listing skipped it: nothing new in Lever
    assert changes["drift_reread"] == 1 and changes["drift_repaired"] == 1
    assert status_tags(world.opportunity(opp_id)) == {INVITED}
    assert "Repairing what differs in Lever: status tag." in db.session.scalars(select(SyncEvent.summary)).all()
    again = _reconcile(world)  # nothing left to repair
    assert again["drift_repaired"] == 0 and again["effects"] == 0


def test_each_run_re_reads_at_most_its_budget_oldest_checked_first(world):
    ids = [world.apply("Data Analyst", f"Budget {i}", f"budget{i}@example.com")["id"] for i in range(3)]
    world.step(3)
    _reconcile(world)
    world.app.config["RECONCILE_DRIFT_BUDGET"] = 1
    rows = {r.lever_id: r for r in db.session.scalars(select(LeverOpportunity))}
    for age, opp_id in zip((1, 3, 2), ids, strict=True):  # checked 1, 3 and 2 hours ago
        rows[opp_id].last_checked_at = utcnow() - timedelta(hours=age)
        _remove_by_hand(world, opp_id, INVITED)
    _unchanged_in_lever(world, *ids)
    before = {opp_id: _reads(world, opp_id) for opp_id in ids}
    order = []
    for _ in range(3):
        changes = _reconcile(world)
        assert changes["drift_reread"] == 1
        read = [opp_id for opp_id in ids if _reads(world, opp_id) > before[opp_id]]
        assert len(read) == 1
        order.append(read[0])
        before[read[0]] = _reads(world, read[0])
        assert status_tags(world.opportunity(read[0])) == {INVITED}
    assert order == [ids[1], ids[2], ids[0]]


def test_a_platform_change_whose_write_was_lost_reaches_lever_without_reading_it(world):
    opp_id = world.apply("Data Analyst", "Lost Write", "lostwrite@example.com")["id"]
    world.step(1)
    _reconcile(world)
    world.app.config["RECONCILE_DRIFT_BUDGET"] = 0  # no re-read: only what was written is compared
    attempts.cancel_attempt(attempt_for("lostwrite@example.com").id, "Role filled", actor=Actor("someone"))
    db.session.execute(delete(Effect).where(Effect.state == "pending"))  # the queued status write is lost
    db.session.commit()
    changes = _reconcile(world)
    assert changes["drift_local"] == 1 and changes["drift_reread"] == 0
    assert status_tags(world.opportunity(opp_id)) == set()
    assert _reconcile(world)["drift_local"] == 0


def test_a_link_and_a_job_tag_removed_by_hand_are_put_back_by_the_next_run(world):
    opp_id = world.apply("Data Analyst", "Lin Kless", "linkless@example.com")["id"]
    world.step(1)
    _reconcile(world)
    before = world.opportunity(opp_id)
    [link] = [u for u in before["links"] if "/people/" in u or "/candidates/" in u]
    job_tag = next(t for t in before["tags"] if t.startswith("Alooba Assessment - "))
    _remove_by_hand(world, opp_id, link, what="Link")
    _remove_by_hand(world, opp_id, job_tag)
    _unchanged_in_lever(world, opp_id)
    changes = _reconcile(world)
    assert changes["applied"] == 0 and changes["drift_repaired"] == 2  # the link, and the job's tags
    after = world.opportunity(opp_id)
    assert link in after["links"] and job_tag in after["tags"]
    assert after["links"].count(link) == 1 and status_tags(after) == {INVITED}
    summaries = db.session.scalars(select(SyncEvent.summary)).all()
    assert "Repairing what differs in Lever: link, job tags." in summaries


def test_feedback_whose_final_update_was_lost_is_rewritten_in_place_by_the_next_run(world):
    opp_id = world.apply("Data Analyst", "Fay Final", "fayfinal@example.com")["id"]
    world.step(1)
    attempt = attempt_for("fayfinal@example.com")
    take(attempt, correct=4)
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
    attempts.submit_part(attempt.id, manual.part_id, {q.id: "My analysis" for q in manual.part.questions})
    db.session.commit()
    world.drain()
    [form] = world.feedback(opp_id)
    assert field(form, "Rating") in (None, "")  # a part waits for a person: no rating yet
    answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
    attempts.evaluate_attempt(attempt.id, {answer.id: 10}, find_user_by_email("admin@acme.example").id)
    db.session.commit()
    db.session.execute(delete(Effect).where(Effect.state == "pending"))  # the final write is lost
    db.session.commit()
    _unchanged_in_lever(world, opp_id)
    assert field(world.feedback(opp_id)[0], "Rating") in (None, "")  # Lever still shows the provisional form
    changes = _reconcile(world)
    assert changes["repairs"] + changes["drift_repaired"] == 1
    [form] = world.feedback(opp_id)  # the same form, updated: never a second one
    final = attempt_for("fayfinal@example.com").final_score
    assert field(form, "Final score") == format_score(final)
    assert field(form, "Rating") not in (None, "")
    assert "feedback" in next(s for s in db.session.scalars(select(SyncEvent.summary))
                              if s.startswith("Repairing what differs in Lever"))


def test_an_opportunity_the_listing_showed_is_compared_as_listed_and_not_read_again(world):
    opp_id = world.apply("Data Analyst", "Lena Listed", "lenalisted@example.com")["id"]
    calm_id = world.apply("Data Analyst", "Carl Calm", "carlcalm@example.com")["id"]
    world.step(2)
    _reconcile(world)
    _remove_by_hand(world, opp_id, INVITED)
    for lever_id in (opp_id, calm_id):  # the overlap window lists both again at a version already applied
        row = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == lever_id))
        row.lever_updated_at = world.opportunity(lever_id)["updatedAt"]
        row.last_checked_at = None  # first in line for the drift check's re-reads
    db.session.commit()
    before = {lever_id: _reads(world, lever_id) for lever_id in (opp_id, calm_id)}
    changes = _reconcile(world)
    assert changes["applied"] == 0 and changes["listed"] >= 2
    assert changes["repairs"] == 1 and changes["drift_reread"] == 0
    assert {lever_id: _reads(world, lever_id) for lever_id in (opp_id, calm_id)} == before  # data in hand
    assert status_tags(world.opportunity(opp_id)) == {INVITED}
    assert status_tags(world.opportunity(calm_id)) == {INVITED}


def test_an_opportunity_invited_from_the_listing_is_not_read_again_by_the_same_runs_drift_check(world):
    from dashboard.lever.connection.clients import client_for
    from dashboard.lever.sync import drift

    world.sandbox.set_faults(drop_webhooks=True)  # only the listing finds the applicant
    opp_id = world.apply("Data Analyst", "Nell Listed", "nelllisted@example.com")["id"]
    started = utcnow()
    changes = _reconcile(world)  # invites from the listing; the worker then writes everything back
    assert changes["invited"] == 1
    before = _reads(world, opp_id)
    # The drift check of that run, had the writes been done before it: the listed data was compared.
    assert drift.reread_oldest(world.connection, client_for(world.connection), 20, started) == (0, 0, 0)
    assert _reads(world, opp_id) == before == 0
