"""The one candidates list: everyone (Lever or invited by hand), search inside names and emails without
case or accents, filters that combine and stay in the URL, pages by key in at most three queries, the
cached option lists, the streamed CSV export and the bulk actions."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import Select, event, func, select
from sqlalchemy.sql.visitors import iterate

from dashboard.attempts import services as attempts
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt
from dashboard.core.search import normalise
from dashboard.extensions import db
from dashboard.lever.sync.models import InboxDelivery, LeverOpportunity
from dashboard.lever.views import candidate_list
from dashboard.mail.models import MailMessage
from tests.support.clients import login
from tests.support.queries import statements


def body(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def names_in(html: str) -> list[str]:
    return re.findall(r'class="cand-name"[^>]*>([^<]+)<', html)


def _applicant(dash, name: str, email: str, posting, reason: str = "job_not_linked") -> LeverOpportunity:
    opp = LeverOpportunity(organisation_id=dash.org.id, connection_id=dash.connection.id,
                           lever_id=f"opp-{name}", posting_lever_id=posting.lever_id, name=name, email=email,
                           reason_code=reason, reason="Not linked")
    db.session.add(opp)
    db.session.flush()
    return opp


def _by_hand(dash, name: str, email: str) -> Attempt:
    return attempts.invite_candidate(dash.org.id, dash.assessment.id, email, name, actor=Actor.staff(dash.owner))


@pytest.fixture
def people(dash):
    """Two Lever invitations, a Lever applicant not invited and two people invited by hand."""
    job = dash.postings["Data Analyst"]
    dash.invite("Zoë Ångström", "zoe@example.com", job, status="completed", score=72)
    dash.invite("Amy Analyst", "amy@corp.example", job)
    _applicant(dash, "Olga Applicant", "olga@example.com", dash.postings["Data Engineer"])
    _by_hand(dash, "Hank Hand", "hank@hands.example")
    _by_hand(dash, "Ida Analyst-Smith", "ida@example.com")
    db.session.commit()
    return dash


def test_everyone_is_listed_and_opens_the_one_candidate_page(client, people):
    html = body(client.get("/lever/candidates?sort=name"))
    assert names_in(html) == ["Amy Analyst", "Hank Hand", "Ida Analyst-Smith", "Olga Applicant", "Zoë Ångström"]
    assert "Invited by hand" in html
    hank = db.session.scalar(select(Attempt).join(Attempt.candidate).where(Attempt.candidate.has(name="Hank Hand")))
    page = body(client.get(f"/lever/candidates/{hank.candidate_id}"))
    assert "Resend invitation" in page and "Change this invitation" in page and "Not linked to a Lever" in page
    old = client.get(f"/people/{hank.candidate_id}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/lever/candidates/{hank.candidate_id}")
    assert client.get("/people/?q=hank").headers["Location"].endswith("/lever/candidates?q=hank")
    assert attempts.candidate_profile_link(hank.candidate).endswith(f"/lever/candidates/{hank.candidate_id}")


@pytest.mark.parametrize("term,found", [
    ("analyst", ["Amy Analyst", "Ida Analyst-Smith"]),  # a surname, inside the name
    ("example.com", ["Ida Analyst-Smith", "Olga Applicant", "Zoë Ångström"]),  # a domain, inside the email
    ("ANGSTROM", ["Zoë Ångström"]),  # case and accents ignored
    ("zoë", ["Zoë Ångström"]),
    ("hands.example", ["Hank Hand"]),
    ("nobody", []),
])
def test_search_inside_names_and_emails(client, people, term, found):
    assert sorted(names_in(body(client.get("/lever/candidates", query_string={"q": term})))) == found


def test_normalise_folds_case_and_accents():
    assert normalise("Zoë ÅNGSTRÖM", "ZOE@Example.com") == "zoe angstrom zoe@example.com"
    assert normalise(None, "  a  b ") == "a b"


def test_search_text_follows_a_rename(client, people):
    opp = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.name == "Olga Applicant"))
    opp.name = "Olga Renamed"
    db.session.commit()
    assert names_in(body(client.get("/lever/candidates?q=renamed"))) == ["Olga Renamed"]


def test_filters_combine_and_stay_in_the_links(client, people):
    job = people.postings["Data Analyst"].lever_id
    html = body(client.get(f"/lever/candidates?q=analyst&job={job}&status=invited"))
    assert names_in(html) == ["Amy Analyst"]
    export = re.search(r'href="([^"]*export\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "q=analyst" in export and f"job={job}" in export and "status=invited" in export
    assert names_in(body(client.get("/lever/candidates?status=not_invited"))) == ["Olga Applicant"]
    assert names_in(body(client.get("/lever/candidates?status=completed&q=zoe"))) == ["Zoë Ångström"]


def _walk(client, url: str) -> list[str]:
    seen, pages = [], 0
    while url:
        html = body(client.get(url))
        seen += names_in(html)
        nxt = re.search(r'href="([^"]*after=[^"]*)">Next page', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
        assert pages < 50
    return seen


@pytest.mark.parametrize("sort", ["recent", "name", "score", "status"])
def test_every_row_appears_once_across_pages_by_key(client, dash, monkeypatch, sort):
    monkeypatch.setattr(candidate_list, "PAGE_SIZE", 4)
    job = dash.postings["Data Analyst"]
    expected = set()
    for i in range(7):
        dash.invite(f"Lever {i}", f"l{i}@example.com", job, status="completed" if i % 2 else "invited",
                    score=50 if i % 3 == 0 else None)  # ties on the sort key across pages
        expected.add(f"Lever {i}")
    for i in range(4):
        _applicant(dash, f"Applicant {i}", f"a{i}@example.com", job)
        expected.add(f"Applicant {i}")
    for i in range(5):
        _by_hand(dash, f"Hand {i}", f"h{i}@example.com")
        expected.add(f"Hand {i}")
    db.session.commit()
    offsets = []

    def listener(_conn, element, *_args):  # every SELECT, subqueries included, as built (not as rendered)
        offsets.extend(e for e in iterate(element) if isinstance(e, Select) and e._offset_clause is not None)

    event.listen(db.engine, "before_execute", listener)
    try:
        seen = _walk(client, f"/lever/candidates?sort={sort}")
    finally:
        event.remove(db.engine, "before_execute", listener)
    assert sorted(seen) == sorted(expected)  # each once, none lost at a page boundary
    assert offsets == []  # keyset: no page skips rows with OFFSET


def test_a_list_page_takes_at_most_three_queries(client, people):
    """An owner's page, layout included (the user, the organisation and its Lever connection, the rows)."""
    job = people.postings["Data Analyst"].lever_id
    client.get("/lever/candidates")  # the option lists are read once and kept
    for url in ("/lever/candidates", "/lever/candidates?q=analyst&sort=name", "/lever/candidates?status=not_invited",
                f"/lever/candidates?job={job}&sync=ok", f"/lever/candidates?job={job}&sort=score&q=example"):
        db.session.remove()  # nothing already in the session: every read the page needs is counted
        with statements() as sent:
            body(client.get(url))
        assert len(sent) <= 3, (url, sent)


