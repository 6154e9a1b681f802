"""Linked jobs' controls: the postings refresh (queued for the worker, its progress shown, admins only)
and a change of tag prefix that says what it would unlink and waits for a confirmation."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun
from tests.support.clients import login

SETTINGS = "/settings/integrations/lever/settings"


def _settings(dash, brand: str, **extra) -> dict:
    return {"perform_as_user_id": "u1", "reuse_days": "180", "tag_brand": brand, **extra}


def _with_users(dash) -> None:
    dash.connection.lever_users = [{"id": "u1", "name": "Sam Super", "email": "sam@x", "accessRole": "super admin"}]
    db.session.commit()


def test_a_new_tag_prefix_says_how_many_jobs_it_unlinks_and_saves_only_once_confirmed(client, dash):
    _with_users(dash)
    dash.posting("BI Analyst", ["Alooba Assessment - Data Analyst Assessment"])
    db.session.commit()
    resp = client.post(SETTINGS, data=_settings(dash, "Acme"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "would unlink 2 linked jobs:</strong> BI Analyst, Data Analyst" in html and "Nothing is saved yet" in html
    assert 'name="confirm_prefix" value="Acme"' in html
    db.session.expire_all()
    assert dash.connection.tag_brand == "Alooba"
    assert client.post(SETTINGS, data=_settings(dash, "Acme", confirm_prefix="Other")).status_code == 409
    resp = client.post(SETTINGS, data=_settings(dash, "Acme", confirm_prefix="Acme"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert dash.connection.tag_brand == "Acme"
    jobs = client.get("/lever/jobs").get_data(as_text=True)
    assert "No linked jobs yet" in jobs and "Acme Assessment - Data Analyst Assessment" in jobs


def test_a_prefix_change_that_unlinks_nothing_saves_at_once(client, dash):
    _with_users(dash)
    dash.postings["Data Analyst"].tags = ["Acme Assessment - Data Analyst Assessment"]
    db.session.commit()
    assert client.post(SETTINGS, data=_settings(dash, "Acme")).status_code == 302
    db.session.expire_all()
    assert dash.connection.tag_brand == "Acme"
    assert "on application" in client.get("/lever/jobs").get_data(as_text=True)


def test_refresh_queues_a_postings_run_and_shows_it_done(client, dash, make_user):
    html = client.get("/lever/jobs").get_data(as_text=True)
    assert 'hx-post="/lever/jobs/refresh"' in html and "within 5 minutes" in html
    resp = client.post("/lever/jobs/refresh", headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Reading the postings" in body and 'hx-trigger="every 1s"' in body
    assert client.post("/lever/jobs/refresh", headers={"HX-Request": "true"}).status_code == 200
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "postings")).all()
    assert [(r.status, r.trigger) for r in runs] == [("queued", "manual")]  # not queued twice
    runs[0].status, runs[0].finished_at, runs[0].changes = "ok", utcnow(), {"postings": 3, "linked": 1}
    db.session.commit()
    done = client.get("/lever/jobs/refresh/status").get_data(as_text=True)
    assert "Refreshed" in done and "3 postings read" in done and "every 1s" not in done

    client.post("/logout")
    login(client, make_user("recruiter", org=dash.org))
    html = client.get("/lever/jobs").get_data(as_text=True)
    assert "/lever/jobs/refresh\"" not in html.replace("/lever/jobs/refresh/status", "")
    assert client.post("/lever/jobs/refresh").status_code == 403
