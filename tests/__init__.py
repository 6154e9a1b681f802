"""The test suite. Shared helpers live in `tests.support`; pytest rewrites their asserts as it does a
test module's (registered here, before any of them is imported), so a failing helper shows its values."""

import pytest

pytest.register_assert_rewrite("tests.support")