def test_option_lists_are_cached_and_dropped_when_one_changes(client, people):
    from dashboard.assessments import services as assessments

    html = body(client.get("/lever/candidates"))
    assert "Data Engineer" in html and "Renamed job" not in html
    people.postings["Data Engineer"].text = "Renamed job"
    a = assessments.create_assessment(people.org.id, name="Brand new assessment", passing_score=50,
                                      time_limit_minutes=30, invitation_valid_days=7)
    db.session.commit()
    html = body(client.get("/lever/candidates"))
    assert "Renamed job" in html and f'<option value="{a.id}" >Brand new assessment' in html


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.is_streamed  # written while it is read
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_export_is_exactly_the_filtered_list(client, people, monkeypatch):
    monkeypatch.setattr(candidate_list, "PAGE_SIZE", 2)  # the list in pages, the export whole
    for query in ("", "q=analyst", "q=example.com&sort=name", "status=not_invited", "status=invited&sort=name"):
        listed = _walk(client, "/lever/candidates?" + query)
        rows = _csv(client.get("/lever/candidates/export.csv?" + query))
        assert rows[0][:2] == ["Name", "Email"]
        assert [r[0] for r in rows[1:]] == listed, query


def test_export_reads_in_batches(app, people):
    with app.test_request_context():
        filters = candidate_list.Filters(sort="name")
        whole = [r.name for r in candidate_list.every_row(people.org.id, filters, batch=500)]
        assert [r.name for r in candidate_list.every_row(people.org.id, filters, batch=2)] == whole
        assert [r.name for r in candidate_list.every_row(people.org.id, filters, batch=4, first=1)] == whole
        assert len(whole) == 5


