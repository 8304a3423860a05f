"""The read side: every query a page needs, so that views only parse, call and render.

keyset.py          the one cursor every paginated list uses
queue.py           the review queue, its filters and the counts beside them
notices.py         the submitter's tracking page and the reviewer's notice page
catalogue.py       the demo marketplace's listing pages
worklists.py       counter-notices to check and appeals to decide, and an appeal's page
protection.py      the rights registry: the leads' list, a registration's private page, stay-down counts
"""
