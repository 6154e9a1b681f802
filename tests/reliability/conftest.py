"""Fixtures for the reliability tests: the connected demo organisation of the sync tests."""

from tests.sync.conftest import world  # noqa: F401
