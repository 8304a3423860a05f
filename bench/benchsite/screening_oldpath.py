"""The burst worker's path as it was at c905534, for bench/screening_paths.py to measure side by side with
the chunk path of workflow/listings.screen_pending: each claimed listing through listing_submitted, one by one.
But for the claim, which locks the listings only, as workflow/listings.claim_pending now does: the old claim also
locked the sellers' rows, so that two workers' chunks of one seller's catalogue skipped each other's listings
and left them pending. `celery -A benchsite.screening_oldpath worker` is the portal's Celery app with this path
in place."""

from datetime import datetime

from celery.signals import worker_process_init

from portal.celery import app

__all__ = ["app", "screen_pending_one_by_one"]


def screen_pending_one_by_one(listing_ids: list[int], trigger: str, now: datetime) -> int:
    from django.db import transaction  # noqa: PLC0415 (the app is imported after Django is set up)

    from takedowns.enums import ListingStatus  # noqa: PLC0415 (likewise)
    from takedowns.marketplace import get_marketplace  # noqa: PLC0415 (likewise)
    from takedowns.models import Listing  # noqa: PLC0415 (likewise)
    from takedowns.workflow import screening  # noqa: PLC0415 (likewise)
    marketplace = get_marketplace()
    pictures: dict[str, bytes | None] = {}
    with transaction.atomic():
        claimed = list(Listing.objects.select_for_update(skip_locked=True, of=("self",)).select_related("seller")
                       .filter(pk__in=listing_ids, status=ListingStatus.PENDING).order_by("pk"))
        for listing in claimed:
            if not listing.image:
                picture = marketplace.listing_picture(listing)
            elif listing.image in pictures:
                picture = pictures[listing.image]
            else:
                picture = pictures[listing.image] = marketplace.listing_picture(listing)
            screening.listing_submitted(listing, trigger, now, picture=picture)
    return len(claimed)


def use_old_path() -> None:
    from takedowns.workflow import listings  # noqa: PLC0415 (after Django is set up)
    listings.screen_pending = screen_pending_one_by_one  # tasks.screen_listings calls listings.screen_pending


@worker_process_init.connect
def _in_each_worker_process(**_kwargs: object) -> None:
    """`celery -A benchsite.screening_oldpath worker` (prefork): each pool process, once forked, has the old path."""
    use_old_path()
