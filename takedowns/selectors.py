"""Read queries for the pages."""

from dataclasses import dataclass

from django.db.models import QuerySet

from takedowns.models import Event, Listing, Notice, NoticeItem, OutboundEmail

CATALOGUE_PAGE_SIZE = 30


@dataclass
class TrackingPage:
    notice: Notice
    items: list[NoticeItem]
    events: list[Event]
    emails: list[OutboundEmail]


def tracking_page(notice: Notice) -> TrackingPage:
    return TrackingPage(
        notice=notice,
        items=list(notice.items.select_related("listing", "listing__seller", "duplicate_of__notice").order_by("position")),
        # Per-listing lookups are summarised by the items table; the timeline keeps notice-level steps.
        events=list(notice.events.filter(item=None).order_by("created_at", "id")),
        emails=list(notice.emails.order_by("created_at", "id")),
    )


@dataclass
class CataloguePage:
    listings: list[Listing]
    next_after: int | None


def catalogue_page(after: int | None, category: str | None, query: str | None) -> CataloguePage:
    """One page of listings, keyset-paginated on id so that deep pages cost what the first does."""
    listings: QuerySet[Listing] = Listing.objects.select_related("seller").order_by("id")
    if category:
        listings = listings.filter(category=category)
    if query:
        listings = listings.filter(title__icontains=query)
    if after:
        listings = listings.filter(id__gt=after)
    page = list(listings[: CATALOGUE_PAGE_SIZE + 1])
    next_after = page[CATALOGUE_PAGE_SIZE - 1].id if len(page) > CATALOGUE_PAGE_SIZE else None
    return CataloguePage(page[:CATALOGUE_PAGE_SIZE], next_after)


def catalogue_categories() -> list[str]:
    return list(Listing.objects.order_by("category").values_list("category", flat=True).distinct())