def test_export_cells_cannot_become_formulas(client, dash):
    job = dash.postings["Data Analyst"]
    for i, name in enumerate(("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "Plain")):
        _applicant(dash, name, f"f{i}@example.com", job)
    db.session.commit()
    rows = _csv(client.get("/lever/candidates/export.csv?sort=name"))
    names = sorted(r[0] for r in rows[1:])
    assert names == sorted(["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "Plain"])


def test_bulk_resend_confirms_how_many_then_says_what_happened_to_each(client, people):
    keys = {name: key for key, name in re.findall(
        r'name="row" value="([^"]+)"[^>]*aria-label="Select ([^"]+)"', body(client.get("/lever/candidates")))}
    chosen = [keys["Amy Analyst"], keys["Hank Hand"], keys["Zoë Ångström"], keys["Olga Applicant"]]
    mails = db.session.scalar(select(func.count(MailMessage.id)))
    confirm = body(client.post("/lever/candidates/bulk", data={"action": "resend", "row": chosen}))
    assert "Resend the invitation: 4 candidates?" in confirm
    assert db.session.scalar(select(func.count(MailMessage.id))) == mails  # nothing done before confirming
    result = body(client.post("/lever/candidates/bulk", data={"action": "resend", "row": chosen, "confirm": "1"}))
    assert "2 of 4 done" in result
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>(.*?)</td></tr>", result))
    assert "Invitation to amy@corp.example queued" in rows["Amy Analyst · Data Analyst Assessment"]
    assert "Invitation to hank@hands.example queued" in rows["Hank Hand · Data Analyst Assessment"]
    assert "Only an open invitation" in rows["Zoë Ångström · Data Analyst Assessment"]
    assert "Not invited" in rows["Olga Applicant"]
    assert db.session.scalar(select(func.count(MailMessage.id))) == mails + 2


def test_bulk_cancel_and_resync(client, people):
    keys = {name: key for key, name in re.findall(
        r'name="row" value="([^"]+)"[^>]*aria-label="Select ([^"]+)"', body(client.get("/lever/candidates")))}
    result = body(client.post("/lever/candidates/bulk", data={
        "action": "cancel", "row": [keys["Hank Hand"], keys["Zoë Ångström"]], "confirm": "1", "reason": "Filled"}))
    assert "1 of 2 done" in result
    hank = db.session.scalar(select(Attempt).where(Attempt.candidate.has(name="Hank Hand")))
    assert hank.status == "cancelled" and hank.cancelled_reason == "Filled"
    deliveries = db.session.scalar(select(func.count(InboxDelivery.id)))
    result = body(client.post("/lever/candidates/bulk", data={
        "action": "resync", "row": [keys["Amy Analyst"], keys["Olga Applicant"], keys["Ida Analyst-Smith"]],
        "confirm": "1"}))
    assert "2 of 3 done" in result and "no Lever opportunity" in result
    assert db.session.scalar(select(func.count(InboxDelivery.id))) == deliveries + 2


def test_bulk_ignores_other_organisations_rows_and_bad_input(client, people, make_user, app):
    from dashboard.accounts import services as accounts
    from tests.support.platform import analyst_assessment

    rival = accounts.create_organisation("Rival")
    theirs = attempts.invite_candidate(rival.id, analyst_assessment(rival.id).id, "x@rival.example", "X",
                                       actor=Actor.staff(people.owner))
    db.session.commit()
    resp = client.post("/lever/candidates/bulk", data={"action": "cancel", "row": [f"a{theirs.id}"], "confirm": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, theirs.id).status == "invited"
    for data in ({"action": "explode", "row": ["a1"]}, {"action": "resend", "row": ["zz", "a", "a1x"]},
                 {"action": "resend"}):
        assert client.post("/lever/candidates/bulk", data=data).status_code == 302
    anonymous = app.test_client()
    assert anonymous.post("/lever/candidates/bulk", data={"action": "resend"}).status_code in (302, 400)
    recruiter = app.test_client()
    login(recruiter, make_user("recruiter", org=people.org))
    assert recruiter.get("/lever/candidates/export.csv").status_code == 200
