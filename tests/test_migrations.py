"""Data migrations run on rows written before them."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from takedowns.models import NoticeItem
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
