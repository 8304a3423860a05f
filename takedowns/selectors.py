"""Read queries for the pages."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils import timezone
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from takedowns import sla
from takedowns.enums import (
    OPEN_NOTICE_STATUSES,
    EventKind,
    REASON_BITS,
    ClockKind,
    DecisionOutcome,
    InfringementReason,
    ItemState,
    NoticeStatus,
    RightType,
    SubmitterTrust,
)
from takedowns.models import (
    Decision,
    Event,
    InfoRequest,
    Listing,
    Notice,
    NoticeItem,
    OutboundEmail,
    Reviewer,
    SlaClock,
)

CATALOGUE_PAGE_SIZE = 30


@dataclass
class TrackingPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    emails: list[OutboundEmail]
    open_question: object | None
    questions: list[InfoRequest]
    clocks: list[SlaClock]


def with_decisions(items: QuerySet[NoticeItem]) -> QuerySet[NoticeItem]:
    """Items with the decision in force on each (NoticeItem.decision), in one extra query."""
    return items.prefetch_related(Prefetch(
        "decisions", queryset=Decision.objects.filter(reversed_at=None).select_related("reason_code"),
        to_attr="decisions_in_force"))


# The seller's account (strikes, penalties and their appeals) is not the submitter's business. Among
# notice-level events (item=None) appeal events are those of penalty appeals: a listing's appeal is an item event.
SELLER_ACCOUNT_EVENTS = [EventKind.STRIKE_RECORDED, EventKind.STRIKE_EXPIRED, EventKind.STRIKE_REVERSED,
                         EventKind.PENALTY_DECIDED, EventKind.PENALTY_APPLIED, EventKind.PENALTY_LIFTED,
                         EventKind.APPEAL_FILED, EventKind.APPEAL_DECIDED]


def tracking_page(notice: Notice) -> TrackingPage:
    return TrackingPage(
        notice=notice,
        items=list(with_decisions(notice.items.select_related("listing", "listing__seller", "duplicate_of__notice"))
                   .order_by("position")),
        # Per-listing lookups are summarised by the items table; the timeline keeps notice-level steps.
        # Clocks have their own table on the page ("Deadlines"); the timeline keeps the steps.
        events=list(notice.events.filter(item=None).exclude(kind__in=SELLER_ACCOUNT_EVENTS)
                    .exclude(kind__startswith="clock_").order_by("created_at", "id")),
        emails=list(notice.emails.order_by("created_at", "id")),
        open_question=notice.info_requests.filter(answered_at=None, expired_at=None).order_by("requested_at").first(),
        questions=questions_of(notice),
        clocks=submitter_clocks(notice),
    )


def submitter_clocks(notice: Notice) -> list[SlaClock]:
    """The deadlines the submitter is owed: every clock of the notice but the seller's penalty
    (the seller's account is not the submitter's business). Each has .state (sla.ClockState)."""
    now = timezone.now()
    found = list(notice.clocks.exclude(kind=ClockKind.SELLER_PENALTY).exclude(appeal__penalty__isnull=False)
                 .select_related("item")
                 .order_by("started_at", "id"))
    for clock in found:
        clock.state = sla.clock_state(now, due_at=clock.due_at, warn_at=clock.warn_at, paused_at=clock.paused_at,
                                      stopped_at=clock.stopped_at)
    return found


def questions_of(notice: Notice) -> list[InfoRequest]:
    """The reviewer's questions with their answers, listings and files, oldest first."""
    return list(notice.info_requests.prefetch_related("items", "files").order_by("requested_at", "id"))


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
    due_at: datetime
    priority: int
    id: int

    def encode(self) -> str:
        return f"{self.due_at.timestamp():.6f}_{self.priority}_{self.id}"

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
    """Notices in queue order: the earliest due first (Notice.due_at: the running clock of the
    notice's next step, under its SLA policy), then the highest priority. Keyset-paginated over an index of exactly that order, so a deep page costs what
    the first does; no count over the table."""
    notices = Notice.objects.filter(status=filters.status).select_related("assigned_to__user")
    if filters.right_type:
        notices = notices.filter(right_type=filters.right_type)
    if filters.reason:
        notices = notices.alias(has_reason=F("reason_mask").bitand(REASON_BITS[filters.reason])).filter(has_reason__gt=0)
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
        notices = notices.filter(due_at__gte=cursor.due_at).filter(
            Q(due_at__gt=cursor.due_at)
            | Q(due_at=cursor.due_at, priority__lt=cursor.priority)
            | Q(due_at=cursor.due_at, priority=cursor.priority, id__gt=cursor.id))
    # A correlated subquery, not a JOIN + GROUP BY: it is computed for the page's rows only,
    # where a GROUP BY would aggregate every matching notice before the LIMIT.
    open_items = (NoticeItem.objects.filter(notice=OuterRef("pk"), state=ItemState.IN_REVIEW)
                  .order_by().values("notice").annotate(count=Count("id")).values("count"))
    # The running clock behind due_at, for its state (on time, warning, breached, paused); per page row.
    clock = (SlaClock.objects.filter(notice=OuterRef("pk"), stopped_at=None,
                                     kind__in=[ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION])
             .order_by("-started_at"))
    page = list(notices.order_by("due_at", "-priority", "id")
                .annotate(open_items=Coalesce(Subquery(open_items), 0),
                          clock_warn_at=Subquery(clock.values("warn_at")[:1]),
                          clock_paused_at=Subquery(clock.values("paused_at")[:1]))[: QUEUE_PAGE_SIZE + 1])
    now = timezone.now()
    for notice in page:
        notice.clock_state = sla.clock_state(now, due_at=notice.due_at, warn_at=notice.clock_warn_at or notice.due_at,
                                             paused_at=notice.clock_paused_at) if notice.due_at else None
    next_cursor = None
    if len(page) > QUEUE_PAGE_SIZE:
        last = page[QUEUE_PAGE_SIZE - 1]
        next_cursor = QueueCursor(last.due_at, last.priority, last.id).encode()
    return QueuePage(page[:QUEUE_PAGE_SIZE], next_cursor)


