"""The adapter to the marketplace: what the portal needs from it, and the local catalogue
implementation used by default (the Listing and Seller tables, with public pages on this site).

A marketplace with its own API gets its own adapter class, named in MARKETPLACE_ADAPTER; it
mirrors the listings it resolves into the Listing and Seller tables so that notices can refer
to them, with each seller's language (Seller.language): the seller's e-mails are written in it.
"""

import re
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone
from django.utils.module_loading import import_string

from takedowns.enums import ListingStatus, PenaltyLevel, SellerAccount
from takedowns.models import Listing, Seller

# Listing IDs look like L-100001; the dash is optional when typed.
_LISTING_ID = re.compile(r"^L-?(\d{1,12})$", re.IGNORECASE)
_LISTING_PATH = re.compile(r"^/listings/(L-\d{1,12})/?$", re.IGNORECASE)


ACCOUNT_FOR_PENALTY: dict[str, str] = {PenaltyLevel.RESTRICTION: SellerAccount.RESTRICTED,
                                       PenaltyLevel.SUSPENSION: SellerAccount.SUSPENDED,
                                       PenaltyLevel.TERMINATION: SellerAccount.TERMINATED}


class MarketplaceUnavailable(Exception):
    """The marketplace could not be reached or asked us to try later; the call may be retried."""


class Marketplace(Protocol):
    """What the portal needs from a marketplace. An adapter mirrors each listing it resolves into the
    Listing table and its seller into the Seller table, with the language the seller reads
    (Seller.language, a Django language code of the Language enum: "de", "zh-hans", ...) as the
    marketplace keeps it (the account's language setting): statements of reasons, penalty statements,
    counter-notice and appeal e-mails go to the seller in that language. The local catalogue keeps
    it in the Seller table itself (seeds/sellers.csv)."""

    def resolve_many(self, references: list[str]) -> dict[str, Listing | None]:
        """Each reported URL or listing ID mapped to its listing, or None when there is none."""

    def take_down(self, listing: Listing) -> datetime:
        """Take the listing down and say when it came down; doing it twice is harmless.
        Raises MarketplaceUnavailable."""

    def restore(self, listing: Listing) -> datetime:
        """Put a removed listing back and say when; doing it twice is harmless. Raises MarketplaceUnavailable."""

    def publish(self, listing: Listing) -> datetime:
        """Let a listing that screening held go live, and say when; doing it twice is harmless (issue 14).
        Raises MarketplaceUnavailable."""

    def listing_picture(self, listing: Listing) -> bytes | None:
        """The bytes of the listing's picture, for screening's image hash; None when it has none we can read
        (this site never fetches from another host: an adapter reads its marketplace's own store)."""

    def apply_penalty(self, seller: Seller, level: str | None, until: datetime | None) -> None:
        """Set the seller's account to the penalty `level` (restriction, suspension, termination;
        None: no account measure) until `until` (None: no end). Raises MarketplaceUnavailable."""

    def average_monthly_active_recipients(self, first: date, last: date) -> int | None:
        """The average monthly number of active recipients of the service in the Union over the days
        `first` to `last` (DSA Art. 24(2); counted as the Commission's guidance on active recipients
        says), or None when the marketplace states none. Only the marketplace sees its visitors."""


def catalogue_hosts() -> set[str]:
    """Host names under which this site's listing URLs are recognised."""
    hosts = {urlsplit(settings.SITE_URL).hostname, "localhost", "127.0.0.1"}
    hosts.update(host for host in settings.ALLOWED_HOSTS if host and not host.startswith("."))
    hosts.update(settings.MARKETPLACE_HOSTS)
    hosts.discard("*")
    return {host.lower() for host in hosts if host}


def parse_listing_reference(reference: str, hosts: set[str]) -> str | None:
    """The catalogue's external id named by a URL or bare ID, or None if it names none of ours."""
    text = reference.strip()
    bare = _LISTING_ID.match(text)
    if bare:
        return f"L-{bare.group(1)}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in hosts:
        return None
    path = _LISTING_PATH.match(parts.path)
    return path.group(1).upper() if path else None


