"""Security checks generated from `app.url_map`: a route added later cannot escape them.

(a) every state-changing rule (except `/webhooks/`, which are signature-checked) refuses a
    request without a CSRF token with 400 and changes nothing;
(b) anonymous users are sent to /login everywhere except the public routes; the candidate's
    `/a/<token>` pages answer 404 for an unknown token, webhooks 401/404 for an unknown address;
(c) every view with `required_role` answers 403 to each role below it, changing nothing;
(d) every endpoint declares its role except those in PUBLIC_ENDPOINTS (a view with `@login_required`
    alone fails), and (a)-(c) reach every endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.security import generate_password_hash

from dashboard.accounts.models import ROLE_RANK
from dashboard.extensions import db
from tests.support.clients import PASSWORD, login
from tests.support.dump import snapshot
from tests.support.routes import build_url, collection_app

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
TESTED_METHODS = ("GET", *STATE_CHANGING)
PUBLIC_PREFIXES = ("/login", "/favicon.ico", "/healthz", "/readyz", "/metrics", "/static", "/set-password/")


# Endpoints anyone may reach: no role is declared, on purpose. Everything else declares one.
PUBLIC_ENDPOINTS = frozenset({
    "static", "core.index", "core.healthz", "core.favicon", "observability.metrics", "observability.readyz",
    "accounts.login", "accounts.set_password", "take.landing", "take.start", "take.part", "take.finish",
    "webhooks.receive",
})
LOWEST_ROLE = min(ROLE_RANK, key=ROLE_RANK.get)


def _cases(app) -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) for every routed method we test, static files aside."""
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(set(rule.methods or ()) & set(TESTED_METHODS)):
            cases.append((rule.rule, method, rule.endpoint))
    return sorted(cases)


CASES = _cases(collection_app())


def _ids(cases):
    return [f"{method} {rule}" for rule, method, _ in cases]


def _is_webhook(rule: str) -> bool:
    return rule.startswith("/webhooks/")


def _is_candidate(rule: str) -> bool:
    return rule == "/a" or rule.startswith("/a/")


def _is_public(rule: str) -> bool:
    return rule == "/login" or any(rule.startswith(p) for p in PUBLIC_PREFIXES if p != "/login")


CSRF_CASES = [c for c in CASES if c[1] in STATE_CHANGING and not _is_webhook(c[0])]
ANON_CASES = [c for c in CASES if not _is_public(c[0])]


def _role_cases(app) -> list[tuple[str, str, str, str]]:
    out = []
    for rule, method, endpoint in _cases(app):
        required = getattr(app.view_functions[endpoint], "required_role", None)
        if required not in ROLE_RANK:
            continue
        for role, rank in sorted(ROLE_RANK.items(), key=lambda kv: kv[1]):
            if rank < ROLE_RANK[required]:
                out.append((rule, method, endpoint, role))
    return out


ROLE_CASES = _role_cases(collection_app())


# A cheap hash keeps hundreds of generated tests fast; login still checks it for real.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def users(make_org):
    """One organisation (id 1) with a user of every role (the owner has id 1)."""
    from dashboard.accounts import services

    org = make_org("Matrix Org")
    made = {}
    for role in ("owner", "admin", "recruiter"):
        made[role] = services.create_user(org.id, f"matrix-{role}@example.com", role, name=role.title())
        made[role].password_hash = FAST_HASH
    db.session.commit()
    return made


def test_the_matrix_covers_the_running_app(app):
    assert _cases(app) == CASES
    assert CSRF_CASES, "no state-changing routes found"


def _required_role(app, endpoint: str) -> str | None:
    role = getattr(app.view_functions[endpoint], "required_role", None)
    return role if role in ROLE_RANK else None


def test_every_endpoint_declares_its_role_unless_public(app):
    undeclared = sorted(e for e in app.view_functions if e not in PUBLIC_ENDPOINTS and not _required_role(app, e))
    assert not undeclared, f"endpoints with no declared role (use role_required): {undeclared}"
    assert set(app.view_functions) >= PUBLIC_ENDPOINTS, "PUBLIC_ENDPOINTS names an endpoint that no longer exists"
    assert not [e for e in PUBLIC_ENDPOINTS if _required_role(app, e)], "a public endpoint declares a role"


def test_the_role_matrix_reaches_every_endpoint(app):
    """Each endpoint with a role is tried by every role below it (c), or, when the lowest role is
    enough, by anonymous users (b); state-changing ones without a CSRF token (a)."""
    by_roles = {endpoint for _, _, endpoint, _ in ROLE_CASES}
    by_anonymous = {endpoint for _, _, endpoint in ANON_CASES}
    missed = sorted(e for e in app.view_functions if _required_role(app, e) and (
        e not in by_anonymous or (_required_role(app, e) != LOWEST_ROLE and e not in by_roles)))
    assert not missed, missed
    writes = {endpoint for rule, method, endpoint in CASES if method in STATE_CHANGING and not _is_webhook(rule)}
    assert writes == {endpoint for _, _, endpoint in CSRF_CASES}


@pytest.mark.parametrize("rule,method,endpoint", CSRF_CASES, ids=_ids(CSRF_CASES))
def test_state_changing_routes_require_csrf(app, client, users, rule, method, endpoint):
    login(client, users["owner"])
    url = build_url(app, rule, method, endpoint)
    before = snapshot()
    resp = client.open(url, method=method, data={"name": "x"}, csrf=False)
    assert resp.status_code == 400, f"{method} {url} answered {resp.status_code} without a CSRF token"
    assert snapshot() == before


@pytest.mark.parametrize("rule,method,endpoint", ANON_CASES, ids=_ids(ANON_CASES))
def test_anonymous_users_are_sent_to_login(app, client, users, rule, method, endpoint):
    url = build_url(app, rule, method, endpoint)
    before = snapshot()
    if _is_webhook(rule):  # a well-formed delivery without a valid signature
        resp = client.open(url, method=method, json={
            "event": "applicationCreated", "token": "0123456789abcdef", "triggeredAt": 1,
            "signature": "0" * 64, "data": {"opportunityId": "x"}})
    else:
        resp = client.open(url, method=method, data={})
    if _is_webhook(rule):
        assert resp.status_code in (401, 404), f"{method} {url} answered {resp.status_code}"
    elif _is_candidate(rule):
        assert resp.status_code == 404, f"{method} {url} answered {resp.status_code} for an unknown token"
    else:
        assert resp.status_code == 302, f"{method} {url} answered {resp.status_code} to an anonymous user"
        assert urlsplit(resp.headers["Location"]).path == "/login"
    assert snapshot() == before


@pytest.mark.parametrize("rule,method,endpoint,role", ROLE_CASES,
                         ids=[f"{m} {r} as {role}" for r, m, _, role in ROLE_CASES])
def test_roles_below_the_required_one_get_403(app, client, users, rule, method, endpoint, role):
    login(client, users[role])
    url = build_url(app, rule, method, endpoint)
    before = snapshot()
    resp = client.open(url, method=method, data={"name": "x", "role": "owner"})
    assert resp.status_code == 403, f"{method} {url} answered {resp.status_code} to a {role}"
    assert snapshot() == before


def test_public_routes_exist_and_answer(client, users):
    assert client.get("/healthz").status_code == 200
    assert client.get("/set-password/not-a-token").status_code == 400


def test_build_url_fills_every_argument(app):
    for rule, method, endpoint in CASES:
        url = build_url(app, rule, method, endpoint)
        assert url.startswith("/") and "<" not in url
