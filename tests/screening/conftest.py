"""Each test starts with no screening state cached in the process (the rules, the term automaton)."""

import pytest

from takedowns.screening import engine


@pytest.fixture(autouse=True)
def _no_cached_screening():
    engine.forget()
    yield
    engine.forget()