class LocalCatalogue:
    """The default adapter: the marketplace is the Listing table of this database."""

    def resolve_many(self, references: list[str]) -> dict[str, Listing | None]:
        hosts = catalogue_hosts()
        ids = {reference: parse_listing_reference(reference, hosts) for reference in references}
        found = Listing.objects.select_related("seller").in_bulk(
            {external_id for external_id in ids.values() if external_id}, field_name="external_id"
        )
        return {reference: found.get(external_id) for reference, external_id in ids.items()}

    def take_down(self, listing: Listing) -> datetime:
        removed_at = timezone.now()
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.REMOVED, removed_at=removed_at)
        return removed_at

    def restore(self, listing: Listing) -> datetime:
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.ACTIVE, removed_at=None)
        return timezone.now()

    def publish(self, listing: Listing) -> datetime:
        published_at = timezone.now()
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.ACTIVE, published_at=published_at)
        return published_at

    def publish_many(self, listings: list[Listing]) -> datetime:
        """publish() for a chunk of a burst (workflow/screening.listings_submitted): one UPDATE."""
        published_at = timezone.now()
        Listing.objects.filter(pk__in=[listing.pk for listing in listings]).update(status=ListingStatus.ACTIVE,
                                                                                  published_at=published_at)
        return published_at

    def listing_picture(self, listing: Listing) -> bytes | None:
        # The demo catalogue's pictures are files under static/ (Listing.image is their path there).
        if not listing.image or "://" in listing.image:
            return None
        found = finders.find(listing.image)
        if not found:
            return None
        with open(found if isinstance(found, str) else found[0], "rb") as picture:
            return picture.read()

    def apply_penalty(self, seller: Seller, level: str | None, until: datetime | None) -> None:
        account = ACCOUNT_FOR_PENALTY.get(level, SellerAccount.ACTIVE) if level is not None else SellerAccount.ACTIVE
        Seller.objects.filter(pk=seller.pk).update(account=account,
                                                   account_until=until if account != SellerAccount.ACTIVE else None)

    def average_monthly_active_recipients(self, first: date, last: date) -> int | None:
        # The local catalogue has no visitors to count: it reports the figure its operator states
        # (MARKETPLACE_ACTIVE_RECIPIENTS), the same for every period, or None when none is stated.
        return settings.MARKETPLACE_ACTIVE_RECIPIENTS


def get_marketplace() -> Marketplace:
    return import_string(getattr(settings, "MARKETPLACE_ADAPTER", "takedowns.marketplace.LocalCatalogue"))()


def is_local_catalogue() -> bool:
    """The marketplace is this site's own demo catalogue (the default adapter): only then has the site a
    seller side of its own (the demo seller page, the listing generator)."""
    return isinstance(get_marketplace(), LocalCatalogue)


# --- The demo catalogue's product pictures (issue 14): static/demo-listings/products/, drawn by
# seeds/make_product_pictures.py. Each product's picture, and copies of it as a counterfeiter reuses one
# (resized, recompressed, recoloured, cropped): their perceptual hashes are a few bits apart. ---

PRODUCT_PICTURES = "demo-listings/products"
DEMO_PRODUCTS = ("sneaker", "handbag", "watch", "perfume", "headphones", "sunglasses", "teddy", "lamp")
PICTURE_VARIANTS = ("resized", "recompressed", "recoloured", "cropped")


def product_picture(product: str, variant: str = "") -> str:
    """The static path of a demo product's picture (Listing.image), or of one of its variants."""
    return f"{PRODUCT_PICTURES}/{product}{'-' + variant if variant else ''}.png"


def demo_pictures() -> list[str]:
    """Every demo product picture's static path: each product's, then its variants'."""
    return [product_picture(product, variant) for product in DEMO_PRODUCTS for variant in ("", *PICTURE_VARIANTS)]
