"""Fixtures for the Lever connection tests: the app pointed at the sandbox's demo account."""

from __future__ import annotations

import pytest

from tests.support.lever import LeverWorld, point_app_at_sandbox


@pytest.fixture
def lever(app, sandbox) -> LeverWorld:
    """The demo Lever account in a fresh sandbox, and the app configured to use it."""
    seeded = sandbox.seed(demo=True)
    point_app_at_sandbox(app, sandbox)
    return LeverWorld.from_seed(sandbox, seeded)
