"""The demo seller page's reads (issue 14): the demo sellers, a seller's listings with their state, and a
screening's outcome in the seller's words — which rule of a kind matched, never its threshold, the
rights holder or the listing it was compared with."""

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from takedowns.enums import SCREENING_SEVERITY, ScreeningOutcome, ScreeningRuleCode
from takedowns.models import Listing, Screening, Seller

StrOrPromise = str | Promise
SELLERS_SHOWN = 200
LISTINGS_SHOWN = 50

OUTCOME_WORDS: dict[str, StrOrPromise] = {
    ScreeningOutcome.PUBLISH: _("Published: your listing is live in the catalogue."),
    ScreeningOutcome.HOLD: _("Held for review: your listing is not live until a reviewer has checked it."),
    ScreeningOutcome.BLOCK: _("Blocked: your listing was not published. We have e-mailed you a statement of "
                              "reasons, from which you can appeal."),
}
REASON_WORDS: dict[str, StrOrPromise] = {
    ScreeningRuleCode.BRAND_TERM: _("It names a protected brand in an unusual spelling."),
    ScreeningRuleCode.LOW_PRICE: _("Its price is far below the usual price of the branded product it names."),
    ScreeningRuleCode.REFERENCE_IMAGE: _("Its picture looks like the picture of a protected product."),
    ScreeningRuleCode.UNAUTHORISED_SELLER: _("It names a brand whose owner sells it here only through sellers "
                                             "they authorised."),
    ScreeningRuleCode.STAYDOWN_SAME_SELLER: _("It matches a listing of yours, or of an account linked to yours, "
                                              "that was removed for infringing intellectual property: it stays "
                                              "down."),
    ScreeningRuleCode.STAYDOWN_OTHER_SELLER: _("It looks like a listing that was removed for infringing "
                                               "intellectual property."),
}


def demo_sellers() -> QuerySet[Seller]:
    return Seller.objects.order_by("external_id").only("external_id", "name", "country")[:SELLERS_SHOWN]


def seller(external_id: str) -> Seller | None:
    return Seller.objects.filter(external_id=external_id).first()


def seller_listings(seller: Seller) -> QuerySet[Listing]:
    """The seller's latest listings, newest first (the (seller, status) index serves the seller's rows)."""
    return Listing.objects.filter(seller=seller).order_by("-id")[:LISTINGS_SHOWN]


def outcome_for_seller(seller: Seller, screening_id: int | None) -> dict | None:
    """A screening of one of the seller's listings: its listing, outcome and the reasons in the seller's
    words (each once, the most severe first); None for another seller's or an unknown one."""
    if screening_id is None:
        return None
    screening = (Screening.objects.select_related("listing").filter(pk=screening_id, listing__seller=seller)
                 .first())
    if screening is None:
        return None
    hits = sorted(screening.hits.values_list("outcome", "rule"), key=lambda hit: (-SCREENING_SEVERITY[hit[0]], hit[1]))
    rules = list(dict.fromkeys(rule for _outcome, rule in hits))
    return {"screening": screening, "listing": screening.listing, "outcome": screening.outcome,
            "words": OUTCOME_WORDS.get(screening.outcome, ""),
            "reasons": [REASON_WORDS[rule] for rule in rules if rule in REASON_WORDS]}
