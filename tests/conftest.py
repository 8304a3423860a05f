"""The fixtures every test module may use. They build through tests/factories.py (and the fixed
dataset of tests/datasets.py); test modules import builders from there, never from each other."""

import pytest
from django.core.cache import cache, caches
from django.utils import timezone

from portal.celery import app as celery_app
from takedowns.models import Seller
from takedowns.workflow import counter_notices
from tests import factories
from tests.datasets import build_dataset, build_proactive_november

# Hashing is not under test, and the default hasher's rounds were most of the suite's time (every
# reviewer a test makes gets the password "pw"). Logins happen in this process, live_server's thread
# included; the integration layer's worker runs with portal.settings but never checks a password.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated(request, settings, tmp_path):
    """Unit tests run tasks in-process (after commit, like the real thing) and keep files in tmp."""
    # The queue's counts live in the cache: each test gets its own, empty (a shared file cache
    # would let concurrent test runs see each other's counts).
    # The rate limits' counters too (takedowns/limits.py): a test starts with none counted.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "limits"}}
    cache.clear()
    caches["limits"].clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://portal.test"
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "evidence")}}}
    integration = request.node.get_closest_marker("integration") is not None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = not integration
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def now():
    return timezone.now()


# --- The marketplace and the people. ---

@pytest.fixture
def catalogue(db):
    """Two sellers; L-100001..L-100004 are active, L-100005 is removed; L-100003 is a toy (factories.make_catalogue)."""
    return factories.make_catalogue()


@pytest.fixture
def bright(catalogue):
    """Bright Store (L-100003, L-100004), with an address for statements and no strikes yet."""
    seller = catalogue["L-100003"].seller
    Seller.objects.filter(pk=seller.pk).update(strike_count=0, email="bright@sellers.example")
    seller.refresh_from_db()
    return seller


@pytest.fixture
def reviewers(db):
    """tm (trademark) and cr (copyright, also French): trademark notices are routed to tm."""
    return {
        "tm": factories.make_reviewer("tm", ["trademark"]),
        "cr": factories.make_reviewer("cr", ["copyright"], languages="en,fr"),
    }


@pytest.fixture
def lead(db):
    """The trust & safety lead "lead" (lead@portal.test): a reviewer in the Lead group, with no skill."""
    return factories.make_lead("lead")


@pytest.fixture
def other_reviewer(reviewers):
    """A trademark reviewer, "ola", who took no part in any decision: one who may decide an appeal."""
    return factories.make_reviewer("ola", ["trademark"])


# --- The fixed dataset of the dashboard and the report. ---

@pytest.fixture
def dataset(catalogue, reviewers):
    """tests/datasets.py's notices, decisions, clocks, strikes, counter-notices and appeals of autumn 2026."""
    return build_dataset(reviewers)


@pytest.fixture
def november(catalogue, reviewers):
    """Issue 14's November 2026 of removals by initiative, screenings and referrals (tests/datasets.py): the
    report's and the dashboard's proactive figures are worked out from it in tests/reports/test_proactive.py."""
    build_proactive_november(reviewers)


# --- A counter-notice's case: the dates are factories.REMOVED_AT, FILED_AT, ACCEPTED_AT. ---

@pytest.fixture
def checker(db):
    """The reviewer who checks counter-notices for completeness."""
    return factories.make_reviewer("checker", ["copyright"])


@pytest.fixture
def bright_removal(bright, reviewers):
    """Bright Store's listing L-100003, removed by tm at REMOVED_AT and taken down at the marketplace."""
    return factories.taken_down(factories.REMOVED_AT, "L-100003", by=reviewers["tm"])


@pytest.fixture
def filed_counter_notice(bright_removal):
    """Bright Store's counter-notice against that removal, filed at FILED_AT, waiting for its check."""
    return counter_notices.file_counter_notice(bright_removal, factories.COUNTER_NOTICE_FIELDS, factories.FILED_AT)


@pytest.fixture
def waiting_counter_notice(filed_counter_notice, checker):
    """The counter-notice found complete at ACCEPTED_AT: the restore window runs."""
    return counter_notices.accept_counter_notice(filed_counter_notice, checker, factories.ACCEPTED_AT)
