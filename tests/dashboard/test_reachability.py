"""Every control is reachable: a crawler walks the site as each role, from the landing page down,
following links, forms and htmx attributes, with every template rendered under StrictUndefined.

It fails when an endpoint a role may use is reached from no page that role sees (webhooks, probes,
the OAuth callback and the links emailed to candidates and users excepted), when a page answers 5xx
(a template reading data it was not given raises under StrictUndefined), or when a page shows a
link or control that its viewer's role is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from dashboard.accounts import services as accounts
from dashboard.accounts.models import ROLE_RANK
from dashboard.assessments import services as assessments
from dashboard.attempts import services as attempts
from dashboard.attempts.events import Actor
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun
from dashboard.lever.sync import rules
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverPosting, LeverStage
from tests.support.clients import login
from tests.support.connections import direct_connection
from tests.support.platform import analyst_assessment

# Reached from outside the dashboard's pages: Lever, probes, the OAuth redirect, emailed links, bookmarks.
EXCEPTED = {"static", "core.favicon", "core.healthz", "observability.readyz", "observability.metrics",
            "webhooks.receive", "accounts.login", "accounts.set_password", "lever_connect.callback",
            # the former People pages: 301s to the candidates list and page, for bookmarks and emails sent
            "attempts.candidates", "attempts.candidate"}
EXCEPTED_PREFIXES = ("take.",)
MAX_PAGES = 600  # a bound on the crawl; the seeded site has far fewer distinct pages
MAX_URLS_PER_ENDPOINT = 6  # enough to open each kind of row; filters and pages repeat themselves


class _Controls(HTMLParser):
    """(method, url) of every link, form, form button and htmx request on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._form: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.found.append(("GET", a["href"]))
        if tag == "form":
            method = (a.get("method") or "GET").upper()
            self._form = (method, a.get("action") or "")
            self.found.append(self._form)
        if tag in ("button", "input") and a.get("formaction"):
            method = (a.get("formmethod") or (self._form or ("GET",))[0]).upper()
            self.found.append((method, a["formaction"]))
        for attr, method in (("hx-get", "GET"), ("hx-post", "POST")):
            if a.get(attr):
                self.found.append((method, a[attr]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@dataclass
class Crawl:
    """What one role's crawl saw."""

    reached: set[tuple[str, str]] = field(default_factory=set)  # (endpoint, method)
    problems: list[str] = field(default_factory=list)
    pages: int = 0


def _required_rank(app, endpoint: str) -> int:
    role = getattr(app.view_functions[endpoint], "required_role", None)
    return ROLE_RANK.get(role, 0)


def usable(app, role: str) -> set[tuple[str, str]]:
    """(endpoint, method) pairs this role may use from the dashboard's own pages."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXCEPTED or rule.endpoint.startswith(EXCEPTED_PREFIXES):
            continue
        if _required_rank(app, rule.endpoint) > ROLE_RANK[role]:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            out.add((rule.endpoint, method))
    return out


def crawl(app, client, role: str) -> Crawl:
    """Walk every page reachable from "/" as the logged-in client; record each control's endpoint."""
    adapter = app.url_map.bind("localhost")
    seen = Crawl()
    queue, visited, per_endpoint = ["/"], set(), {}
    while queue and seen.pages < MAX_PAGES:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        seen.pages += 1
        try:
            resp = client.get(url)
        except Exception as exc:  # the test app propagates errors: a template reading missing data
            seen.problems.append(f"GET {url} raised {type(exc).__name__}: {exc}")
            continue
        if resp.status_code in (301, 302, 303):
            queue.append(urljoin(url, resp.headers["Location"]))
            continue
        if resp.status_code >= 500:
            seen.problems.append(f"GET {url} answered {resp.status_code}")
            continue
        if resp.status_code == 403:
            seen.problems.append(f"GET {url} (linked from a page a {role} sees) answered 403")
            continue
        if resp.status_code != 200 or "html" not in (resp.content_type or ""):
            continue
        parser = _Controls()
        parser.feed(resp.get_data(as_text=True))
        for method, target in parser.found:
            absolute = urljoin(url, target)
            parts = urlsplit(absolute)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
                continue  # Lever profiles and other sites
            try:
                endpoint, _ = adapter.match(parts.path, method=method)
            except HTTPException:
                if method == "GET" and parts.path.startswith("/static/"):
                    continue
                seen.problems.append(f"{url} points at {method} {parts.path}, which no route answers")
                continue
            seen.reached.add((endpoint, method))
            if method == "GET" and endpoint != "static":
                target_url = parts.path + (f"?{parts.query}" if parts.query else "")
                count = per_endpoint.setdefault(endpoint, set())
                if target_url not in visited and (len(count) < MAX_URLS_PER_ENDPOINT or target_url in count):
                    count.add(target_url)
                    queue.append(target_url)
            elif method != "GET" and _required_rank(app, endpoint) > ROLE_RANK[role]:
                seen.problems.append(f"{url} offers {method} {parts.path} ({endpoint}), which a {role} is refused")
    return seen


def seed(org, owner) -> dict:
    """An organisation in the middle of its working life: Lever connected with jobs linked, a near
    miss, a job waiting for a stage, applicants held for the backfill decision and not invited,
    invitations in every state, failures, a sync in progress, emails, users and assessments."""
    connection = direct_connection(org.id)
    analyst = analyst_assessment(org.id)
    draft = assessments.create_assessment(org.id, name="Draft Assessment", passing_score=50,
                                          time_limit_minutes=30, invitation_valid_days=7)
    for name in ("First part", "Second part"):
        part = assessments.add_part(draft.id, name=name, weight=1, grading="auto")
        assessments.add_question(part.id, kind="multiple_choice", prompt="Pick one", choices=["a", "b"],
                                 correct_choice=0)
    db.session.add(LeverStage(organisation_id=org.id, connection_id=connection.id, lever_id="stage-hm",
                              text="Hiring Manager Review"))
    for lever_id, text, tags in (
            ("post-da", "Data Analyst", ["Alooba Assessment - Data Analyst Assessment"]),
            ("post-near", "BI Analyst", ["alooba assessment - data  analyst assessment"]),
            ("post-stage", "Senior Data Analyst", ["Alooba Assessment - Data Analyst Assessment",
                                                   "Alooba Assessment Stage - Hiring Manager Review"]),
            ("post-none", "Data Engineer", [])):
        db.session.add(LeverPosting(organisation_id=org.id, connection_id=connection.id, lever_id=lever_id,
                                    text=text, tags=tags, state="published", refreshed_at=utcnow()))
    db.session.commit()
    now_ms = int(utcnow().timestamp() * 1000)
    connection.connected_at = utcnow() - timedelta(hours=1)

    def apply(n: int, posting: str, name: str, *, created_ms: int = now_ms, stage: str = "stage-new"):
        data = {"id": f"opp-{n}", "name": name, "emails": [f"{name.split()[0].lower()}@example.com"],
                "stage": stage, "archived": False, "createdAt": created_ms, "updatedAt": created_ms,
                "applications": [{"posting": posting}], "urls": {"show": f"https://hire.example/opp-{n}"}}
        return rules.apply_opportunity(connection, None, data, source="reconcile")

    apply(1, "post-da", "Ada Invited")
    apply(2, "post-da", "Bo Started")
    apply(3, "post-da", "Cy Done")
    apply(4, "post-none", "Dee Untagged")
    apply(5, "post-stage", "Eve Waiting")
    apply(6, "post-near", "Fay Nearmiss")
    apply(7, "post-da", "Gus Before", created_ms=now_ms - 3 * 3600 * 1000)  # held for the backfill decision
    db.session.commit()
    by_email = {a.candidate.email: a for a in db.session.scalars(db.select(attempts.Attempt))}
    started = attempts.start_attempt(by_email["bo@example.com"].id)
    done = by_email["cy@example.com"]
    attempts.start_attempt(done.id)
    for part in sorted(done.assessment.parts, key=lambda p: p.position):
        answers = {q.id: (1 if q.kind == "multiple_choice" else "An answer.") for q in part.questions}
        attempts.submit_part(done.id, part.id, answers)
    attempts.finish_attempt(done.id)
    effect = db.session.scalar(db.select(Effect).where(Effect.candidate_id == started.candidate_id).limit(1))
    effect.state, effect.last_error, effect.attempts = "dead", "Lever answered 500", 8
    db.session.add(InboxDelivery(organisation_id=org.id, connection_id=connection.id, token="failed-1",
                                 event="candidateStageChange", opportunity_lever_id="opp-1", triggered_at=now_ms,
                                 state="failed", attempts=8, error="Lever answered 500"))
    db.session.add(JobRun(job="postings", organisation_id=org.id, trigger="manual", status="queued",
                          requested_by_id=owner.id, started_at=utcnow(), changes={}))
    staff = Actor.staff(owner)
    manual = attempts.invite_candidate(org.id, analyst.id, "walkin@example.com", "Walk In", actor=staff)
    attempts.queue_invitation(manual.id, actor=staff)
    attempts.send_invitation(manual.id)
    colleague = accounts.create_user(org.id, "colleague@example.com", "recruiter", name="Col League")
    gone = accounts.create_user(org.id, "gone@example.com", "recruiter", name="Gone Away")
    accounts.set_user_active(org.id, owner.id, gone.id, False)
    db.session.commit()
    return {"connection": connection, "colleague": colleague}


@pytest.fixture
def site(app, make_org):
    """The seeded organisation with a user of each role; templates strict about undefined data."""
    app.jinja_env.undefined = StrictUndefined
    org = make_org("Reachable Org")
    users = {role: accounts.create_user(org.id, f"{role}@reach.example", role, name=role.title(),
                                        password="correct horse battery")
             for role in ("owner", "admin", "recruiter")}
    db.session.commit()
    seed(org, users["owner"])
    return users


@pytest.mark.parametrize("role", ["owner", "admin", "recruiter"])
def test_every_control_a_role_may_use_is_reachable_from_its_pages(app, client, site, role):
    login(client, site[role])
    seen = crawl(app, client, role)
    missing = [f"a {role} cannot reach {method} {endpoint}"
               for endpoint, method in sorted(usable(app, role) - seen.reached)]
    assert not seen.problems + missing, "\n".join(seen.problems + missing)
