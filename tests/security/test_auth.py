"""Login, sessions and passwords: `next` never leaves the site, login attempts are limited across
workers, old cookies stop working after logout and deactivation, passwords are hashed with scrypt
or argon2."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db
from tests.support.clients import CSRFClient, login

BYPASSES = ["//evil.com", "/\\evil.com", "https:evil.com", "/%2F%2Fevil.com", "%2F%2Fevil.com", "\\\\evil.com",
            "/\t/evil.com", "http://evil.com", "javascript:alert(1)", "///evil.com", "/\\/evil.com",
            " //evil.com", "/%5Cevil.com", "https://evil.com/", "//evil.com/%2F..", "/\n/evil.com",
            "http:/evil.com", "%2F%5Cevil.com"]


def _stays_on_site(location: str) -> bool:
    """What a browser would do with the Location header: it must resolve to this host."""
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if parts.netloc and parts.netloc not in ("localhost", "127.0.0.1"):
        return False
    return cleaned.startswith("/") and not cleaned.startswith("//") or parts.netloc in ("localhost", "127.0.0.1")


@pytest.mark.parametrize("target", BYPASSES)
def test_next_never_leaves_the_site(client, owner, target):
    form = client.post("/login", data={"email": owner.email, "password": "correct horse battery",
                                       "next": target})
    assert form.status_code == 302
    assert _stays_on_site(form.headers["Location"]), form.headers["Location"]
    client.post("/logout")
    query = client.post("/login?next=" + target.replace("%", "%25").replace("\t", "%09").replace("\n", "%0A"),
                        data={"email": owner.email, "password": "correct horse battery"})
    assert query.status_code == 302
    assert _stays_on_site(query.headers["Location"]), query.headers["Location"]


def test_next_to_a_path_of_this_site_is_followed(client, owner):
    resp = client.post("/login", data={"email": owner.email, "password": "correct horse battery",
                                       "next": "/people/?page=2"})
    assert resp.headers["Location"] == "/people/?page=2"


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/settings")


def test_old_cookie_is_dead_after_logout(app, client, owner):
    login(client, owner)
    cookie = _session_cookie(client)
    assert _replay(app, cookie).status_code == 200
    assert client.post("/logout").status_code == 302
    resp = _replay(app, cookie)
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"


def test_old_cookie_is_dead_after_deactivation_and_stays_dead_after_reactivation(app, client, owner, make_user):
    recruiter = make_user("recruiter", org=owner.organisation)
    colleague = app.test_client()
    login(colleague, recruiter)
    cookie = _session_cookie(colleague)
    assert colleague.get("/lever/candidates").status_code == 200
    login(client, owner)
    assert client.post(f"/settings/users/{recruiter.id}/deactivate").status_code == 302
    assert colleague.get("/lever/candidates").status_code == 302
    assert _replay(app, cookie).status_code == 302
    assert client.post(f"/settings/users/{recruiter.id}/reactivate").status_code == 302
    assert _replay(app, cookie).status_code == 302  # the old session token was rotated


def test_passwords_are_hashed_with_a_memory_hard_algorithm(make_user):
    from dashboard.accounts.models import User

    user = make_user("owner", password="a perfectly fine password")
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith(("scrypt:", "$argon2")), stored.split("$")[0]
    assert "a perfectly fine password" not in stored
    assert db.session.get(User, user.id).check_password("a perfectly fine password")


# Redis is what several web worker processes share in production (memory storage is refused there).
STORAGE = "redis://127.0.0.1:6379/15"


def test_login_rate_limit_holds_across_two_workers(app, owner):
    base = {k: v for k, v in vars(TestConfig).items() if k.isupper()}
    config = {**base, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "RATELIMIT_STORAGE_URI": STORAGE, "LOGIN_RATE_LIMIT": "6 per minute"}
    workers = [create_app(config), create_app(config)]
    from dashboard.extensions import limiter

    limiter.reset()
    clients = []
    for worker in workers:
        worker.test_client_class = CSRFClient
        clients.append(worker.test_client())
    answers = []
    for attempt in range(10):
        with workers[attempt % 2].app_context():
            resp = clients[attempt % 2].post("/login", data={"email": owner.email, "password": "wrong"},
                                             environ_base={"REMOTE_ADDR": "203.0.113.9"})
        answers.append(resp.status_code)
    assert 429 not in answers[:6], answers
    assert answers[6:] == [429] * 4, answers
    # the right password does not get through either while limited, on either worker
    with workers[1].app_context():
        blocked = clients[1].post("/login", data={"email": owner.email, "password": "correct horse battery"},
                                  environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert blocked.status_code == 429
    limiter.reset()
