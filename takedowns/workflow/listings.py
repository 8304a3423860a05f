"""The marketplace's "listing created / changed" entry point (issue 14): a new or changed listing is
written to the Listing mirror as PENDING (not live) and screened before it goes live.

Two ways in, one code path:
- one listing (the demo seller page, the demo generator, the JSON hook for one listing): written and
  screened in the caller's transaction, so the answer carries the outcome (publish, hold or block);
- a burst (a seller's whole catalogue through the JSON hook): every listing written PENDING in one
  transaction, and screened in the worker (dispatch.SCREEN_LISTINGS, tasks.screen_listings), chunk by chunk.

Screening itself (the verdict, the Screening row, the listing's status, the own-initiative case) is
takedowns/workflow/screening.py's listing_submitted; this module only prepares the listing and calls it.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from takedowns import dispatch
from takedowns.enums import ListingStatus, ScreeningTrigger
from takedowns.marketplace import get_marketplace
from takedowns.models import Listing, Screening, Seller
from takedowns.workflow import screening

logger = logging.getLogger(__name__)

# A listing in one of these states may be changed by its seller and is screened again. A held one waits
# for its reviewer; a removed or blocked one stays down (its seller answers the decision by appeal).
CHANGEABLE = frozenset({ListingStatus.ACTIVE, ListingStatus.PENDING})
# How many listings one worker task screens: a burst of 1,000 is five tasks the workers share.
SCREEN_CHUNK = 200
_NUMBERED = re.compile(r"^L-(\d{1,12})$")


class ListingLocked(Exception):
    """The listing cannot be changed in its state (held for review, removed, blocked)."""

    def __init__(self, listing: Listing) -> None:
        super().__init__(f"listing {listing.external_id} is {listing.status}")
        self.listing = listing


@dataclass
class ListingFields:
    """What a seller says about a listing: the fields screening reads, as the marketplace keeps them."""

    title: str
    description: str
    category: str
    price: Decimal
    currency: str
    attributes: dict[str, str] = field(default_factory=dict)
    image: str = ""

    def as_columns(self) -> dict[str, object]:
        return {"title": self.title, "description": self.description, "category": self.category,
                "price": self.price, "currency": self.currency, "attributes": self.attributes, "image": self.image}


def submit_listing(seller: Seller, fields: ListingFields, now: datetime, external_id: str | None = None,
                   picture: bytes | None = None) -> Screening:
    """Create the listing (a new catalogue id when `external_id` is None, or the marketplace's own id) or
    change it, PENDING, and screen it in this transaction. `picture`: the image's bytes when the caller has
    them (else the adapter reads them). Raises ListingLocked for a listing that may not change now."""
    with transaction.atomic():
        listing, trigger = _write_pending(seller, fields, external_id)
        if picture is None and settings.SCREENING_ENABLED:  # off: nothing reads the picture
            picture = get_marketplace().listing_picture(listing)
        return screening.listing_submitted(listing, trigger, now, picture=picture)


def _write_pending(seller: Seller, fields: ListingFields, external_id: str | None) -> tuple[Listing, str]:
    if external_id is None:
        return _create_numbered(seller, fields), ScreeningTrigger.CREATED
    listing = Listing.objects.select_for_update().filter(external_id=external_id).first()
    if listing is None:
        listing = Listing.objects.create(external_id=external_id, seller=seller, status=ListingStatus.PENDING,
                                         **fields.as_columns())
        return listing, ScreeningTrigger.CREATED
    if listing.status not in CHANGEABLE or listing.seller_id != seller.pk:
        raise ListingLocked(listing)
    for name, value in {**fields.as_columns(), "status": ListingStatus.PENDING}.items():
        setattr(listing, name, value)
    listing.save(update_fields=[*fields.as_columns(), "status"])
    return listing, ScreeningTrigger.CHANGED


def _create_numbered(seller: Seller, fields: ListingFields) -> Listing:
    """A new listing under the next free catalogue id (L-<number>); two writers racing for one id: the
    loser takes the next."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Listing.objects.create(external_id=next_listing_id(), seller=seller,
                                              status=ListingStatus.PENDING, **fields.as_columns())
        except IntegrityError:
            continue
    raise IntegrityError("no free listing id after 5 attempts")


def next_listing_id() -> str:
    """The catalogue id after the highest L-<number> among the newest listings (read backwards along the primary
    key: no scan of the table; numbered ids grow with it, and a collision is retried by the caller)."""
    newest = Listing.objects.filter(external_id__startswith="L-").order_by("-pk").values_list("external_id", flat=True)
    numbers = [int(found.group(1)) for found in map(_NUMBERED.match, newest[:50]) if found]
    return f"L-{max(numbers, default=100000) + 1}"


def mirror_seller(external_id: str, columns: dict[str, object]) -> Seller:
    """The marketplace's seller as it describes it (name, country, e-mail, language, account group):
    created, or brought up to date. Counters and the account state are the portal's and stay as they are."""
    seller, _ = Seller.objects.update_or_create(external_id=external_id, defaults=columns)
    return seller


def submit_from_marketplace(seller_external_id: str, seller_columns: dict[str, object], external_id: str,
                            fields: ListingFields, now: datetime) -> Screening:
    """The hook's one listing: its seller mirrored, the listing written and screened, in one transaction."""
    with transaction.atomic():
        seller = mirror_seller(seller_external_id, seller_columns)
        return submit_listing(seller, fields, now, external_id=external_id)


