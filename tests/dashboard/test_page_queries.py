"""The dashboard pages read a fixed number of statements, whatever the number of candidates, attempts,
history lines or jobs: counted with an engine event listener, a few candidates and then many more."""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.lever.sync.models import LeverOpportunity, SyncEvent
from tests.support.queries import count_statements

# What each page may read at most (the layout's Lever banner included; the logged-in user with its
# organisation is one more, as in production).
BOUNDS = {"/lever/": 17, "/lever/jobs": 10, "/lever/attention": 12, "candidate": 6}


def selects(client, url: str) -> int:
    """The page's SELECTs in a session of its own, as a served request has (this test's session, which
    requests otherwise share, keeps what earlier requests loaded); the user's own read not counted."""
    def served():
        with client.application.app_context():
            return client.get(url)

    served()  # templates compiled, nothing else kept between requests
    with count_statements() as seen:
        assert served().status_code == 200, url
    return len([s for s in seen.selects if not s.lstrip().startswith("SELECT users.")])


def grow(dash, many: int) -> None:
    """More candidates on both jobs, some failing, each with history lines."""
    for i in range(many):
        job = dash.postings["Data Analyst" if i % 2 else "Data Engineer"]
        cand = dash.invite(f"Extra {i}", f"extra{i}@example.com", job, status=("completed", "in_progress")[i % 2],
                           score=70 if i % 2 == 0 else None, effect_state="dead" if i % 3 == 0 else None)
        for n in range(3):
            db.session.add(SyncEvent(organisation_id=dash.org.id, candidate_id=cand.id, kind="decision",
                                     summary=f"line {n}"))
    db.session.commit()


def test_overview_linked_jobs_and_attention_read_a_fixed_number_of_statements(client, dash):
    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"], effect_state="dead")
    db.session.commit()
    pages = ("/lever/", "/lever/jobs", "/lever/attention")
    few = {url: selects(client, url) for url in pages}
    grow(dash, 12)
    many = {url: selects(client, url) for url in pages}
    assert many == few
    assert all(few[url] <= BOUNDS[url] for url in pages), few


def test_candidate_detail_reads_a_fixed_number_of_statements(client, dash):
    one = dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    busy = dash.invite("Bo Two", "bo@example.com", dash.postings["Data Analyst"], status="completed", score=80,
                       effect_state="dead")
    for job in ("Data Engineer",):  # a second opportunity and attempt for the same person
        again = dash.invite("Bo Two", "bo+2@example.com", dash.postings[job], status="in_progress")
        db.session.execute(db.update(LeverOpportunity).where(LeverOpportunity.candidate_id == again.id)
                           .values(candidate_id=busy.id).execution_options(synchronize_session=False))
        for model in ("attempts",):
            db.session.execute(db.text(f"UPDATE {model} SET candidate_id = :b WHERE candidate_id = :a"),
                               {"a": again.id, "b": busy.id})
    for n in range(30):
        db.session.add(SyncEvent(organisation_id=dash.org.id, candidate_id=busy.id, kind="lever_write",
                                 summary=f"write {n}"))
    db.session.commit()
    few = selects(client, f"/lever/candidates/{one.id}")
    many = selects(client, f"/lever/candidates/{busy.id}")
    page = client.get(f"/lever/candidates/{busy.id}").get_data(as_text=True)
    assert page.count('<article class="card" id="attempt-') == 2 and "write 29" in page  # both attempts, the history
    assert many == few <= BOUNDS["candidate"], (few, many)