@dataclass
class ReviewPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    evidence: list
    submitter_record: dict
    questions: list[InfoRequest]


def review_page(notice: Notice) -> ReviewPage:
    """Everything a reviewer needs to decide without leaving the page. The seller's history and
    the submitter's record are counters kept by the workflow, minus this notice's own share, so
    the page costs the same for a seller or a submitter with a long history."""
    items = list(with_decisions(notice.items.select_related("listing__seller")).order_by("position"))
    outcomes = [item.decision.outcome if item.decision else None for item in items]
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
        evidence=list(notice.evidence.select_related("info_request").order_by("id")),
        submitter_record=record,
        questions=questions_of(notice),
    )


# A beat task recounts every 15 s; a count older than this is not shown as current.
QUEUE_COUNTS_KEY, QUEUE_COUNTS_SECONDS = "queue-counts", 120


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
    """The counts beside the queue's filters, as the beat task last counted them (refresh_queue_counts):
    counting on every page view would read every open notice each time. Only "assigned to me" is
    counted per view, over the reviewer's own index range. Without a recent count (beat not
    running yet) the page counts once itself."""
    counts = cache.get(QUEUE_COUNTS_KEY) or count_open_notices(now)
    mine = Notice.objects.filter(assigned_to=reviewer, status=status).count()
    per_status = counts["per_status"].get(status, {})
    return QueueCounts(
        status={value: counts["per_status"].get(value, {}).get("all", 0) for value in OPEN_NOTICE_STATUSES},
        right_type={value: per_status.get(f"right_type:{value}", 0) for value in RightType.values},
        reason={value: per_status.get(f"reason:{value}", 0) for value in InfringementReason.values},
        scope={"all": per_status.get("all", 0), "mine": mine, "unassigned": per_status.get("unassigned", 0),
               "escalated": per_status.get("escalated", 0)},
        trust={value: per_status.get(f"trust:{value}", 0) for value in SubmitterTrust.values},
        counted_at=counts["counted_at"],
    )


def count_open_notices(now: datetime) -> dict:
    """One grouped aggregate over open notices, all from the notice row (an index-only scan of
    notice_open_counts on PostgreSQL: hence Count("status"), a column of that index, not the id),
    stored in the shared cache."""
    aggregates = {"all": Count("status"), "unassigned": Count("status", filter=Q(assigned_to__isnull=True)),
                  "escalated": Count("status", filter=Q(escalated_at__isnull=False))}
    aggregates.update({f"right_type:{value}": Count("status", filter=Q(right_type=value)) for value in RightType.values})
    aggregates.update({f"trust:{value}": Count("status", filter=Q(trust=value)) for value in SubmitterTrust.values})
    open_notices = Notice.objects.filter(status__in=OPEN_NOTICE_STATUSES)
    for value, bit in REASON_BITS.items():
        open_notices = open_notices.alias(**{f"has_{value}": F("reason_mask").bitand(bit)})
        aggregates[f"reason:{value}"] = Count("status", filter=Q(**{f"has_{value}__gt": 0}))
    per_status = {row.pop("status"): row for row in open_notices.values("status").annotate(**aggregates).order_by()}
    counts = {"per_status": per_status, "counted_at": now}
    cache.set(QUEUE_COUNTS_KEY, counts, QUEUE_COUNTS_SECONDS)
    return counts


def open_statuses() -> list[tuple[str, str]]:
    return [(NoticeStatus.IN_REVIEW.value, NoticeStatus.IN_REVIEW.label),
            (NoticeStatus.AWAITING_SUBMITTER.value, NoticeStatus.AWAITING_SUBMITTER.label),
            (NoticeStatus.CLOSED.value, "Closed"), (NoticeStatus.CONFIRMED.value, "Waiting for routing")]


# --- Work lists ordered by filing time (counter-notices to check, appeals to decide). ---

@dataclass(frozen=True)
class FiledCursor:
    """Where a page starts: after the row filed at `filed_at` with `id`."""
    filed_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.filed_at.timestamp():.6f}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> "FiledCursor | None":
        try:
            stamp, pk = (text or "").split("_")
            return cls(datetime.fromtimestamp(float(stamp), tz=UTC), int(pk))
        except (ValueError, OverflowError, OSError):
            return None


FILED_PAGE_SIZE = 50


def filed_page(rows: QuerySet, cursor: FiledCursor | None) -> tuple[list, str | None]:
    """One page of `rows` in (filed_at, id) order, keyset-paginated: with a (status, filed_at)
    index a deep page costs what the first does. Returns the rows and the next page's cursor."""
    size = FILED_PAGE_SIZE
    if cursor is not None:
        rows = rows.filter(filed_at__gte=cursor.filed_at).filter(
            Q(filed_at__gt=cursor.filed_at) | Q(filed_at=cursor.filed_at, id__gt=cursor.id))
    page = list(rows.order_by("filed_at", "id")[: size + 1])
    if len(page) <= size:
        return page, None
    return page[:size], FiledCursor(page[size - 1].filed_at, page[size - 1].pk).encode()
