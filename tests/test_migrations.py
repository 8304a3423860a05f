"""Data migrations run on rows written before them."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from takedowns.enums import ClockKind
from takedowns.models import CounterNotice, CounterNoticeFiling, NoticeItem, ReasonCode, SlaPolicy
from takedowns.workflow import counter_notices
from tests import factories
from tests.factories import routed

ITEM_SELLER_WINDOW = "0017_item_seller_window"


@pytest.mark.django_db(transaction=True)
def test_items_routed_before_0017_get_their_seller_and_filing_time(now, catalogue, reviewers):
    """Routing writes the copies from 0017 on; the migration fills them in for items routed before it:
    the found listing's seller, the notice's filing time, nothing for an unrouted item's seller."""
    notice = routed(now, [("L-100001", "counterfeit"), ("L-999999", "counterfeit")])
    NoticeItem.objects.update(seller=None, filed_at=None)  # as they were before 0017
    module = importlib.import_module(f"takedowns.migrations.{ITEM_SELLER_WINDOW}")
    before = module.Migration.dependencies
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        executor.migrate([("takedowns", ITEM_SELLER_WINDOW)])
    finally:  # the next tests need the schema of today
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    items = list(NoticeItem.objects.filter(notice=notice).select_related("seller").order_by("position"))
    assert [(i.seller.external_id if i.seller else None, i.filed_at) for i in items] == [
        ("S-1", notice.created_at), (None, notice.created_at)]


FILINGS_AND_CONTACT = "0019_counter_notice_filings_and_contact"


@pytest.mark.django_db(transaction=True)
def test_counter_notices_filed_before_0019_get_one_filing_per_filing_event(bright, reviewers, checker):
    """Every filing of a counter-notice is a counter_notice_filed event; the migration writes a filing
    row for each (a refiling counts again), and one at filed_at for a counter-notice without events.
    It also adds the completeness check's default policy: two business days, New York, US holidays."""
    # A transactional test before this one flushed the rows of the data migrations; decide() reads this one.
    ReasonCode.objects.get_or_create(code="genuine-goods", defaults={"title": "Genuine goods",
                                                                     "submitter_text": "The goods are genuine."})
    removal = factories.taken_down(factories.REMOVED_AT, "L-100003", by=reviewers["tm"])
    filed = counter_notices.file_counter_notice(removal, factories.COUNTER_NOTICE_FIELDS, factories.FILED_AT)
    counter_notices.mark_incomplete(filed, checker, "No country.", factories.ACCEPTED_AT)
    refiled_at = factories.ACCEPTED_AT + timedelta(hours=1)
    counter_notices.file_counter_notice(removal, factories.COUNTER_NOTICE_FIELDS, refiled_at)
    other = factories.taken_down(factories.REMOVED_AT, "L-100004", by=reviewers["tm"])
    silent = CounterNotice.objects.create(decision=other, filed_at=factories.FILED_AT, status="filed",
                                          **{name: factories.COUNTER_NOTICE_FIELDS[name]
                                             for name in counter_notices.FIELDS}, statement_mistake=True,
                                          consent_jurisdiction=True)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("takedowns", ITEM_SELLER_WINDOW)])
        executor.loader.build_graph()
        executor.migrate([("takedowns", FILINGS_AND_CONTACT)])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(CounterNoticeFiling.objects.order_by("counter_notice_id", "filed_at")
                .values_list("counter_notice_id", "filed_at", "refiling")) == [
        (filed.pk, factories.FILED_AT, False), (filed.pk, refiled_at, True), (silent.pk, factories.FILED_AT, False)]
    policy = SlaPolicy.objects.get(clock=ClockKind.COUNTER_NOTICE_CHECK)
    assert (policy.target, policy.business_hours, policy.timezone, policy.country, policy.right_type,
            policy.min_priority) == (timedelta(hours=16), True, "America/New_York", "US", "", 0)
