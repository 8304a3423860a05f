"""Proposed changes to the review pages, measured by bench/queue_bench.py on its own databases.

Nothing here is imported by the app. The bench applies `APPLY` (SQL) to its own database and
patches `PATCHES` (functions of takedowns.selectors) into its own process, checks that the pages
show the same, measures every page and the counts refresh again, then undoes both (`UNDO`).
With nothing pending (empty lists, as now) it skips this step.

Applied and removed from here: 1 (a `confirmed_at >= cursor` bound for deep pages) and 2 (an index
for "assigned to me" in queue order), in the app since a06d5f5; 3 (the history counters of the
notice page), since 36d9db8; 4 (the counts refresh as one index-only aggregate over the open
notices, with the reasons on the notice row as Notice.reason_mask and the partial covering index
notice_open_counts; computed by a beat task), since a9c329b; 5 (count a column of that index,
`Count("status")`, so PostgreSQL answers from the index alone), since 01032af.
See bench/RESULTS.md, "Review queue".
"""

APPLY: list[str] = []
UNDO: list[str] = []
PATCHES: dict = {}
