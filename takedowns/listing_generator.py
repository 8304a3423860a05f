"""New demo listings under `make run` (issue 14; the command generate_listings): a person watching /sell/ or the
catalogue sees listings arrive and screened. A rotating script, through the same entry point as the seller page
(workflow/listings.submit_listing): mostly clean listings; regularly one that names the demo brand from a seller
it did not authorise (held), one with the brand disguised ("A3roStr1de"), one priced far below the genuine
product, and, once a listing of the brand was removed, its relisting by the same seller (blocked by stay-down).
Now and then a live listing sells (the report's "removed before the first sale")."""

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from takedowns.enums import ListingStatus, RightStatus
from takedowns.marketplace import PICTURE_VARIANTS, product_picture
from takedowns.models import Listing, Right, Screening, Seller
from takedowns.workflow import listings
from takedowns.workflow.listings import ListingFields

CLEAN, BRAND, DISGUISED, LOW_PRICE, RELIST = "clean", "brand", "disguised", "low_price", "relist"
# One round of the script; a kind that cannot be made (no demo brand, nothing removed yet) is a clean one.
SCRIPT = (CLEAN, CLEAN, BRAND, CLEAN, DISGUISED, CLEAN, LOW_PRICE, CLEAN, RELIST)
SALE_EVERY = 3  # steps between two sales of a live listing
# Clean goods: (product picture, title, description, category, lowest and highest price in EUR).
GOODS = (
    ("handbag", "Woven straw tote", "Hand-woven straw tote with leather handles.", "bags", 25, 60),
    ("watch", "Minimalist quartz watch", "Quartz movement, 38 mm steel case, leather strap.", "watches", 40, 120),
    ("perfume", "Citrus eau de toilette 50 ml", "Fresh citrus notes, unisex.", "cosmetics", 20, 45),
    ("headphones", "Wireless over-ear headphones", "Bluetooth 5.3, 30 hours of battery.", "electrical", 35, 90),
    ("sunglasses", "Polarised sunglasses", "UV400 lenses, acetate frame.", "apparel", 15, 40),
    ("teddy", "Plush teddy bear 30 cm", "Soft plush, machine washable.", "toys", 10, 25),
    ("lamp", "Brass desk lamp", "Adjustable arm, E27 socket.", "home", 30, 80),
)


@dataclass(frozen=True)
class Generated:
    kind: str
    listing: Listing
    screening: Screening

    def line(self) -> str:
        listing, screening = self.listing, self.screening
        case = f", case {screening.case.reference}" if screening.case else ""
        return (f"{self.kind:<9} {listing.external_id} by {listing.seller.external_id} "
                f"{listing.title!r} {listing.price} {listing.currency} -> {screening.outcome}{case}")


@dataclass
class Generator:
    """The script's state: the step it is at, its random numbers (seeded: the same demo each run), and the
    removed listings it has relisted already (once each)."""

    rng: random.Random
    step: int = 0
    relisted: set[int] | None = None

    def next(self, now: datetime) -> Generated | None:
        """One listing of the script, created and screened; None when there are no demo sellers yet."""
        kind = SCRIPT[self.step % len(SCRIPT)]
        self.step += 1
        if not Seller.objects.exists():
            return None
        planned = self._plan(kind)
        if planned is None:
            kind, planned = CLEAN, self._clean()
        seller, fields = planned
        screening = listings.submit_listing(seller, fields, now)
        return Generated(kind, screening.listing, screening)

    def sell(self, now: datetime) -> Listing | None:
        """Every SALE_EVERY steps, one of the latest live listings sells one piece."""
        if self.step % SALE_EVERY:
            return None
        recent = list(Listing.objects.filter(status=ListingStatus.ACTIVE).order_by("-id")[:20])
        if not recent:
            return None
        listing = self.rng.choice(recent)
        listings.record_sale(listing, now)
        return listing

    def _plan(self, kind: str) -> tuple[Seller, ListingFields] | None:
        if kind == CLEAN:
            return self._clean()
        right = demo_right()
        if right is None:
            return None
        if kind == RELIST:
            return self._relist(right)
        brand = right.terms.order_by("id").values_list("term", flat=True).first() or ""
        seller = self._unauthorised(right)
        if seller is None:
            return None
        return seller, self._branded(kind, brand, right)

    def _clean(self) -> tuple[Seller, ListingFields]:
        product, title, description, category, low, high = self.rng.choice(GOODS)
        seller = self.rng.choice(list(Seller.objects.order_by("id")[:100]))
        picture = product_picture(product, self.rng.choice(("", "", *PICTURE_VARIANTS)))
        return seller, ListingFields(title=title, description=description, category=category,
                                     price=Decimal(self.rng.randint(low * 100, high * 100)) / 100, currency="EUR",
                                     image=picture)

    def _branded(self, kind: str, brand: str, right: Right) -> ListingFields:
        genuine = right.price_min or Decimal("100")
        if kind == DISGUISED:
            return ListingFields(title=f"{disguise(brand)} running shoes", category="shoes",
                                 description="Top quality, all sizes, fast shipping.", price=genuine,
                                 currency=right.currency, image=product_picture("sneaker", "cropped"))
        price = (genuine * Decimal("0.2")).quantize(Decimal("0.01")) if kind == LOW_PRICE else genuine
        return ListingFields(title=f"{brand} Runner sneakers", category="shoes", attributes={"brand": brand},
                             description=f"{brand} Runner, sizes 38-46.", price=price, currency=right.currency,
                             image=product_picture("sneaker", "resized"))

    def _unauthorised(self, right: Right) -> Seller | None:
        sellers = list(Seller.objects.exclude(pk__in=right.authorised_sellers.values("pk")).order_by("id")[:100])
        return self.rng.choice(sellers) if sellers else None

    def _relist(self, right: Right) -> tuple[Seller, ListingFields] | None:
        """The latest removed listing of the brand (screened as it, or naming it) not relisted yet, again."""
        self.relisted = self.relisted if self.relisted is not None else set()
        terms = list(right.terms.values_list("term", flat=True))
        names_it = Q(screenings__hits__right=right)
        for term in terms:
            names_it |= Q(title__icontains=term)
        removed = (Listing.objects.filter(names_it, status=ListingStatus.REMOVED).exclude(pk__in=self.relisted)
                   .select_related("seller").order_by("-removed_at", "-id").first())
        if removed is None:
            return None
        self.relisted.add(removed.pk)
        return removed.seller, ListingFields(title=removed.title, description=removed.description,
                                             category=removed.category, price=removed.price,
                                             currency=removed.currency, attributes=removed.attributes,
                                             image=removed.image)


def demo_right() -> Right | None:
    """The brand the script plays with: the demo's registered right, else any verified right with brand terms."""
    verified = Right.objects.filter(status=RightStatus.VERIFIED, terms__isnull=False).distinct()
    return verified.filter(reference="R-DEMO-1").first() or verified.order_by("id").first()


def disguise(term: str) -> str:
    """The brand as a counterfeiter writes it to slip past a word filter: AeroStride -> A3roStr1de."""
    return term.replace("e", "3", 1).replace("i", "1")
