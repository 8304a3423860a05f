"""The demo catalogue's seller side (issue 14): a fictitious seller, picked from a list (no account: the
demo's sellers are invented), creates and changes listings, and sees each one screened before it goes live.
Only where the marketplace is the local demo catalogue; a real marketplace has its own seller pages and calls
the hook (views/marketplace.py)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from takedowns.access import public
from takedowns.forms.marketplace import SellListingForm
from takedowns.marketplace import is_local_catalogue
from takedowns.models import Seller
from takedowns.selectors import selling
from takedowns.workflow import listings


def _seller_or_404(external_id: str) -> Seller:
    if not is_local_catalogue():
        raise Http404(_("This marketplace has its own seller pages."))
    seller = selling.seller(external_id)
    if seller is None:
        raise Http404(_("No such seller."))
    return seller


@public
def choose_seller(request: HttpRequest) -> HttpResponse:
    if not is_local_catalogue():
        raise Http404(_("This marketplace has its own seller pages."))
    return render(request, "takedowns/sell/index.html", {"sellers": selling.demo_sellers()})


def _after_screening(seller: Seller, screening_id: int) -> HttpResponse:
    return redirect(f"{reverse('takedowns:sell_seller', args=[seller.external_id])}?screening={screening_id}#outcome")


def _screening_id(request: HttpRequest) -> int | None:
    value = request.GET.get("screening", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@public
@require_http_methods(["GET", "POST"])
def seller_page(request: HttpRequest, seller_external_id: str) -> HttpResponse:
    """The seller's listings with their state, the form for a new one, and the last save's outcome."""
    seller = _seller_or_404(seller_external_id)
    form = SellListingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        screening = listings.submit_listing(seller, form.listing_fields(), timezone.now())
        return _after_screening(seller, screening.pk)
    return render(request, "takedowns/sell/seller.html", {
        "seller": seller, "form": form, "listings": selling.seller_listings(seller),
        "outcome": selling.outcome_for_seller(seller, _screening_id(request)),
    }, status=400 if form.errors else 200)


@public
@require_http_methods(["GET", "POST"])
def edit_listing(request: HttpRequest, seller_external_id: str, external_id: str) -> HttpResponse:
    """Change one of the seller's listings: screened again (trigger "changed") before it is live again."""
    seller = _seller_or_404(seller_external_id)
    listing = seller.listings.filter(external_id=external_id).first()
    if listing is None:
        raise Http404(_("No such listing of this seller."))
    changeable = listing.status in listings.CHANGEABLE
    form = SellListingForm(request.POST or None, current_image=listing.image,
                           initial=SellListingForm.initial_of(listing.__dict__))
    if request.method == "POST" and changeable and form.is_valid():
        try:
            screening = listings.submit_listing(seller, form.listing_fields(), timezone.now(),
                                                external_id=listing.external_id)
        except listings.ListingLocked:
            messages.error(request, _("This listing changed state meanwhile and cannot be changed now."))
            return redirect("takedowns:sell_edit", seller.external_id, listing.external_id)
        return _after_screening(seller, screening.pk)
    return render(request, "takedowns/sell/edit.html", {
        "seller": seller, "listing": listing, "form": form, "changeable": changeable,
    }, status=400 if form.errors or (request.method == "POST" and not changeable) else 200)
