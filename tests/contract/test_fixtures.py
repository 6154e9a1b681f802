"""Lever's documented and recorded answer shapes (tests/contract/fixtures), each served over real HTTP
by the scripted server and read through the product's own code: the client, then the rules that
store an opportunity. Every fixture names its source in `_source`; README.md lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.extensions import db
from dashboard.lever.api import shapes
from dashboard.lever.api.client import LeverClient
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import rules
from tests.support.lever_client import RecordingPacer, ScriptedServer, StaticTokenSource

FIXTURES = Path(__file__).parent / "fixtures"
HIRE = "https://hire.lever.co"  # the production preset's hire URL (LEVER_ENV=production below)


def fixture(name: str) -> dict:
    """One fixture file: {_source, call, status, body}."""
    doc = json.loads((FIXTURES / name).read_text())
    assert doc["_source"].split(":")[0] in ("documented", "recorded"), name
    return doc


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def serve(server):
    """Serve a fixture for METHOD path and return a client of the scripted server."""
    def _serve(name: str, path: str) -> LeverClient:
        doc = fixture(name)
        method = doc["call"].split()[0]
        server.queue(method, "/v1" + path, doc["status"], doc["body"])
        return LeverClient(server.url + "/v1", StaticTokenSource(), pacer=RecordingPacer(), sleep=lambda s: None,
                           timeout=(1.0, 1.0))
    return _serve


# (fixture, path served, the client call, what the product must read from it)
CLIENT_CASES = [
    ("create_webhook.documented.json", "/webhooks", lambda c: c.create_webhook("https://d.example/h", "x"),
     lambda r: r["configuration"]["signatureToken"] == "0f2c6d9e8b7a41c3a5e4d2b1c0f9e8d7a6b5c4d3e2f1a0b9"
     and r["id"].endswith("9d01")),
    ("create_webhook.recorded.json", "/webhooks", lambda c: c.create_webhook("https://d.example/h", "x"),
     lambda r: r["configuration"]["signatureToken"].startswith("9a8b") and r["id"].endswith("9d02")),
    ("feedback_template_create.documented.json", "/feedback_templates",
     lambda c: c.create_feedback_template({"text": "t", "fields": []}),
     lambda r: r["id"].endswith("6a70") and [f["text"] for f in r["fields"]] == ["Rating", "Reference"]),
    ("feedback_template_create.recorded.json", "/feedback_templates",
     lambda c: c.create_feedback_template({"text": "t", "fields": []}),
     lambda r: r["id"].endswith("6a71") and r["fields"][0]["type"] == "score-system"),
    ("feedback_template_get.documented.json", "/feedback_templates/t1", lambda c: c.get_feedback_template("t1"),
     lambda r: r["id"].endswith("6a72") and len(r["fields"]) == 2),
    ("feedback_create.documented.json", "/opportunities/o1/feedback",
     lambda c: c.create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u"),
     lambda r: r["id"].endswith("6666") and r["fields"][1]["value"] == "attempt-1"),
    ("feedback_create.recorded.json", "/opportunities/o1/feedback",
     lambda c: c.create_feedback("o1", {"baseTemplateId": "t"}, perform_as="u"),
     lambda r: r["id"].endswith("6667")),
    ("feedback_update.documented.json", "/opportunities/o1/feedback/f1",
     lambda c: c.update_feedback("o1", "f1", {"fieldValues": []}, perform_as="u"),
     lambda r: r["isCompleted"] is True and r["fields"][0]["value"] == "4 - Strong Hire"),
    ("note_create.documented.json", "/opportunities/o1/notes", lambda c: c.create_note("o1", {"value": "v"}),
     lambda r: r["noteId"].startswith("n-6f5e")),
    ("note_create.recorded.json", "/opportunities/o1/notes", lambda c: c.create_note("o1", {"value": "v"}),
     lambda r: r["id"] == r["noteId"]),
    ("webhooks_update.documented.json", "/webhooks",
     lambda c: c.update_webhook("4b1c7c1e-7a0e-4c5a-9d3e-2f6a1b8c9d02", {"url": "https://dashboard.example/n"}),
     lambda r: r["url"].endswith("/new") and "signatureToken" not in r["configuration"]),
    ("archive_reasons.documented.json", "/archive_reasons", lambda c: c.list_archive_reasons(),
     lambda r: [(a["id"], a["type"]) for a in r] == [("ar-hired", "hired"), ("ar-withdrew", "non-hired")]),
    ("opportunity_stage_update.documented.json", "/opportunities/o1/stage",
     lambda c: c.update_stage("o1", "stage-phone-screen", perform_as="u"),
     lambda r: r["stage"] == "stage-phone-screen" and r["stageChanges"][0]["userId"] == "u-5a6b7c8d"),
    ("opportunity_archived_update.documented.json", "/opportunities/o1/archived",
     lambda c: c.update_archived("o1", "ar-withdrew"), lambda r: r["archived"]["reason"] == "ar-withdrew"),
]

# (fixture, archived, archive reason, posting, profile link) as the rules store the opportunity
OPPORTUNITY_CASES = [
    ("opportunity.archived_object.json", True, "ar-withdrew", "post-1", f"{HIRE}/candidates/opp-aaaa-0001"),
    ("opportunity.archived_top_level.json", True, "ar-hired-elsewhere", "post-2", f"{HIRE}/candidates/opp-aaaa-0002"),
    ("opportunity.live_recorded.json", False, None, "post-1",
     "https://hire.sandbox.lever.co/candidates/opp-aaaa-0003"),
]


@pytest.mark.parametrize(("name", "path", "call", "check"), CLIENT_CASES, ids=[c[0] for c in CLIENT_CASES])
def test_the_client_reads_every_answer_shape(serve, server, name, path, call, check):
    result = call(serve(name, path))
    assert check(result), result
    assert len(server.seen) == 1  # read at once: no retry, no "unknown outcome"


@pytest.fixture
def connection(app, make_org):
    app.config["LEVER_ENV"] = "production"  # profile links fall back to https://hire.lever.co
    org = make_org("Contract Co")
    conn = LeverConnection(organisation_id=org.id, status="connected", lever_account_id="acct-1", scopes="")
    db.session.add(conn)
    db.session.commit()
    return conn


@pytest.mark.parametrize(("name", "archived", "reason", "posting", "link"), OPPORTUNITY_CASES,
                         ids=[c[0] for c in OPPORTUNITY_CASES])
def test_an_opportunity_is_stored_the_same_from_every_shape(serve, connection, name, archived, reason, posting,
                                                          link):
    data = serve(name, "/opportunities/o1").get_opportunity("o1", expand=("applications",))
    opp, is_new = rules.upsert_opportunity(connection, data)
    assert is_new and opp.archived is archived and shapes.archive_reason(data) == reason
    assert (opp.posting_lever_id, opp.profile_url) == (posting, link)


def test_a_list_without_urls_gets_profile_links_from_the_hire_url(serve, connection):
    client = serve("opportunities_list.documented.json", "/opportunities")
    stored = [rules.upsert_opportunity(connection, data)[0] for data in client.list_opportunities()]
    assert [(o.lever_id, o.profile_url, o.archived) for o in stored] == [
        ("opp-bbbb-0001", f"{HIRE}/candidates/opp-bbbb-0001", False),
        ("opp-bbbb-0002", f"{HIRE}/candidates/opp-bbbb-0002", False),
    ]


def test_every_fixture_is_exercised_and_listed():
    used = {c[0] for c in CLIENT_CASES} | {c[0] for c in OPPORTUNITY_CASES} | {"opportunities_list.documented.json"}
    on_disk = {p.name for p in FIXTURES.glob("*.json")}
    assert used == on_disk
    listed = (Path(__file__).parent / "README.md").read_text()
    assert all(f"`{name}`" in listed for name in on_disk)
