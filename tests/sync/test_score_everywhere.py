"""One attempt's score reads the same on every page, in the result email (a real SMTP server) and in
Lever's feedback form (the sandbox over HTTP)."""

from __future__ import annotations

import re

from dashboard.assessments.models import Assessment
from dashboard.core.scores import format_score
from dashboard.extensions import db
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.smtp import send_queued_mail
from tests.support.sync import field

# Any percentage a page prints, however it is spaced.
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def test_format_score_rounds_half_up_to_one_decimal():
    assert format_score(77.5) == "77.5%"
    assert format_score(77.25) == "77.3%"  # half up, not to even
    assert format_score(77.45) == "77.5%"
    assert format_score(78.0) == "78%"
    assert format_score(0) == "0%"
    assert format_score(100) == "100%"
    assert format_score(None) == "—"


def test_one_attempt_one_number_on_pages_in_the_email_and_in_lever(world, smtp_server):
    from dashboard.accounts.services import find_user_by_email

    # Invited by hand by the owner (who is told the result), then applying in Lever: the attempt is reused,
    # so Lever's feedback form carries the same attempt.
    analyst = db.session.scalar(db.select(Assessment).where(Assessment.name == "Data Analyst Assessment"))
    invited = world.client.post(f"/people/invite/{analyst.id}",
                                data={"email": "edsger@example.com", "name": "Edsger Dijkstra"})
    assert invited.status_code == 302
    opp = world.apply("Data Analyst", "Edsger Dijkstra", "edsger@example.com")
    world.step(1)
    attempt = attempt_for("edsger@example.com")
    take(attempt, correct=3)  # 75 %
    finish_and_evaluate(attempt, 2, find_user_by_email("admin@acme.example").id)  # 20 %
    world.drain()
    send_queued_mail()
    shown = format_score(attempt.final_score)
    assert shown == "47.5%"  # (75 + 20) / 2: a half that rounding to whole numbers would hide

    pages = {
        "candidates list": "/lever/candidates?q=edsger",
        "candidate page": f"/lever/candidates/{attempt.candidate_id}",
        "evaluate page": f"/people/attempts/{attempt.id}/evaluate",
    }
    for name, url in pages.items():
        resp = world.client.get(url)
        assert resp.status_code == 200, (name, resp.status_code)
        html = resp.get_data(as_text=True)
        assert shown in html, f"{name} does not show {shown}"
        near = {m.group(0) for m in PERCENT.finditer(html) if m.group(1).startswith(("47", "48"))}
        assert near == {shown}, f"{name} shows the score as {near}"

    exported = world.client.get("/lever/candidates/export.csv?q=edsger").get_data(as_text=True)
    rows = [line for line in exported.splitlines() if "edsger@example.com" in line]
    # Invited by hand, then reused by the Lever application: one attempt, one row (the application's).
    assert len(rows) == 1 and f",{shown}," in rows[0] and ",Data Analyst," in rows[0], rows

    form = world.feedback(opp["id"])[0]
    assert field(form, "Final score") == shown
    assert "Written analysis: 20%" in field(form, "Scores by part")

    results = [m for m in smtp_server.messages if m["Subject"].startswith("Result:")]
    assert [m["To"] for m in results] == ["owner@acme.example"]
    for part in results[0].walk():
        if part.get_content_maintype() == "text":
            body = part.get_content()
            assert f"Final score: {shown}" in body or f"Final score: <strong>{shown}</strong>" in body
            near = {m.group(0) for m in PERCENT.finditer(body) if m.group(1).startswith(("47", "48"))}
            assert near == {shown}, f"the email ({part.get_content_type()}) shows the score as {near}"
