"""Read queries for the pages."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from takedowns.enums import (
    OPEN_NOTICE_STATUSES,
    DecisionOutcome,
    InfringementReason,
    ItemState,
    NoticeStatus,
    RightType,
    SubmitterTrust,
)
from takedowns.models import Event, Listing, Notice, NoticeItem, OutboundEmail, Reviewer

CATALOGUE_PAGE_SIZE = 30


@dataclass
class TrackingPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    emails: list[OutboundEmail]
    open_question: object | None


def tracking_page(notice: Notice) -> TrackingPage:
    return TrackingPage(
        notice=notice,
        items=list(notice.items.select_related("listing", "listing__seller", "duplicate_of__notice",
                                               "decision__reason_code").order_by("position")),
        # Per-listing lookups are summarised by the items table; the timeline keeps notice-level steps.
        events=list(notice.events.filter(item=None).order_by("created_at", "id")),
        emails=list(notice.emails.order_by("created_at", "id")),
        open_question=notice.info_requests.filter(answered_at=None, expired_at=None).order_by("requested_at").first(),
    )


@dataclass
class CataloguePage:
    listings: list[Listing]
    next_after: int | None


def catalogue_page(after: int | None, category: str | None, query: str | None) -> CataloguePage:
    """One page of listings, keyset-paginated on id so that deep pages cost what the first does."""
    listings: QuerySet[Listing] = Listing.objects.select_related("seller").order_by("id")
    if category:
        listings = listings.filter(category=category)
    if query:
        listings = listings.filter(title__icontains=query)
    if after:
        listings = listings.filter(id__gt=after)
    page = list(listings[: CATALOGUE_PAGE_SIZE + 1])
    next_after = page[CATALOGUE_PAGE_SIZE - 1].id if len(page) > CATALOGUE_PAGE_SIZE else None
    return CataloguePage(page[:CATALOGUE_PAGE_SIZE], next_after)


def catalogue_categories() -> list[str]:
    return list(Listing.objects.order_by("category").values_list("category", flat=True).distinct())


QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueCursor:
    """Where a queue page starts: after the notice with these ordering values."""
    confirmed_at: datetime
    priority: int
    id: int

    def encode(self) -> str:
        return f"{self.confirmed_at.timestamp():.6f}_{self.priority}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> "QueueCursor | None":
        try:
            stamp, priority, pk = (text or "").split("_")
            return cls(datetime.fromtimestamp(float(stamp), tz=UTC), int(priority), int(pk))
        except ValueError:
            return None


@dataclass
class QueuePage:
    notices: list[Notice]
    next_cursor: str | None


@dataclass(frozen=True)
class QueueFilters:
    status: str = NoticeStatus.IN_REVIEW
    right_type: str = ""
    reason: str = ""
    scope: str = "all"  # all, mine, unassigned, escalated
    trust: str = ""  # a SubmitterTrust rung, or "" for every submitter

    def query(self) -> str:
        return urlencode({"status": self.status, "right_type": self.right_type, "reason": self.reason,
                          "scope": self.scope, "trust": self.trust})


def review_queue(reviewer: Reviewer, filters: QueueFilters, cursor: QueueCursor | None) -> QueuePage:
    """Notices in queue order: oldest confirmation (the earliest due) first, then the highest
    priority. Keyset-paginated over an index of exactly that order, so a deep page costs what
    the first does; no count over the table."""
    notices = Notice.objects.filter(status=filters.status).select_related("assigned_to__user")
    if filters.right_type:
        notices = notices.filter(right_type=filters.right_type)
    if filters.reason:
        # EXISTS per candidate row, through the (notice, position) index; no join to de-duplicate.
        notices = notices.filter(Exists(NoticeItem.objects.filter(notice=OuterRef("pk"), reason=filters.reason)))
    if filters.trust:
        notices = notices.filter(trust=filters.trust)
    scope = filters.scope
    if scope == "mine":
        notices = notices.filter(assigned_to=reviewer)
    elif scope == "unassigned":
        notices = notices.filter(assigned_to__isnull=True)
    elif scope == "escalated":
        notices = notices.filter(escalated_at__isnull=False)
    if cursor:
        # The plain bound lets PostgreSQL start the index scan at the cursor; the OR alone is
        # only a filter, and a deep page would read every row before it (bench/RESULTS.md).
        notices = notices.filter(confirmed_at__gte=cursor.confirmed_at).filter(
            Q(confirmed_at__gt=cursor.confirmed_at)
            | Q(confirmed_at=cursor.confirmed_at, priority__lt=cursor.priority)
            | Q(confirmed_at=cursor.confirmed_at, priority=cursor.priority, id__gt=cursor.id))
    # A correlated subquery, not a JOIN + GROUP BY: it is computed for the page's rows only,
    # where a GROUP BY would aggregate every matching notice before the LIMIT.
    open_items = (NoticeItem.objects.filter(notice=OuterRef("pk"), state=ItemState.IN_REVIEW)
                  .order_by().values("notice").annotate(count=Count("id")).values("count"))
    page = list(notices.order_by("confirmed_at", "-priority", "id")
                .annotate(open_items=Coalesce(Subquery(open_items), 0))[: QUEUE_PAGE_SIZE + 1])
    next_cursor = None
    if len(page) > QUEUE_PAGE_SIZE:
        last = page[QUEUE_PAGE_SIZE - 1]
        next_cursor = QueueCursor(last.confirmed_at, last.priority, last.id).encode()
    return QueuePage(page[:QUEUE_PAGE_SIZE], next_cursor)


@dataclass
class ReviewPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    evidence: list
    submitter_record: dict


def review_page(notice: Notice) -> ReviewPage:
    """Everything a reviewer needs to decide without leaving the page. The seller's history and
    the submitter's record are counters kept by the workflow, minus this notice's own share, so
    the page costs the same for a seller or a submitter with a long history."""
    items = list(notice.items.select_related("listing__seller", "decision__reason_code").order_by("position"))
    outcomes = [item.decision.outcome if hasattr(item, "decision") else None for item in items]
    own = defaultdict(lambda: {"reported": 0, "removed": 0})
    for item, outcome in zip(items, outcomes):
        if item.listing and notice.routed_at:  # routing counted the notice's listings
            own[item.listing.seller_id]["reported"] += 1
            own[item.listing.seller_id]["removed"] += outcome == DecisionOutcome.REMOVE
    for item in items:
        if item.listing:
            seller, mine = item.listing.seller, own[item.listing.seller_id]
            item.seller_history = {"reported": seller.reported_items - mine["reported"],
                                   "removed": seller.removed_items - mine["removed"], "strikes": seller.strike_count}
        else:
            item.seller_history = {}
    submitter = notice.submitter
    record = {"notices": 0, "removed": 0, "rejected": 0, "trust": notice.get_trust_display()}
    if submitter is not None:
        record.update(notices=submitter.notices - 1, removed=submitter.removed_items - outcomes.count(DecisionOutcome.REMOVE),
                      rejected=submitter.rejected_items - outcomes.count(DecisionOutcome.REJECT),
                      trusted_flagger=submitter.trusted_flagger)
    return ReviewPage(
        notice=notice, items=items,
        events=list(notice.events.select_related("actor_user", "item").order_by("created_at", "id")),
        evidence=list(notice.evidence.order_by("id")),
        submitter_record=record,
    )


QUEUE_COUNTS_SECONDS = 15


@dataclass
class QueueCounts:
    """How many open notices each filter option holds, within the chosen status."""
    status: dict[str, int]
    right_type: dict[str, int]
    reason: dict[str, int]
    scope: dict[str, int]
    trust: dict[str, int]
    counted_at: datetime


def queue_counts(reviewer: Reviewer, status: str, now: datetime) -> QueueCounts:
    """The counts beside the queue's filters. They are aggregated over open notices only (the
    closed history is not work to do), in two grouped queries, and shared for
    QUEUE_COUNTS_SECONDS by every page view of the process: a count per page view would read
    every open notice each time. Only "assigned to me" is counted live, over the reviewer's own index range."""
    counts = cache.get_or_set("queue-counts", lambda: _open_notice_counts(now), QUEUE_COUNTS_SECONDS)
    mine = Notice.objects.filter(assigned_to=reviewer, status=status).count()
    per_status = counts["per_status"].get(status, {})
    return QueueCounts(
        status={value: counts["per_status"].get(value, {}).get("all", 0) for value in OPEN_NOTICE_STATUSES},
        right_type={value: per_status.get(f"right_type:{value}", 0) for value in RightType.values},
        reason={value: counts["reasons"].get((status, value), 0) for value in InfringementReason.values},
        scope={"all": per_status.get("all", 0), "mine": mine, "unassigned": per_status.get("unassigned", 0),
               "escalated": per_status.get("escalated", 0)},
        trust={value: per_status.get(f"trust:{value}", 0) for value in SubmitterTrust.values},
        counted_at=counts["counted_at"],
    )


