"""Pages for sellers, who reach them through the private link in their statement of reasons."""

import hmac

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from takedowns.enums import DecisionOutcome
from takedowns.models import Decision


def statement(request: HttpRequest, decision_id: int, token: str) -> HttpResponse:
    decision = (Decision.objects.select_related("item__listing__seller", "item__notice")
                .filter(pk=decision_id, outcome=DecisionOutcome.REMOVE).first())
    if decision is None or not hmac.compare_digest(decision.seller_token.encode(), token.encode()):
        raise Http404("No such decision.")
    item = decision.item
    return render(request, "takedowns/seller/statement.html", {
        "decision": decision, "item": item, "listing": item.listing, "seller": item.listing.seller,
        "case": item.notice,
    })
