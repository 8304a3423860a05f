"""The API tests' organisation (verified, BrandGuard Services at brandguard.example) and its key (both scopes)."""

import pytest

from tests.api.helpers import key_for, organisation


@pytest.fixture
def org(now):
    return organisation(now)


@pytest.fixture
def key(org, now):
    return key_for(org, now)
