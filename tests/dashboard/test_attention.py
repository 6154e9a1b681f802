"""Needs attention, from the records: each kind of problem appears named, with its cause and its fix,
for the roles that may use the fix, and leaves by itself once the records say it is put right."""

from __future__ import annotations

import re
from datetime import timedelta

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun, SchedulerLease
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity, ReconcileState
from dashboard.mail.models import MailMessage
from tests.support.clients import login


def page(client, url: str = "/lever/attention") -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def items(html: str) -> list[str]:
    """The text of each Needs attention item, tags stripped."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip()
            for li in re.findall(r'<li class="attention-item".*?</li>\n  ', html, re.S)]


def applicant(dash, name: str, code: str, reason: str, posting="Data Analyst", **kw) -> LeverOpportunity:
    opp = LeverOpportunity(organisation_id=dash.org.id, connection_id=dash.connection.id, lever_id=f"opp-{name}",
                           name=name, email=kw.pop("email", f"{name.split()[0].lower()}@example.com"),
                           posting_lever_id=dash.postings[posting].lever_id, reason_code=code, reason=reason, **kw)
    db.session.add(opp)
    db.session.flush()
    return opp


def test_nothing_needs_attention_when_all_is_well(client, dash):
    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"], status="completed", score=80)
    db.session.commit()
    assert "Nothing needs attention" in page(client, "/lever/")
    assert "Nothing needs attention" in page(client) and items(page(client)) == []


def test_a_failed_lever_write_is_named_with_its_cause_and_leaves_once_retried(client, dash):
    cand = dash.invite("Fay Fail", "fay@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.commit()
    effect = db.session.query(Effect).filter_by(candidate_id=cand.id).one()
    overview = page(client, "/lever/")
    assert "Nothing needs attention" not in overview and "1 needs attention" in overview
    (item,) = items(page(client))
    assert "Fay Fail" in item and "failed after" in item and "Lever answered 500" in item
    html = page(client)
    assert f'action="/lever/effects/{effect.id}/retry"' in html and ">Retry</button>" in html
    resp = client.post(f"/lever/effects/{effect.id}/retry", data={"back": "/lever/attention"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/lever/attention")
    assert items(page(client)) == []
    assert "Nothing needs attention" in page(client, "/lever/")


def test_a_write_that_keeps_failing_appears_from_its_third_try(client, dash):
    cand = dash.invite("Max Mid", "max@example.com", dash.postings["Data Analyst"], effect_state="pending")
    effect = db.session.query(Effect).filter_by(candidate_id=cand.id).one()
    effect.attempts, effect.last_error = 2, "Lever answered 503"
    db.session.commit()
    assert items(page(client)) == []
    effect.attempts = 3
    db.session.commit()
    (item,) = items(page(client))
    assert "Max Mid" in item and "keeps failing (3 tries so far)" in item and "Retry now" in item


def test_a_failing_write_older_than_the_threshold_appears_after_one_try(app, client, dash):
    cand = dash.invite("Max Mid", "max@example.com", dash.postings["Data Analyst"], effect_state="pending")
    effect = db.session.query(Effect).filter_by(candidate_id=cand.id).one()
    effect.attempts, effect.last_error = 1, "Lever answered 500"
    db.session.commit()
    assert items(page(client)) == []  # a first failure, just now: it is retried by itself
    effect.created_at = utcnow() - timedelta(minutes=6)  # ATTENTION_AFTER_SECONDS: 300 by default
    db.session.commit()
    (item,) = items(page(client))
    assert "keeps failing (1 try so far)" in item and "Lever answered 500" in item


def _delivery(dash, token: str, opp_lever_id: str | None, **kw) -> InboxDelivery:
    delivery = InboxDelivery(organisation_id=dash.org.id, connection_id=dash.connection.id, token=token,
                             event=kw.pop("event", "candidateStageChange"), opportunity_lever_id=opp_lever_id,
                             triggered_at=1, **kw)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def test_failed_and_stuck_webhook_deliveries(client, dash):
    cand = dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    opp = db.session.query(LeverOpportunity).filter_by(candidate_id=cand.id).one()
    failed = _delivery(dash, "t1", opp.lever_id, state="failed", attempts=8, error="Lever answered 500")
    _delivery(dash, "t2", "opp-never-read", event="applicationCreated", state="failed", attempts=8)
    _delivery(dash, "t3", "opp-slow", event="applicationCreated", state="pending",
              received_at=utcnow() - timedelta(minutes=20))
    _delivery(dash, "t4", "opp-fresh", event="applicationCreated", state="pending")  # just arrived: fine
    _delivery(dash, "t5", opp.lever_id, state="repaired", attempts=8)
    db.session.commit()
    found = items(page(client))
    assert len(found) == 3, found
    assert any("Ada One" in i and "Candidate stage change" in i and "Lever answered 500" in i for i in found)
    assert any("A new applicant, not read from Lever yet" in i and "Application created" in i for i in found)
    assert any("waited 20 minutes for a worker" in i and "flask worker" in i for i in found)
    resp = client.post(f"/lever/deliveries/{failed.id}/retry", data={"back": "/lever/attention"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert not any("Ada One" in i for i in items(page(client)))


def test_the_backfill_decision_is_offered_to_admins_and_explained_to_recruiters(client, dash, make_user):
    for name in ("Old One", "Old Two"):
        applicant(dash, name, "backfill_held", "Waiting for the backfill decision: in Lever before the connection.")
    db.session.commit()
    (item,) = items(page(client))
    assert "2 applicants already in Lever" in item and "Invite them" in item and "Leave them" in item
    overview = page(client, "/lever/")
    assert "2 applicants</strong> were already on linked jobs" in overview
    client.post("/logout")
    login(client, make_user("recruiter", org=dash.org))
    (item,) = items(page(client))
    assert "Invite them" not in item and "An admin or owner decides." in item
    assert "lever/backfill" not in page(client, "/lever/")
    assert client.post("/lever/backfill", data={"decision": "new_only"}).status_code == 403
    client.post("/logout")
    login(client, dash.owner)
    resp = client.post("/lever/backfill", data={"decision": "new_only", "back": "attention"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/lever/attention")
    assert items(page(client)) == []
    assert db.session.query(LeverOpportunity).filter_by(reason_code="backfill_skipped").count() == 2


def test_a_near_miss_tag_names_the_job_shows_the_difference_and_the_tag_to_copy(client, dash):
    dash.posting("BI Analyst", ["alooba assessment - data  analyst assessment"])
    applicant(dash, "Nia Near", "tag_near_miss", "Not invited: near miss.", posting="BI Analyst")
    db.session.commit()
    html = page(client)
    (item,) = items(html)
    assert "BI Analyst" in item and "1 applicant not invited because of it" in item
    assert 'data-copy="Alooba Assessment - Data Analyst Assessment"' in html
    assert '<mark class="odd" title="extra space">' in html  # the doubled space, visible
    jobs = page(client, "/lever/jobs")
    assert "two spaces in a row" in jobs and 'data-copy="Alooba Assessment - Data Analyst Assessment"' in jobs
    assert re.search(r'id="job-\d+".*?<span class="badge">not linked</span>', jobs, re.S)


def test_an_unusable_email_is_named_with_resync(client, dash):
    opp = applicant(dash, "Nomail Person", "email_unusable", "Not invited: the candidate has no email address "
                    "in Lever.", email=None)
    db.session.commit()
    html = page(client)
    (item,) = items(html)
    assert "Nomail Person" in item and "no email address" in item
    assert f'action="/lever/applicants/{opp.id}/resync"' in html


def test_a_failed_email_is_offered_again_and_leaves_once_a_copy_goes_out(client, dash):
    cand = dash.invite("Ema Mail", "ema@example.com", dash.postings["Data Analyst"])
    attempt = cand.attempts[0]
    db.session.add(MailMessage(organisation_id=dash.org.id, to="ema@example.com", subject="Your invitation",
                               transport="smtp", status="failed", error="550 mailbox unavailable"))
    db.session.commit()
    html = page(client)
    (item,) = items(html)
    assert "Ema Mail" in item and "was not delivered" in item and "550 mailbox unavailable" in item
    assert f'action="/people/attempts/{attempt.id}/resend"' in html
    db.session.add(MailMessage(organisation_id=dash.org.id, to="ema@example.com", subject="Your invitation",
                               transport="smtp", status="sent"))
    db.session.commit()
    assert items(page(client)) == []


def test_a_connection_needing_reconnection_offers_reconnect_to_admins(client, dash):
    dash.connection.status, dash.connection.status_reason = "reconnect_needed", "the refresh token was revoked"
    db.session.commit()
    html = page(client)
    (item,) = items(html)
    assert "the refresh token was revoked" in item and "Reconnect" in item
    assert 'action="/settings/integrations/lever/enable"' in html


def test_webhooks_that_look_switched_off_are_named_until_one_is_heard(client, dash):
    db.session.add(ReconcileState(connection_id=dash.connection.id, organisation_id=dash.org.id, listed_postings=[],
                                  unannounced_runs=1, unannounced_events=["applicationCreated"],
                                  unannounced_after_id=0))
    db.session.commit()
    assert items(page(client)) == []  # one run proves nothing yet
    db.session.get(ReconcileState, dash.connection.id).unannounced_runs = 2
    db.session.commit()
    (item,) = items(page(client))
    assert "Lever webhooks" in item and "Application created" in item and "Webhook checklist" in item
    _delivery(dash, "heard", "opp-x", event="applicationCreated", state="done")
    db.session.commit()
    assert items(page(client)) == []


def test_scheduled_jobs_wait_for_their_first_run_then_are_late(client, dash):
    now = utcnow()
    db.session.add(SchedulerLease(name="scheduler", holder="h", expires_at=now + timedelta(seconds=30),
                                  acquired_at=now - timedelta(minutes=1)))
    db.session.commit()
    overview = page(client, "/lever/")
    assert "Waiting for its first run" in overview and "No success for two intervals" not in overview
    assert items(page(client)) == []
    lease = db.session.get(SchedulerLease, "scheduler")
    lease.acquired_at = now - timedelta(hours=3)
    dash.connection.connected_at = now - timedelta(hours=3)
    db.session.add(JobRun(job="opportunities", organisation_id=dash.org.id, status="ok",
                          started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=2), changes={}))
    db.session.commit()
    found = items(page(client))
    assert any("Opportunities" in i and "two intervals" in i for i in found), found
    assert "No success for two intervals" in page(client, "/lever/")


def test_a_stopped_scheduler_is_one_item(client, dash):
    db.session.add(SchedulerLease(name="scheduler", holder=None, expires_at=None,
                                  acquired_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    (item,) = items(page(client))
    assert "No scheduler is running" in item


def test_the_overview_says_in_words_what_waits_for_the_worker(client, dash):
    dash.invite("Max Mid", "max@example.com", dash.postings["Data Analyst"], effect_state="pending")
    _delivery(dash, "w1", "opp-w", event="applicationCreated", state="pending")
    db.session.commit()
    html = page(client, "/lever/")
    assert "Waiting for the worker: 1 webhook delivery to process, 1 write to Lever." in html
    assert "0 Lever write" not in html
