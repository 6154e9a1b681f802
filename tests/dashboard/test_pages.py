"""Overview, linked jobs, candidates, candidate detail and activity through the test client."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, InboxDelivery
from tests.support.clients import login


def body(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def names_in(html: str) -> list[str]:
    """Candidate names in table order."""
    return re.findall(r'class="cand-name"[^>]*>([^<]+)<', html)


def test_overview_shows_connection_counts_funnel_and_attention(client, dash):
    job = dash.postings["Data Analyst"]
    dash.invite("Ada One", "ada@example.com", job, status="completed", score=90)
    dash.invite("Bo Two", "bo@example.com", job, status="in_progress")
    dash.invite("Cy Three", "cy@example.com", job, effect_state="dead")
    db.session.commit()
    html = body(client.get("/lever/"))
    assert "<title>Overview" in html
    assert "Connected" in html and dash.connection.lever_account_id in html
    assert "1 needs attention" in html and "Cy Three" in html  # named, with its cause
    assert 'aria-label="Funnel for Data Analyst: Applied 3, Invited 3, Started 2, Completed 1, Passed 1"' in html
    assert "<svg" in html


def test_overview_without_connection_says_what_to_do(client, make_user):
    login(client, make_user("owner"))
    html = body(client.get("/lever/"))
    assert "Not connected" in html and "Organisation settings" in html
    assert "No applicants yet" in html


def test_linked_jobs_resolve_warn_and_suggest(client, dash):
    dash.posting("Analyst (typo)", ["Alooba Assessment - data analyst assessment"])
    dash.posting("Staged", ["Alooba Assessment - Data Analyst Assessment",
                            "Alooba Assessment Stage - Nowhere"])
    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"], status="completed", score=70)
    db.session.commit()
    html = body(client.get("/lever/jobs"))
    assert "Data Analyst Assessment" in html
    assert "on application" in html
    assert "stage not found" in html
    assert "Not linked" in html
    assert "Data Engineer" in html  # collapsed untagged posting
    assert ">Alooba Assessment - Data Analyst Assessment</code>" in html


def test_linked_jobs_without_connection(client, make_user):
    login(client, make_user("owner"))
    assert "Connect Lever" in body(client.get("/lever/jobs"))


def test_candidates_search_filters_sort(client, dash):
    job, other = dash.postings["Data Analyst"], dash.posting("BI Analyst", ["Alooba Assessment - X"])
    dash.invite("Zoe Zed", "zoe@example.com", job, status="completed", score=40)
    dash.invite("Amy Ant", "amy@corp.example", job, status="completed", score=95)
    dash.invite("Max Mid", "max@example.com", other, status="invited", effect_state="pending")
    dash.invite("Fay Fail", "fay@example.com", other, status="invited", effect_state="dead")
    db.session.commit()
    assert names_in(body(client.get("/lever/candidates?sort=name"))) == ["Amy Ant", "Fay Fail", "Max Mid",
                                                                         "Zoe Zed"]
    assert names_in(body(client.get("/lever/candidates?sort=score")))[:2] == ["Amy Ant", "Zoe Zed"]
    assert names_in(body(client.get("/lever/candidates?q=AMY@corp"))) == ["Amy Ant"]  # email prefix
    assert names_in(body(client.get("/lever/candidates?q=corp.example"))) == ["Amy Ant"]  # inside the email
    assert names_in(body(client.get("/lever/candidates?q=ant"))) == ["Amy Ant"]  # inside the name (surname)
    assert names_in(body(client.get("/lever/candidates?q=ZOE"))) == ["Zoe Zed"]
    assert names_in(body(client.get(f"/lever/candidates?job={other.lever_id}&sort=name"))) == ["Fay Fail",
                                                                                               "Max Mid"]
    assert names_in(body(client.get("/lever/candidates?status=completed&sort=name"))) == ["Amy Ant", "Zoe Zed"]
    assert names_in(body(client.get("/lever/candidates?sync=failed"))) == ["Fay Fail"]
    assert names_in(body(client.get("/lever/candidates?sync=pending"))) == ["Max Mid"]
    assert names_in(body(client.get("/lever/candidates?sync=ok&sort=name"))) == ["Amy Ant", "Zoe Zed"]
    assert names_in(body(client.get(f"/lever/candidates?assessment={dash.assessment.id}&q=amy"))) == ["Amy Ant"]
    html = body(client.get("/lever/candidates?q=amy"))
    assert "95%" in html and "4 - Strong Hire" in html
    assert 'href="https://hire.example/candidates/' in html


def test_candidates_pagination_and_partial(client, dash):
    job = dash.postings["Data Analyst"]
    for i in range(30):
        dash.invite(f"Person {i:02d}", f"p{i:02d}@example.com", job)
    db.session.commit()
    first = body(client.get("/lever/candidates?sort=name"))
    assert names_in(first) == [f"Person {i:02d}" for i in range(25)]
    after = re.search(r'href="([^"]*after=[^"]*)">Next page', first).group(1).replace("&amp;", "&")
    assert "sort=name" in after  # the filters ride along
    second = body(client.get(after))
    assert names_in(second) == [f"Person {i}" for i in range(25, 30)]
    assert "Next page" not in second and "First page" in second
    partial = body(client.get("/lever/candidates?sort=name", headers={"HX-Request": "true"}))
    assert "<html" not in partial and len(names_in(partial)) == 25


def test_candidates_bad_input_is_ignored_never_an_error(client, dash):
    assert client.get("/lever/candidates?assessment=x").status_code == 400
    for query in ("page=abc", "assessment=999999", "after=%%%", "after=bm90IGpzb24",
                  "after=WyJ4IiwwLDFd", "sort=evil&sync=nope&status=%3Cx%3E", "job=" + "x" * 500):
        assert client.get("/lever/candidates?" + query).status_code == 200, query


def test_candidates_empty_states(client, dash):
    html = body(client.get("/lever/candidates"))
    assert "apply to a linked Lever job" in html
    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    db.session.commit()
    assert "No candidates match" in body(client.get("/lever/candidates?q=nobody"))


def test_candidate_detail_shows_attempts_history_and_actions(client, dash):
    cand = dash.invite("Fay Fail", "fay@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.commit()
    html = body(client.get(f"/lever/candidates/{cand.id}"))
    assert "Fay Fail" in html and "Data Analyst Assessment" in html
    assert "Invited to Data Analyst Assessment" in html
    assert "Retry" in html and "Resync from Lever" in html and "Resend invitation" in html
    assert "hx-trigger" not in html  # nothing pending: no polling


def test_candidate_detail_polls_while_work_is_pending(client, dash):
    cand = dash.invite("Max Mid", "max@example.com", dash.postings["Data Analyst"], effect_state="pending")
    db.session.commit()
    html = body(client.get(f"/lever/candidates/{cand.id}"))
    assert 'hx-trigger="every 2s"' in html
    partial = body(client.get(f"/lever/candidates/{cand.id}", headers={"HX-Request": "true"}))
    assert partial.lstrip().startswith("<section") or 'id="candidate-sync"' in partial
    assert "<html" not in partial


def test_retry_requeues_a_dead_effect(client, dash):
    cand = dash.invite("Fay Fail", "fay@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.commit()
    effect = db.session.query(Effect).filter_by(candidate_id=cand.id).one()
    resp = client.post(f"/lever/effects/{effect.id}/retry")
    assert resp.status_code == 302
    db.session.refresh(effect)
    assert effect.state == "pending"


def test_resend_invitation_queues_a_fresh_email_and_comes_back(client, dash):
    from dashboard.mail.models import MailMessage

    cand = dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    db.session.commit()
    attempt = cand.attempts[0]
    page = client.get(f"/lever/candidates/{cand.id}").get_data(as_text=True)
    assert f'action="/people/attempts/{attempt.id}/resend"' in page
    resp = client.post(f"/people/attempts/{attempt.id}/resend", data={"back": f"/lever/candidates/{cand.id}"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/lever/candidates/{cand.id}")
    assert db.session.query(MailMessage).filter_by(to="ada@example.com").count() == 1
    evil = client.post(f"/people/attempts/{attempt.id}/resend", data={"back": "//evil.example/x"})
    assert evil.headers["Location"].endswith(f"/lever/candidates/{cand.id}")


def test_other_organisations_objects_are_404(client, dash, make_user):
    cand = dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.commit()
    effect = db.session.query(Effect).filter_by(candidate_id=cand.id).one()
    attempt_id = cand.attempts[0].id
    client.post("/logout")
    login(client, make_user("owner"))
    assert client.get(f"/lever/candidates/{cand.id}").status_code == 404
    assert client.post(f"/lever/candidates/{cand.id}/resync").status_code == 404
    assert client.post(f"/lever/effects/{effect.id}/retry").status_code == 404
    assert client.post(f"/lever/attempts/{attempt_id}/resend").status_code == 404
    assert "Ada One" not in body(client.get("/lever/candidates"))


def test_activity_lists_deliveries_and_failures_with_filters(client, dash):
    cand = dash.invite("Fay Fail", "fay@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.add(InboxDelivery(organisation_id=dash.org.id, connection_id=dash.connection.id, token="t1",
                                 event="applicationCreated", opportunity_lever_id="opp-abc", triggered_at=1,
                                 received_at=utcnow(), state="done"))
    db.session.commit()
    html = body(client.get("/lever/activity"))
    assert "Application created" in html and "opp-abc" in html and "Lever answered 500" in html
    assert f"/lever/candidates/{cand.id}" in html
    webhooks_only = body(client.get("/lever/activity?kind=webhooks"))
    assert "Application created" in webhooks_only and "Lever answered 500" not in webhooks_only
    failures_only = body(client.get("/lever/activity?kind=failures"))
    assert "Application created" not in failures_only and "Lever answered 500" in failures_only


def test_activity_empty_states(client, dash):
    html = body(client.get("/lever/activity"))
    assert "Nothing written to Lever or sent yet" in html and "No deliveries yet" in html


def test_recruiter_reads_but_sees_no_enable_or_disconnect(client, dash, make_user):
    client.post("/logout")
    recruiter = make_user("recruiter", org=dash.org)
    login(client, recruiter)
    for url in ("/lever/", "/lever/jobs", "/lever/candidates", "/lever/activity"):
        html = body(client.get(url))
        assert "Disconnect" not in html and "Enable" not in html
    settings = client.get("/settings")  # recruiters read the organisation's settings, without the controls
    assert settings.status_code == 200
    html = settings.get_data(as_text=True)
    assert ">Disconnect<" not in html and ">Enable<" not in html


def test_anonymous_is_sent_to_login(app):
    anon = app.test_client()
    for url in ("/lever/", "/lever/jobs", "/lever/candidates", "/lever/activity", "/lever/candidates/1"):
        resp = anon.get(url)
        assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login", url


def test_counts_follow_each_change_at_once(client, dash):
    from dashboard.attempts.models import Attempt

    job = dash.postings["Data Analyst"]
    dash.invite("Ada One", "ada@example.com", job)
    db.session.commit()
    assert "Applied 1, Invited 1, Started 0" in body(client.get("/lever/"))
    dash.invite("Bo Two", "bo@example.com", job)
    db.session.commit()
    assert "Applied 2, Invited 2, Started 0" in body(client.get("/lever/"))
    for attempt in db.session.scalars(db.select(Attempt)):
        attempt.status = "in_progress"
    db.session.commit()
    assert "Applied 2, Invited 2, Started 2" in body(client.get("/lever/"))  # no cache to wait out


def test_activity_shows_scheduler_runs(client, dash):
    from dashboard.jobs.models import JobRun

    db.session.add(JobRun(job="reconcile", organisation_id=dash.org.id, status="failed",
                          summary="Lever answered 503 twice"))
    db.session.commit()
    html = body(client.get("/lever/activity?kind=scheduler"))
    assert "reconcile" in html and "Lever answered 503 twice" in html
    assert "applicationCreated" not in html


def test_search_treats_percent_and_underscore_literally(client, dash):
    job = dash.postings["Data Analyst"]
    dash.invite("Ann Plain", "ann@example.com", job)
    dash.invite("Bea Under", "bea_x@example.com", job)
    db.session.commit()
    assert names_in(body(client.get("/lever/candidates?q=%25"))) == []
    assert names_in(body(client.get("/lever/candidates?q=bea_x"))) == ["Bea Under"]
    assert names_in(body(client.get("/lever/candidates?q=b_a"))) == []
    assert names_in(body(client.get("/lever/candidates?q=bea%25"))) == []
