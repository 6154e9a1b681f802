"""A 429's Retry-After holds back every call for that Lever account, in every process: the pacing state
shared through PostgreSQL says until when. Against the sandbox, whose call log has each call's time."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from dashboard.lever.api.client import LeverClient
from dashboard.lever.api.errors import LeverRateLimitedError
from dashboard.lever.api.oauth import DEFAULT_SCOPES
from dashboard.lever.connection.pacing import PostgresPacer
from tests.support.lever_client import StaticTokenSource


def test_a_429_with_retry_after_holds_every_process_for_that_account(pg_app, pg_url, sandbox):
    from dashboard.extensions import db

    seeded = sandbox.seed(demo=True)
    account = seeded["account"]["id"]
    token = sandbox.mint_token(client_id="dashboard-local", scopes=list(DEFAULT_SCOPES))["access_token"]
    other_engine = create_engine(pg_url)  # another process's own connection pool and pacer
    try:
        first = LeverClient(sandbox.api_url, StaticTokenSource(token, account_key=account),
                            pacer=PostgresPacer(db.engine), max_retries=0)
        second = LeverClient(sandbox.api_url, StaticTokenSource(token, account_key=account),
                             pacer=PostgresPacer(other_engine))
        assert second.list_stages()
        sandbox.configure(send_retry_after=True)
        sandbox.set_faults(rate_limit_rate=1.0)
        with pytest.raises(LeverRateLimitedError):
            first.list_stages()
        sandbox.set_faults(rate_limit_rate=0.0)
        for _ in range(3):
            assert second.list_users()
    finally:
        other_engine.dispose()
    calls = [c for c in sandbox.calls() if c["path"].startswith("/v1/")]
    [limited] = [c for c in calls if c["status"] == 429]
    after = [c for c in calls if c["path"] == "/v1/users"]
    assert len(after) == 3 and all(c["status"] == 200 for c in after)
    assert after[0]["at_ms"] >= limited["at_ms"] + 1000 - 2  # none inside the Retry-After window
