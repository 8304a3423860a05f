"""The leads' list of referral packages for law enforcement: newest first, a keyset page at a time."""

from takedowns.models import Referral
from takedowns.selectors.keyset import Keyset, Page

# Newest first: the referral_created index read backwards, the id breaking ties.
REFERRALS = Keyset(("-created_at", "-id"), size=50)


def referrals_page(cursor: str | None) -> Page:
    return REFERRALS.page(Referral.objects.select_related("seller", "created_by").prefetch_related("sellers"),
                          cursor)


def referral(reference: str) -> Referral | None:
    return Referral.objects.filter(reference=reference).first()