def import_from_marketplace(rows: list[tuple[str, dict[str, object], str, ListingFields]], now: datetime) -> "Imported":
    """The hook's burst: each distinct seller mirrored (as last described), then import_listings."""
    with transaction.atomic():
        sellers = {seller_id: columns for seller_id, columns, _, _ in rows}
        mirrored = {seller_id: mirror_seller(seller_id, columns) for seller_id, columns in sellers.items()}
        return import_listings([(mirrored[seller_id], external_id, fields)
                                for seller_id, _, external_id, fields in rows], now)


# --- A burst: written now, screened in the worker. ---

@dataclass(frozen=True)
class Imported:
    """What a burst import did: the listings now PENDING (id by external id) and those left as they are."""

    pending: dict[str, int]
    locked: dict[str, str]  # external id -> its status (held, removed, blocked, or another seller's)


def import_listings(rows: list[tuple[Seller, str, ListingFields]], now: datetime) -> Imported:
    """Write each (seller, external id, fields) PENDING in one transaction and ask the worker to screen
    them after commit; a listing that may not change (ListingLocked's states) is left as it is."""
    with transaction.atomic():
        existing = {listing.external_id: listing for listing in Listing.objects.select_for_update()
                    .filter(external_id__in=[external_id for _, external_id, _ in rows])}
        locked = {external_id: existing[external_id].status for seller, external_id, _ in rows
                  if external_id in existing and (existing[external_id].status not in CHANGEABLE
                                                  or existing[external_id].seller_id != seller.pk)}
        created = [Listing(external_id=external_id, seller=seller, status=ListingStatus.PENDING, **fields.as_columns())
                   for seller, external_id, fields in rows if external_id not in existing]
        changed = [_changed(existing[external_id], fields) for _, external_id, fields in rows
                   if external_id in existing and external_id not in locked]
        Listing.objects.bulk_create(created, batch_size=500)
        Listing.objects.bulk_update(changed, [*ListingFields.__dataclass_fields__, "status"], batch_size=500)
        pending = dict(Listing.objects.filter(external_id__in=[row.external_id for row in [*created, *changed]])
                       .values_list("external_id", "pk"))
        _dispatch_screening([pending[row.external_id] for row in created], ScreeningTrigger.CREATED)
        _dispatch_screening([row.pk for row in changed], ScreeningTrigger.CHANGED)
    return Imported(pending=pending, locked=locked)


def _changed(listing: Listing, fields: ListingFields) -> Listing:
    for name, value in {**fields.as_columns(), "status": ListingStatus.PENDING}.items():
        setattr(listing, name, value)
    return listing


def _dispatch_screening(listing_ids: list[int], trigger: str) -> None:
    for start in range(0, len(listing_ids), SCREEN_CHUNK):
        dispatch.after_commit(dispatch.SCREEN_LISTINGS, listing_ids=listing_ids[start:start + SCREEN_CHUNK],
                              trigger=trigger)


def screen_pending(listing_ids: list[int], trigger: str, now: datetime) -> int:
    """The worker's side of a burst: screen each listing of the chunk that is still PENDING. The chunk is claimed
    in one statement (rows a concurrent run holds are skipped, and a listing screened already is no longer
    PENDING: a task published twice screens nothing twice) and screened in one transaction, so a failure leaves
    the whole chunk PENDING for the task's retry. Returns how many it screened."""
    marketplace = get_marketplace()
    # A seller's catalogue reuses pictures: each read once per chunk (by its path; a listing without one is
    # asked for its own). Screening off: no picture is read.
    pictures: dict[str, bytes | None] = {}
    with transaction.atomic():
        claimed = list(claim_pending(listing_ids))
        items: list[tuple[Listing, bytes | None]] = []
        for listing in claimed:
            if not settings.SCREENING_ENABLED:
                picture = None
            elif not listing.image:
                picture = marketplace.listing_picture(listing)
            elif listing.image in pictures:
                picture = pictures[listing.image]
            else:
                picture = pictures[listing.image] = marketplace.listing_picture(listing)
            items.append((listing, picture))
        # The chunk at once (screening.listings_submitted: the same outcome per listing as listing_submitted's).
        screening.listings_submitted(items, trigger, now)
    return len(claimed)


def claim_pending(listing_ids: list[int]) -> "QuerySet[Listing]":
    """The chunk's listings still PENDING, locked for this transaction; rows another run holds are skipped. Only
    the listing rows are locked (OF self), not their sellers': a seller's catalogue comes in several chunks, and
    with the seller's row locked by the chunk in progress, a concurrent worker's chunk of the same seller would
    skip every one of its listings and leave them PENDING (bench/screening_paths.py found it)."""
    return (Listing.objects.select_for_update(skip_locked=True, of=("self",)).select_related("seller")
            .filter(pk__in=listing_ids, status=ListingStatus.PENDING).order_by("pk"))


# --- Sales, as the marketplace reports them (the report's "removed before the first sale"). ---

def record_sale(listing: Listing, now: datetime, quantity: int = 1) -> None:
    """The marketplace sold `quantity` of a live listing: counted, and the first sale's time kept."""
    Listing.objects.filter(pk=listing.pk, status=ListingStatus.ACTIVE).update(
        sales=F("sales") + quantity, first_sold_at=Coalesce(F("first_sold_at"), now))
