"""Proposed changes to the review pages, measured by bench/queue_bench.py on its own databases.

Nothing here is imported by the app. The bench applies `APPLY` (SQL) to its own database and
patches `PATCHES` (functions of takedowns.selectors) into its own process, checks that the pages
show the same, measures every page and the counts refresh again, then undoes both (`UNDO`).
With nothing pending (empty lists) it skips this step.

Applied and removed from here: 1 (a `confirmed_at >= cursor` bound for deep pages) and 2 (an index
for "assigned to me" in queue order), in the app since a06d5f5; 3 (the history counters of the
notice page), since 36d9db8; 4 (the counts refresh as one index-only aggregate over the open
notices with the reasons on the notice row), in the working tree on top of 8400cd3 in a portable
form: Notice.reason_mask (a bit per infringement reason, set at confirmation) and the partial
covering index notice_open_counts; the counts are now computed by a beat task
(tasks.refresh_queue_counts). See bench/RESULTS.md, "Review queue".

5. selectors.count_open_notices counts `Count("id")`: COUNT(takedowns_notice.id) needs the id
   column, which notice_open_counts does not contain (key status, INCLUDE assigned_to_id,
   escalated_at, right_type, trust, reason_mask), so PostgreSQL cannot answer it from that index
   and reads the whole notice table (Parallel Seq Scan, ~74k buffers at 1M). Proposed: count a
   column the index has and that is never NULL, `Count("status")` (Django refuses
   `Count("*", filter=…)`); equivalently, add "id" to the index's INCLUDE. No schema change here.
"""

from django.core.cache import cache
from django.db.models import Count, F, Q

from takedowns import selectors
from takedowns.enums import OPEN_NOTICE_STATUSES, REASON_BITS, RightType, SubmitterTrust
from takedowns.models import Notice

APPLY: list[str] = []
UNDO: list[str] = []


def count_open_notices(now) -> dict:
    """selectors.count_open_notices with proposal 5: COUNT(status) instead of COUNT(id)."""
    aggregates = {"all": Count("status"), "unassigned": Count("status", filter=Q(assigned_to__isnull=True)),
                  "escalated": Count("status", filter=Q(escalated_at__isnull=False))}
    aggregates.update({f"right_type:{v}": Count("status", filter=Q(right_type=v)) for v in RightType.values})
    aggregates.update({f"trust:{v}": Count("status", filter=Q(trust=v)) for v in SubmitterTrust.values})
    open_notices = Notice.objects.filter(status__in=OPEN_NOTICE_STATUSES)
    for value, bit in REASON_BITS.items():
        open_notices = open_notices.alias(**{f"has_{value}": F("reason_mask").bitand(bit)})
        aggregates[f"reason:{value}"] = Count("status", filter=Q(**{f"has_{value}__gt": 0}))
    per_status = {row.pop("status"): row for row in open_notices.values("status").annotate(**aggregates).order_by()}
    counts = {"per_status": per_status, "counted_at": now}
    cache.set(selectors.QUEUE_COUNTS_KEY, counts, selectors.QUEUE_COUNTS_SECONDS)
    return counts


PATCHES = {"count_open_notices": count_open_notices}
