"""The routing rules of a routed or deferred event in the reader's language:
`{% load routing_words %}{{ event.details|assignment_words }}`, `{{ event.details|priority_words }}`.

Events since issue 13 keep each rule as a term (routing.words says it in the active language); older
events kept only the English words, shown as they were written."""

from typing import Any

from django import template

from takedowns import routing

register = template.Library()


@register.filter
def assignment_words(details: dict[str, Any]) -> str:
    term = details.get("assignment_term") or details.get("rule_term")
    return routing.words(term) if term else details.get("assignment_rule") or details.get("rule") or ""


@register.filter
def priority_words(details: dict[str, Any]) -> str:
    terms = details.get("priority_terms")
    if terms is not None:
        return "; ".join(routing.words(term) for term in terms)
    return "; ".join(details.get("priority_rules") or [])
