"""reports/measures.py: the percentile helper, on whichever database the suite runs on
(percentile_cont on PostgreSQL, a count and LIMIT/OFFSET rows on SQLite)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from takedowns.enums import ClockKind
from takedowns.models import Listing, Notice, Seller, SlaClock
from takedowns.reports import measures
from tests.datasets import MIN, H, at, clock_row, notice_row

pytestmark = pytest.mark.django_db


def clocks_with_elapsed(notice: Notice, *minutes: int | None) -> None:
    for n in minutes:
        started = at(10, 1)
        stopped = None if n is None else started + n * MIN
        clock_row(ClockKind.ACKNOWLEDGEMENT, notice, started, started + H, stopped)


@pytest.fixture
def one_notice(db):
    return notice_row("TD-P", at(10, 1), ("counterfeit",), right_type="trademark")


def test_percentile_interpolates_between_the_two_nearest_values(one_notice):
    clocks_with_elapsed(one_notice, 30, 10, 40, 20)  # sorted 10 20 30 40
    clocks = SlaClock.objects.all()
    assert measures.percentile(clocks, "elapsed", 0.5) == 25 * MIN
    assert measures.percentile(clocks, "elapsed", 0.9) == timedelta(minutes=37)  # 30 + 0.7 * 10
    assert measures.percentile(clocks, "elapsed", 0) == 10 * MIN
    assert measures.percentile(clocks, "elapsed", 1) == 40 * MIN
    assert measures.percentiles(clocks, "elapsed", [0.25, 0.5]) == [timedelta(minutes=17, seconds=30), 25 * MIN]


def test_percentile_leaves_nulls_out_and_is_none_without_values(one_notice):
    assert measures.percentile(SlaClock.objects.all(), "elapsed", 0.5) is None
    clocks_with_elapsed(one_notice, None, 7, None)
    assert measures.percentiles(SlaClock.objects.all(), "elapsed", [0.5, 0.9]) == [7 * MIN, 7 * MIN]


def test_percentile_of_numbers_is_a_float_and_of_an_expression_is_computed_in_sql(one_notice, catalogue):
    for price in ("10.00", "20.00", "40.00"):
        Listing.objects.create(external_id=f"L-P{price}", seller=Seller.objects.first(), title="x", category="shoes",
                               price=Decimal(price))
    prices = Listing.objects.filter(external_id__startswith="L-P")
    assert measures.percentile(prices, "price", 0.5) == pytest.approx(20.0)
    assert measures.percentile(prices, "price", 0.75) == pytest.approx(30.0)
    clocks_with_elapsed(one_notice, 5, 15)
    # due_at - stopped_at is 55 and 45 minutes.
    assert measures.percentile(SlaClock.objects.all(), F("due_at") - F("stopped_at"), 0.5) == 50 * MIN


def test_percentile_reads_a_fixed_number_of_rows_whatever_the_count(one_notice):
    clocks_with_elapsed(one_notice, *range(1, 201))
    with CaptureQueriesContext(connection) as queries:
        assert measures.percentiles(SlaClock.objects.all(), "elapsed", [0.5, 0.9]) == [
            timedelta(minutes=100, seconds=30), timedelta(minutes=180, seconds=6)]
    sql = " ".join(query["sql"] for query in queries)
    if connection.vendor == "postgresql":
        assert len(queries) == 1 and "percentile_cont(0.5) WITHIN GROUP" in sql
    else:  # one COUNT, then LIMIT 2 OFFSET k per fraction
        assert len(queries) == 3 and "LIMIT 2 OFFSET 99" in sql and "LIMIT 2 OFFSET 179" in sql


def test_a_fraction_outside_0_to_1_is_refused(one_notice):
    with pytest.raises(ValueError, match="between 0 and 1"):
        measures.percentile(SlaClock.objects.all(), "elapsed", 1.5)
