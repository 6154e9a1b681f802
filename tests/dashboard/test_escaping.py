"""Lever-sourced text fed through the sandbox comes out escaped on every page."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.attempts.models import Candidate
from dashboard.extensions import db
from dashboard.lever.connection.clients import client_for
from dashboard.lever.sync import catalog

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_posting_title_candidate_name_and_tag_are_escaped(world):  # noqa: F811
    account = world.lever.account_id
    posting = world.sandbox.seed(account_id=account, postings=[{
        "text": f"Analyst {EVIL}",
        "tags": ["Alooba Assessment - Data Analyst Assessment", f"Alooba Assessment - {EVIL}"]}])["postings"][0]
    world.postings["evil"] = posting["id"]
    catalog.refresh_postings(world.connection, client_for(world.connection))
    db.session.commit()
    world.apply("evil", f"Mallory {EVIL}", "mallory@example.com")
    world.step(1)
    cand = db.session.scalar(select(Candidate).where(Candidate.email == "mallory@example.com"))
    assert cand is not None and EVIL in cand.name
    pages = ["/lever/", "/lever/jobs", "/lever/candidates", f"/lever/candidates/{cand.id}", "/lever/activity",
             f"/lever/candidates?job={posting['id']}"]
    for url in pages:
        resp = world.client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        assert EVIL not in html, url
    assert ESCAPED in world.client.get("/lever/jobs").get_data(as_text=True)
    assert ESCAPED in world.client.get("/lever/candidates").get_data(as_text=True)
    assert ESCAPED in world.client.get(f"/lever/candidates/{cand.id}").get_data(as_text=True)
