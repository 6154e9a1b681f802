"""A page's read ends its transaction with COMMIT, so that the connection keeps the statements it prepared
(psycopg drops them all on ROLLBACK) and PostgreSQL plans the candidates list once, not per request.
A request that wrote anything without committing still writes nothing."""

from __future__ import annotations

import re

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import psycopg

from dashboard.accounts.models import User
from dashboard.extensions import db
from tests.support.clients import login


def _stored_name(user_id: int) -> str:
    """The name as committed (another connection: the session's own transaction is not looked at)."""
    with db.engine.connect() as conn:
        return conn.execute(select(User.name).where(User.id == user_id)).scalar_one()


def test_a_page_read_is_committed_and_a_get_that_changed_something_writes_nothing(app, client, make_user):
    owner_id = None

    def flushed():
        db.session.get(User, owner_id).name = "Flushed Name"
        db.session.flush()
        return "ok"

    def unflushed():
        db.session.get(User, owner_id).name = "Unflushed Name"
        return "ok"

    def statement():
        db.session.execute(update(User).where(User.id == owner_id).values(name="Statement Name"))
        return "ok"

    for name, view in (("flushed", flushed), ("unflushed", unflushed), ("statement", statement)):
        app.add_url_rule(f"/test-writes/{name}", name, view)  # before the app's first request
    owner = make_user("owner")
    owner_id = owner.id
    db.session.commit()
    login(client, owner)
    before = _stored_name(owner_id)

    assert client.get("/lever/candidates").status_code == 200
    assert not db.session().in_transaction()  # the read ended, with COMMIT (a ROLLBACK would lose the plans)

    for name in ("flushed", "unflushed", "statement"):
        assert client.get(f"/test-writes/{name}").status_code == 200
        db.session.rollback()  # as the end of the request's application context does outside tests
        assert _stored_name(owner_id) == before, name


def test_the_candidates_list_is_planned_once_per_connection(client, dash):
    dash.invite("Ada One", "ada@example.com", dash.postings["Data Analyst"])
    db.session.commit()
    for _ in range(15):
        assert client.get("/lever/candidates").status_code == 200
    if db.engine.dialect.name != "postgresql":
        return  # SQLite has no plan cache; the commit above is what the first test checks
    generic = db.session.execute(text(
        "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE '%anon_1.kind%'")).scalars().all()
    assert generic and max(generic) >= 1, generic


def test_the_candidates_list_sends_only_what_changes_between_requests_as_parameters(app):
    """Constants (page size, states, reasons) are written into the statement: a generic plan then knows
    a page is a few rows. Only the organisation, the filters and the cursor stay parameters."""
    from dashboard.lever.views import candidate_list as cl

    wanted = {"org", "q", "job", "assessment", "status", "reason", "c0", "c1", "cid"}
    for filters, cursor in ((cl.Filters(), None), (cl.Filters(q="ada", job="post-1", status="completed"), 0),
                            (cl.Filters(sync="failed", sort="name"), cl.APPLICANT)):
        sql = str(cl._statement(filters, cursor, cl.PAGE_SIZE).compile(dialect=psycopg.dialect()))
        sent = set(re.findall(r"%\((\w+)\)s", sql))
        assert sent <= wanted, sent - wanted
        assert "org" in sent
