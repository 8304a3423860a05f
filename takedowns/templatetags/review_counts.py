"""The reviewers' two work lists' counts, for any staff template (the queue's links, the lists'
headings, the navigation): {% load review_counts %}{% appeals_waiting as n %}. Each is one COUNT
over the (status, filed_at) index, with the filter of the list it stands for (selectors/worklists.py)."""

from django import template

from takedowns.selectors import screening_queue, worklists

register = template.Library()


@register.simple_tag
def appeals_waiting() -> int:
    """Appeals waiting for a decision: the rows of "Appeals to decide"."""
    return worklists.appeals_waiting()


@register.simple_tag
def counter_notices_waiting() -> int:
    """Counter-notices waiting for their completeness check: the rows of "Counter-notices to check"."""
    return worklists.counter_notices_waiting()


@register.simple_tag
def holds_waiting() -> int:
    """Listings screening held, waiting for a reviewer: the rows of the Screening queue (issue 14)."""
    return screening_queue.holds_waiting()
