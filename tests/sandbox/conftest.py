"""Fixtures for the sandbox tests: a seeded account and an authenticated API session. (Here `world`
is this account, not the suite's connected demo organisation.)"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from tests.support.sandbox import ALL_SCOPES, REDIRECT


@dataclass
class SeededAccount:
    """A seeded account: its ids and the sandbox helper."""

    sandbox: object
    account_id: str
    super_admin: str
    interviewer: str
    posting_id: str

    def api(self, scopes=ALL_SCOPES) -> requests.Session:
        """A session carrying a freshly minted bearer token."""
        token = self.sandbox.mint_token(client_id="app", account_id=self.account_id, scopes=list(scopes))
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token['access_token']}"
        return session

    def apply(self, n: int = 1) -> list[dict]:
        """Add `n` applicants to the posting."""
        items = [{"posting_id": self.posting_id, "name": f"Cand {i}", "email": f"c{i}@example.com"}
                 for i in range(n)]
        return self.sandbox.admin("POST", "/_admin/applications",
                                  {"account_id": self.account_id, "applications": items})


@pytest.fixture
def world(sandbox) -> SeededAccount:
    """One account with a client, a super admin, an interviewer and a tagged posting."""
    seeded = sandbox.seed(
        account={"name": "Test Co"},
        clients=[{"client_id": "app", "client_secret": "app-secret", "redirect_uris": [REDIRECT]}],
        users=[{"name": "Sue", "email": "sue@test.example", "accessRole": "super admin"},
               {"name": "Ian", "email": "ian@test.example", "accessRole": "interviewer"}],
        postings=[{"text": "Analyst", "tags": ["Assess"]}],
    )
    return SeededAccount(sandbox, seeded["account"]["id"], seeded["users"][0]["id"], seeded["users"][1]["id"],
                 seeded["postings"][0]["id"])
