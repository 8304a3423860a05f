"""The leads' dashboard card of the Transparency Database submission (DSA Art. 24(5)): what is pending, what
the TDB refused, what was sent in the period, and the last error, from the TdbSubmission rows."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from takedowns import tdb_submission
from tests import fake_tdb
from tests.factories import log_in, taken_down

pytestmark = pytest.mark.django_db


def card(html: str) -> str:
    section = re.search(r'<section[^>]*id="tdb-submission".*?</section>', html, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_the_card_shows_pending_failed_sent_in_the_period_and_the_last_error(client, lead, catalogue, reviewers,
                                                                             settings):
    now = datetime.now(UTC)
    removals = [taken_down(now + timedelta(minutes=n), listing) for n, listing in enumerate(["L-100001", "L-100002",
                                                                                             "L-100004"])]
    with fake_tdb.serving() as fake:
        settings.TDB_API_URL, settings.TDB_API_TOKEN = fake.url, fake_tdb.TOKEN
        tdb_submission.enqueue(now)
        fake.invalid_puids = {tdb_submission.TdbSubmission.objects.get(decision=removals[1]).puid}
        tdb_submission.submit_pending(now, sleep=lambda delay: None)
    log_in(client, lead)
    day = now.date().isoformat()
    html = client.get("/review/dashboard/", {"from": day, "to": day}).content.decode()
    assert card(html) == (
        "Transparency Database (DSA Art. 24(5)) Not yet queued (every statement must go, Art. 24(5)) 0 "
        "Pending (waiting or being sent) 0 "
        "Failed (refused: see TDB submissions in the admin) 1 Sent in the period 2 "
        f"Last error ({date_format(timezone.localtime(now), 'DATETIME_FORMAT')}): "
        "Refused by the Transparency Database: "
        "{&quot;decision_facts&quot;: [&quot;The decision facts field is required.&quot;]}")


def test_the_card_says_when_nothing_is_sent_because_the_tdb_is_not_configured(client, lead, settings):
    settings.TDB_API_URL, settings.TDB_API_TOKEN = "", ""
    log_in(client, lead)
    html = client.get("/review/dashboard/").content.decode()
    assert "Not sending: TDB_API_URL and TDB_API_TOKEN are not both set." in card(html)
    assert "Pending (waiting or being sent) 0" in card(html)


def test_the_card_counts_the_statements_not_yet_queued_whatever_their_age(client, lead, catalogue, reviewers,
                                                                          settings):
    # Issue 12 (audit, point 7): statements older than the old 30-day look-back were never queued, and the card
    # said nothing about them.
    settings.TDB_API_URL, settings.TDB_API_TOKEN = "", ""
    now = datetime.now(UTC)
    for n, listing in enumerate(["L-100001", "L-100002"]):
        taken_down(now - timedelta(days=90 + n), listing)
    log_in(client, lead)
    html = client.get("/review/dashboard/").content.decode()
    assert "Not yet queued (every statement must go, Art. 24(5)) 2 Pending (waiting or being sent) 0" in card(html)
