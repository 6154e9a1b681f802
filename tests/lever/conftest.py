"""Fixtures for the Lever connection tests: the app pointed at the sandbox, and the consent dance."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import g

CONNECT = "/settings/integrations/lever"


@dataclass
class LeverWorld:
    """The seeded sandbox account as the tests see it."""

    sandbox: object
    account_id: str
    super_admin_id: str
    interviewer_id: str

    def state(self) -> dict:
        return self.sandbox.admin("GET", f"/_admin/state?account_id={self.account_id}")

    def token_calls(self) -> int:
        return sum(1 for c in self.sandbox.calls() if c["path"] == "/oauth/token")


def point_app_at_sandbox(app, sandbox) -> None:
    """Make the app's Lever environment the sandbox subprocess."""
    app.config.update(
        LEVER_ENV="local", LEVER_API_URL=sandbox.api_url, LEVER_AUTHORIZE_URL=sandbox.url + "/authorize",
        LEVER_TOKEN_URL=sandbox.url + "/oauth/token", LEVER_AUDIENCE=sandbox.api_url + "/",
        LEVER_HIRE_URL=sandbox.url, LEVER_CLIENT_ID="dashboard-local",
        LEVER_CLIENT_SECRET="dashboard-local-secret",
    )


def _forget_user(exc=None) -> None:
    # The `app` fixture keeps one app context pushed, and Flask reuses it for every test
    # request, so flask-login's cached user in `g` would leak from one client to the next.
    g.pop("_login_user", None)


@pytest.fixture
def lever(app, sandbox) -> LeverWorld:
    """The demo Lever account in a fresh sandbox, and the app configured to use it."""
    app.teardown_request_funcs.setdefault(None, []).append(_forget_user)
    seeded = sandbox.seed(demo=True)
    point_app_at_sandbox(app, sandbox)
    users = {u["accessRole"]: u["id"] for u in seeded["users"]}
    return LeverWorld(sandbox, seeded["account"]["id"], users["super admin"], users["interviewer"])


def start_consent(client) -> tuple[str, dict]:
    """POST Enable as the logged-in user; returns the sandbox consent URL and its parameters."""
    resp = client.post(f"{CONNECT}/enable")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    url = resp.headers["Location"]
    return url, dict(parse_qsl(urlsplit(url).query))


def decide_at_sandbox(lever: LeverWorld, url: str, params: dict, *, user_id: str | None = None,
                      decision: str = "accept", untick: tuple[str, ...] = ()) -> str:
    """Load the consent page, submit the decision as a sandbox user (with the `untick` scopes left
    unticked); returns our callback path+query."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    choice = {"scope_choice": "1", "granted": [s for s in params["scope"].split() if s not in untick]} if untick else {}
    answer = requests.post(lever.sandbox.url + "/authorize", timeout=10, allow_redirects=False,
                           data={**params, **choice, "decision": decision,
                                 "user_id": user_id or lever.super_admin_id})
    assert answer.status_code in (302, 303), answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == f"{CONNECT}/callback"
    return f"{back.path}?{back.query}"


def connect(client, lever: LeverWorld, **kw):
    """The whole flow: Enable → consent → callback; returns the callback response."""
    url, params = start_consent(client)
    return client.get(decide_at_sandbox(lever, url, params, **kw))


def flashes(client) -> list[tuple[str, str]]:
    """The flashed messages waiting in the client's session (consumed)."""
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def flash_text(client) -> str:
    return " | ".join(message for _, message in flashes(client))
