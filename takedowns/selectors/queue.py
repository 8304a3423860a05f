"""The review queue: notices in the order reviewers work them, its filters, and the counts beside
the filters (counted by a beat task into the shared cache)."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from takedowns import sla
from takedowns.enums import (
    OPEN_NOTICE_STATUSES,
    REASON_BITS,
    ClockKind,
    InfringementReason,
    ItemState,
    NoticeSource,
    NoticeStatus,
    RightType,
    RiskBand,
    SubmitterTrust,
)
from takedowns.models import Notice, NoticeItem, Reviewer, SlaClock
from takedowns.selectors.keyset import Keyset, Page

logger = logging.getLogger(__name__)

# The queue's filters beside the status and the right: whose notices, and which submitters'.
QUEUE_SCOPES = {"all": _("Everyone's"), "mine": _("Assigned to me"), "unassigned": _("Unassigned"),
                "escalated": _("Escalated to leads")}
QUEUE_TRUSTS = [(SubmitterTrust.TRUSTED_FLAGGER.value, _("Trusted flaggers")),
                (SubmitterTrust.GOOD_FAITH.value, _("Good-faith programme"))]
# Risk screening's bands worth a filter (the notice_risky_queue index holds just these notices).
QUEUE_RISKS = [(RiskBand.HIGH.value, _("High risk")), (RiskBand.MEDIUM.value, _("Medium risk"))]

# The queue's order, matching the notice_queue index.
QUEUE = Keyset(("due_at", "-priority", "id"), size=50)


@dataclass(frozen=True)
class QueueFilters:
    status: str = NoticeStatus.IN_REVIEW
    right_type: str = ""
    reason: str = ""
    scope: str = "all"  # all, mine, unassigned, escalated
    trust: str = ""  # a SubmitterTrust rung, or "" for every submitter
    risk: str = ""  # a RiskBand of QUEUE_RISKS, or "" for every notice

    def query(self) -> str:
        return urlencode({"status": self.status, "right_type": self.right_type, "reason": self.reason,
                          "scope": self.scope, "trust": self.trust, "risk": self.risk})


def filtered_notices(reviewer: Reviewer, filters: QueueFilters) -> QuerySet[Notice]:
    """The notices the queue shows for `filters`, unordered: the one filter behind both the queue's
    rows (review_queue) and the count over them (queue_total), so the two cannot disagree. Rights holders'
    notices only: own-initiative cases (listing screening) have their own queue (selectors/screening_queue.py)."""
    notices = Notice.objects.filter(status=filters.status, source=NoticeSource.NOTICE)
    if filters.right_type:
        notices = notices.filter(right_type=filters.right_type)
    if filters.reason:
        has_reason = F("reason_mask").bitand(REASON_BITS[filters.reason])
        notices = notices.alias(has_reason=has_reason).filter(has_reason__gt=0)
    if filters.trust:
        notices = notices.filter(trust=filters.trust)
    if filters.risk:
        notices = notices.filter(risk_band=filters.risk)
    scope = filters.scope
    if scope == "mine":
        notices = notices.filter(assigned_to=reviewer)
    elif scope == "unassigned":
        notices = notices.filter(assigned_to__isnull=True)
    elif scope == "escalated":
        notices = notices.filter(escalated_at__isnull=False)
    return notices


def queue_total(reviewer: Reviewer, filters: QueueFilters) -> int:
    """How many notices the queue's rows are drawn from (every page of them): a COUNT over
    filtered_notices, the very queryset review_queue pages through. The counts beside the filter
    options come from the beat task's cache and can lag its 15 s recount (a notice routed meanwhile
    showed "(6)" above 7 rows): this one is counted with the rows, on the status indexes."""
    return filtered_notices(reviewer, filters).order_by().count()


def next_in_my_queue(reviewer: Reviewer, after: Notice) -> Notice | None:
    """The next notice in the reviewer's own queue (in review, assigned to them) in the queue page's
    order (QUEUE: due time, then priority, then id), other than `after`; the first when `after` is
    no longer in that queue (just decided). None when nothing else is assigned to them."""
    mine = filtered_notices(reviewer, QueueFilters(status=NoticeStatus.IN_REVIEW, scope="mine")).exclude(pk=after.pk)
    return mine.order_by(*QUEUE.fields).first()


def review_queue(reviewer: Reviewer, filters: QueueFilters, cursor: str | None) -> Page:
    """Notices in queue order: the earliest due first (Notice.due_at: the running clock of the
    notice's next step, under its SLA policy), then the highest priority. Keyset-paginated over an
    index of exactly that order (notice_queue), so a deep page costs what the first does."""
    notices = filtered_notices(reviewer, filters).select_related("assigned_to__user")
    # A correlated subquery, not a JOIN + GROUP BY: it is computed for the page's rows only,
    # where a GROUP BY would aggregate every matching notice before the LIMIT.
    open_items = (NoticeItem.objects.filter(notice=OuterRef("pk"), state=ItemState.IN_REVIEW)
                  .order_by().values("notice").annotate(count=Count("id")).values("count"))
    # The running clock behind due_at, for its state (on time, warning, breached, paused); per page row.
    clock = (SlaClock.objects.filter(notice=OuterRef("pk"), stopped_at=None,
                                     kind__in=[ClockKind.ACKNOWLEDGEMENT, ClockKind.TAKEDOWN_DECISION])
             .order_by("-started_at"))
    page = QUEUE.page(notices.annotate(open_items=Coalesce(Subquery(open_items), 0),
                                       clock_warn_at=Subquery(clock.values("warn_at")[:1]),
                                       clock_paused_at=Subquery(clock.values("paused_at")[:1])), cursor)
    now = timezone.now()
    for notice in page.rows:
        notice.clock_state = sla.clock_state(now, due_at=notice.due_at, warn_at=notice.clock_warn_at or notice.due_at,
                                             paused_at=notice.clock_paused_at) if notice.due_at else None
    return page


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
    risk: dict[str, int]
    counted_at: datetime


def queue_counts(reviewer: Reviewer, status: str, now: datetime) -> QueueCounts:
    """The counts beside the queue's filters, as the beat task last counted them (refresh_queue_counts):
    counting on every page view would read every open notice each time. Only "assigned to me" is
    counted per view, over the reviewer's own index range. Without a recent count (beat not
    running yet, or the cache unreachable) the page counts itself."""
    counts = _stored_counts() or count_open_notices(now)
    mine = Notice.objects.filter(assigned_to=reviewer, status=status, source=NoticeSource.NOTICE).count()
    per_status = counts["per_status"].get(status, {})
    return QueueCounts(
        status={value: counts["per_status"].get(value, {}).get("all", 0) for value in OPEN_NOTICE_STATUSES},
        right_type={value: per_status.get(f"right_type:{value}", 0) for value in RightType.values},
        reason={value: per_status.get(f"reason:{value}", 0) for value in InfringementReason.values},
        scope={"all": per_status.get("all", 0), "mine": mine, "unassigned": per_status.get("unassigned", 0),
               "escalated": per_status.get("escalated", 0)},
        trust={value: per_status.get(f"trust:{value}", 0) for value in SubmitterTrust.values},
        risk={value: per_status.get(f"risk:{value}", 0) for value in RiskBand.values},
        counted_at=counts["counted_at"],
    )


def count_open_notices(now: datetime) -> dict:
    """One grouped aggregate over open notices, all from the notice row (an index-only scan of
    notice_open_counts on PostgreSQL: hence Count("status"), a column of that index, not the id),
    stored in the shared cache. Own-initiative cases are left out (the index includes `source`)."""
    aggregates = {"all": Count("status"), "unassigned": Count("status", filter=Q(assigned_to__isnull=True)),
                  "escalated": Count("status", filter=Q(escalated_at__isnull=False))}
    aggregates.update({f"right_type:{value}": Count("status", filter=Q(right_type=value))
                       for value in RightType.values})
    aggregates.update({f"trust:{value}": Count("status", filter=Q(trust=value)) for value in SubmitterTrust.values})
    aggregates.update({f"risk:{value}": Count("status", filter=Q(risk_band=value)) for value in RiskBand.values})
    open_notices = Notice.objects.filter(status__in=OPEN_NOTICE_STATUSES, source=NoticeSource.NOTICE)
    for value, bit in REASON_BITS.items():
        open_notices = open_notices.alias(**{f"has_{value}": F("reason_mask").bitand(bit)})
        aggregates[f"reason:{value}"] = Count("status", filter=Q(**{f"has_{value}__gt": 0}))
    rows = open_notices.values("status").annotate(**aggregates).order_by()
    per_status = {row["status"]: {name: count for name, count in row.items() if name != "status"} for row in rows}
    counts = {"per_status": per_status, "counted_at": now}
    try:
        cache.set(QUEUE_COUNTS_KEY, counts, QUEUE_COUNTS_SECONDS)
    except Exception:  # the cache (Redis) is down: the counts are still right, only not shared
        logger.warning("queue counts not stored in the cache", exc_info=True)
    return counts


def _stored_counts() -> dict | None:
    try:
        return cache.get(QUEUE_COUNTS_KEY)
    except Exception:  # the cache (Redis) is down: the queue counts live rather than failing
        logger.warning("queue counts unreadable from the cache; counting live", exc_info=True)
        return None


def open_statuses() -> list[tuple[str, Any]]:
    return [(NoticeStatus.IN_REVIEW.value, NoticeStatus.IN_REVIEW.label),
            (NoticeStatus.AWAITING_SUBMITTER.value, NoticeStatus.AWAITING_SUBMITTER.label),
            (NoticeStatus.CLOSED.value, pgettext_lazy("notice status", "Closed")),
            (NoticeStatus.CONFIRMED.value, _("Waiting for routing"))]