def _open_notice_counts(now: datetime) -> dict:
    aggregates = {"all": Count("id"), "unassigned": Count("id", filter=Q(assigned_to__isnull=True)),
                  "escalated": Count("id", filter=Q(escalated_at__isnull=False))}
    aggregates.update({f"right_type:{value}": Count("id", filter=Q(right_type=value)) for value in RightType.values})
    aggregates.update({f"trust:{value}": Count("id", filter=Q(trust=value)) for value in SubmitterTrust.values})
    open_notices = Notice.objects.filter(status__in=OPEN_NOTICE_STATUSES)
    per_status = {row.pop("status"): row for row in open_notices.values("status").annotate(**aggregates).order_by()}
    reasons = {(row["notice__status"], row["reason"]): row["notices"] for row in
               NoticeItem.objects.filter(notice__status__in=OPEN_NOTICE_STATUSES).values("notice__status", "reason")
               .annotate(notices=Count("notice", distinct=True)).order_by()}
    return {"per_status": per_status, "reasons": reasons, "counted_at": now}


def open_statuses() -> list[tuple[str, str]]:
    return [(NoticeStatus.IN_REVIEW.value, NoticeStatus.IN_REVIEW.label),
            (NoticeStatus.AWAITING_SUBMITTER.value, NoticeStatus.AWAITING_SUBMITTER.label),
            (NoticeStatus.CLOSED.value, "Closed"), (NoticeStatus.CONFIRMED.value, "Waiting for routing")]
