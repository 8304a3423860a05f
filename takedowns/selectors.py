"""Read queries for the pages."""

from dataclasses import dataclass

from datetime import UTC, datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from takedowns.enums import DecisionOutcome, ItemState, NoticeStatus
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


def review_queue(reviewer: Reviewer, *, status: str, right_type: str | None, scope: str,
                 cursor: QueueCursor | None) -> QueuePage:
    """Notices in queue order: oldest confirmation (the earliest due) first, then the highest
    priority. Keyset-paginated over an index of exactly that order, so a deep page costs what
    the first does; no count over the table."""
    notices = Notice.objects.filter(status=status).select_related("assigned_to__user")
    if right_type:
        notices = notices.filter(right_type=right_type)
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
    """Everything a reviewer needs to decide without leaving the page."""
    items = list(notice.items.select_related("listing__seller", "decision__reason_code").order_by("position"))
    seller_ids = {item.listing.seller_id for item in items if item.listing}
    history = {
        row["listing__seller"]: row for row in
        NoticeItem.objects.filter(listing__seller__in=seller_ids).exclude(notice=notice)
        .values("listing__seller").annotate(reported=Count("id"),
                                            removed=Count("id", filter=Q(decision__outcome=DecisionOutcome.REMOVE)))
    }
    for item in items:
        item.seller_history = history.get(item.listing.seller_id, {}) if item.listing else {}
    submitter = Notice.objects.filter(submitter_email__iexact=notice.submitter_email).exclude(pk=notice.pk).aggregate(
        notices=Count("id", distinct=True),  # the join with items repeats each notice
        removed=Count("items", filter=Q(items__decision__outcome=DecisionOutcome.REMOVE)),
        rejected=Count("items", filter=Q(items__decision__outcome=DecisionOutcome.REJECT)))
    return ReviewPage(
        notice=notice, items=items,
        events=list(notice.events.select_related("actor_user", "item").order_by("created_at", "id")),
        evidence=list(notice.evidence.order_by("id")),
        submitter_record=submitter,
    )


def open_statuses() -> list[tuple[str, str]]:
    return [(NoticeStatus.IN_REVIEW.value, NoticeStatus.IN_REVIEW.label),
            (NoticeStatus.AWAITING_SUBMITTER.value, NoticeStatus.AWAITING_SUBMITTER.label),
            (NoticeStatus.CLOSED.value, "Closed"), (NoticeStatus.CONFIRMED.value, "Waiting for routing")]
