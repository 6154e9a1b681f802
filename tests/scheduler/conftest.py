"""The scheduler tests reuse the sync engine's bench (`world`: demo organisation connected to the sandbox)."""

from tests.sync.conftest import world  # noqa: F401  (fixture re-exported for this package)
