"""The local catalogue's listing pages (the demo marketplace that notices point at)."""

from django.db.models import QuerySet

from takedowns.enums import ItemState, ListingStatus, NoticeSource
from takedowns.models import Listing, NoticeItem
from takedowns.selectors.keyset import Keyset, Page

CATALOGUE = Keyset(("id",), size=30)


def catalogue_page(cursor: str | None, category: str | None, query: str | None) -> Page:
    """One page of live listings in id order, optionally of one category or with a word in the title. Listings
    not live (waiting for screening, held for review, blocked, removed) are not in the index (issue 14)."""
    listings: QuerySet[Listing] = Listing.objects.select_related("seller").filter(status=ListingStatus.ACTIVE)
    if category:
        listings = listings.filter(category=category)
    if query:
        listings = listings.filter(title__icontains=query)
    return CATALOGUE.page(listings, cursor)


def catalogue_categories() -> list[str]:
    return list(Listing.objects.order_by("category").values_list("category", flat=True).distinct())


def listing(external_id: str) -> Listing | None:
    return Listing.objects.select_related("seller").filter(external_id=external_id.upper()).first()


def removed_on_own_initiative(listing: Listing) -> bool:
    """The removed listing came down by the marketplace's own screening (issue 14), not on a rights holder's
    notice: its latest removal is of an own-initiative case."""
    latest = (NoticeItem.objects.filter(listing=listing, state=ItemState.REMOVED).order_by("-id")
              .values_list("notice__source", flat=True).first())
    return latest == NoticeSource.SCREENING
