"""The figures leads and the public read, and the roll-ups that keep them fast at a million notices.

periods.py        whole days in the current time zone, the unit every figure is counted over
measures.py       how a figure is computed and rounded: percentiles in the database, shares, seconds
clock_rollup.py   the daily roll-up of SLA clocks (the only writer of its tables; beat refreshes it)
dashboard.py      the leads' SLA dashboard: running clocks, durations, breaches, workload, CSV rows
risk.py           the dashboard's risk screening figures: notices by risk band, high-risk ones rejected
transparency.py   the public transparency report (DSA Art. 15/24) and its stored snapshots

Every figure is a SQL aggregate or read from a roll-up, so a page costs a handful of queries
whether there are ten notices or a million; Python only loops over the few result rows (kinds,
days, weeks, buckets), never over notices, decisions or clocks.
"""
