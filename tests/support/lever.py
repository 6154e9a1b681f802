"""The dashboard's Lever connection against the sandbox: the app pointed at it, the seeded demo
account as the tests see it, and the consent dance (Enable → consent page → callback)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import requests
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection.models import LeverConnection
from tests.support.clients import login

CONNECT = "/settings/integrations/lever"


@dataclass
class LeverWorld:
    """The seeded sandbox account as the tests see it."""

    sandbox: object
    account_id: str
    super_admin_id: str
    interviewer_id: str

    @classmethod
    def from_seed(cls, sandbox, seeded: dict) -> LeverWorld:
        """The account `sandbox.seed(demo=True)` answered with."""
        users = {u["accessRole"]: u["id"] for u in seeded["users"]}
        return cls(sandbox, seeded["account"]["id"], users["super admin"], users["interviewer"])

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


def point_app_at_fast_sandbox(app, sandbox) -> None:
    """The app on the sandbox with pacing lifted on both sides and short timeouts and waits."""
    point_app_at_sandbox(app, sandbox)
    sandbox.configure(rate=10000, burst=10000)
    app.config.update(LEVER_PACE_RATE=10000, LEVER_PACE_BURST=10000, LEVER_READ_TIMEOUT=1.0, LEVER_MAX_SLEEP=0.2,
                      LEVER_OUTCOME_SETTLE_SECONDS=2.0)


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


def connect_organisation(client, user, lever: LeverWorld) -> LeverConnection:
    """Log `user` in and connect their organisation through the whole flow (its flashes consumed);
    returns the connection."""
    login(client, user)
    connect(client, lever)
    flash_text(client)
    return db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == user.organisation_id))


def flashes(client) -> list[tuple[str, str]]:
    """The flashed messages waiting in the client's session (consumed)."""
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def flash_text(client) -> str:
    """The flashed messages waiting in the client's session (consumed), joined by ` | `."""
    return " | ".join(message for _, message in flashes(client))
