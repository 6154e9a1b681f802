"""Login limits behind a reverse proxy: counted per (client address, email) and per account, with the
client address taken from X-Forwarded-For only when the request comes from a trusted proxy."""

from __future__ import annotations

import pytest

from dashboard.extensions import limiter

PROXY = "127.0.0.1"  # FORWARDED_ALLOW_IPS' default: the proxy in front of the app
ATTACKER, COLLEAGUE = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    app.config.update(LOGIN_RATE_LIMIT="5 per minute", LOGIN_ACCOUNT_RATE_LIMIT="12 per 15 minutes")
    limiter.reset()
    yield
    limiter.reset()


def _login(client, email: str, password: str, client_address: str, remote: str = PROXY):
    return client.post("/login", data={"email": email, "password": password},
                       headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": remote})


def test_two_clients_behind_one_proxy_do_not_lock_each_other_out(app, make_user, owner):
    colleague = make_user("recruiter", org=owner.organisation, email="colleague@example.com")
    attacker, victim = app.test_client(), app.test_client()
    answers = [_login(attacker, owner.email, "wrong", ATTACKER).status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    # The same account from another client address behind the same proxy still logs in ...
    assert _login(victim, owner.email, "correct horse battery", COLLEAGUE).status_code == 302
    # ... and so does another account from the attacker's own address.
    assert _login(app.test_client(), colleague.email, "correct horse battery", ATTACKER).status_code == 302


def test_a_locked_login_says_why_and_when_to_come_back(app, owner):
    client = app.test_client()
    for _ in range(5):
        _login(client, owner.email, "wrong", ATTACKER)
    locked = _login(client, owner.email, "correct horse battery", ATTACKER)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    body = locked.get_data(as_text=True)
    assert "Too many failed logins for this account" in body and "try again in 1 minute" in body
    assert 'name="email"' in body  # the login form itself, not an error page


def test_successful_logins_are_not_counted(app, owner):
    client = app.test_client()
    for _ in range(8):
        assert _login(client, owner.email, "correct horse battery", ATTACKER).status_code == 302
        client.post("/logout")


def test_an_attacker_rotating_addresses_meets_the_per_account_limit(app, make_user, owner):
    other = make_user("recruiter", org=owner.organisation, email="other@example.com")
    client = app.test_client()
    answers = [_login(client, owner.email, "wrong", f"192.0.2.{n}").status_code for n in range(14)]
    assert 429 not in answers[:12] and answers[12:] == [429, 429]
    # only that account is paused: everyone else logs in
    assert _login(app.test_client(), other.email, "correct horse battery", "192.0.2.200").status_code == 302


def test_forwarded_addresses_from_untrusted_peers_are_ignored(app, owner):
    client = app.test_client()
    # A client talking to the app directly cannot pick the address it is counted under.
    answers = [_login(client, owner.email, "wrong", f"192.0.2.{n}", remote="10.9.9.9").status_code
               for n in range(6)]
    assert answers == [200] * 5 + [429]
    # The trusted proxy's clients are unaffected.
    assert _login(app.test_client(), owner.email, "correct horse battery", COLLEAGUE).status_code == 302
