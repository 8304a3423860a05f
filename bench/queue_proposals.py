"""Proposed changes to the review pages, measured by bench/queue_bench.py on its own databases.

Nothing here is imported by the app. The bench applies the proposal to its own database (`APPLY`
SQL), patches the function below into its own process (`PATCHES`), then undoes both (`UNDO`).
The function is a copy of takedowns/selectors.py `review_page` as of a7b0038 (unchanged at
a06d5f5; the bench warns if the original changes) with the proposed change marked `# PROPOSED`.

Findings 1 and 2 of bench/RESULTS.md ("Review queue") were measured here as proposals on 48d64e5
(a `confirmed_at >= cursor` bound in review_queue, and the index (assigned_to, status,
confirmed_at, -priority, id) in place of (assigned_to, status)) and are in the app since a06d5f5;
they were removed from this file then.

3. history counters: the notice page's seller history and submitter record are counted over all
   past items of the seller / notices of the submitter (O(history) per page view). Proposed: keep
   them as counters, like Seller.strike_count and Reviewer.open_load: on Seller (reported_items,
   removed_items) and in a per-submitter row keyed by UPPER(submitter_email) (notices,
   removed_items, rejected_items), incremented where the workflow changes them
   (takedowns/workflow/filing.py file_notice and route_notice, workflow/review.py decide_items).
   The page subtracts its own notice's items, which it has in hand, so it shows what it shows
   today, except the number of earlier notices, which today counts item rows (a bug: Count("id")
   over the join with the items). Here the counters are two bench tables filled from the data;
   as Seller columns the seller part would need no query at all (the page select_related()s the
   seller already).
"""

from django.db import connection

from takedowns.enums import DecisionOutcome
from takedowns.models import Notice, NoticeItem
from takedowns.selectors import ReviewPage

APPLY = [
    """CREATE TABLE bench_seller_record AS
       SELECT l.seller_id, count(*) AS reported_items, count(*) FILTER (WHERE d.outcome = 'remove') AS removed_items
       FROM takedowns_noticeitem i JOIN takedowns_listing l ON l.id = i.listing_id
       LEFT JOIN takedowns_decision d ON d.item_id = i.id GROUP BY 1""",
    "ALTER TABLE bench_seller_record ADD PRIMARY KEY (seller_id)",
    """CREATE TABLE bench_submitter_record AS
       SELECT upper(n.submitter_email) AS email, count(DISTINCT n.id) AS notices,
              count(*) FILTER (WHERE d.outcome = 'remove') AS removed_items,
              count(*) FILTER (WHERE d.outcome = 'reject') AS rejected_items
       FROM takedowns_notice n LEFT JOIN takedowns_noticeitem i ON i.notice_id = n.id
       LEFT JOIN takedowns_decision d ON d.item_id = i.id GROUP BY 1""",
    "ALTER TABLE bench_submitter_record ADD PRIMARY KEY (email)",
    "ANALYZE bench_seller_record, bench_submitter_record",
]
UNDO = ["DROP TABLE IF EXISTS bench_seller_record, bench_submitter_record"]


def review_page(notice: Notice) -> ReviewPage:
    """takedowns.selectors.review_page with proposal 3: the two history aggregates read counters."""
    items = list(notice.items.select_related("listing__seller", "decision__reason_code").order_by("position"))
    seller_ids = sorted({item.listing.seller_id for item in items if item.listing})
    # PROPOSED: counters minus this notice's own items (the current query excludes this notice).
    own: dict[int, list[int]] = {}
    for item in items:
        if item.listing:
            reported, removed = own.setdefault(item.listing.seller_id, [0, 0])
            own[item.listing.seller_id] = [reported + 1, removed + (_outcome(item) == DecisionOutcome.REMOVE)]
    history = {}
    if seller_ids:
        with connection.cursor() as cur:
            cur.execute("SELECT seller_id, reported_items, removed_items FROM bench_seller_record "
                        "WHERE seller_id = ANY(%s)", [seller_ids])
            for seller_id, reported, removed in cur.fetchall():
                mine = own.get(seller_id, [0, 0])
                if reported - mine[0] > 0:  # the current GROUP BY has no row for a seller without other items
                    history[seller_id] = {"listing__seller": seller_id, "reported": reported - mine[0],
                                          "removed": removed - mine[1]}
    for item in items:
        item.seller_history = history.get(item.listing.seller_id, {}) if item.listing else {}
    with connection.cursor() as cur:
        cur.execute("SELECT notices, removed_items, rejected_items FROM bench_submitter_record WHERE email = upper(%s)",
                    [notice.submitter_email])
        row = cur.fetchone() or (1, 0, 0)
    outcomes = [_outcome(item) for item in items]
    submitter = {"notices": row[0] - 1,
                 "removed": row[1] - outcomes.count(DecisionOutcome.REMOVE),
                 "rejected": row[2] - outcomes.count(DecisionOutcome.REJECT)}
    return ReviewPage(
        notice=notice, items=items,
        events=list(notice.events.select_related("actor_user", "item").order_by("created_at", "id")),
        evidence=list(notice.evidence.order_by("id")),
        submitter_record=submitter,
    )


def _outcome(item) -> str | None:
    try:
        return item.decision.outcome
    except NoticeItem.decision.RelatedObjectDoesNotExist:
        return None


PATCHES = {"review_page": review_page}
