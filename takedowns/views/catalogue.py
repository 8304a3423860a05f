"""The local catalogue's public listing pages: the demo marketplace that notices point at."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _

from takedowns.access import public
from takedowns.enums import ListingStatus
from takedowns.forms.public import CatalogueFilterForm
from takedowns.selectors import catalogue
from takedowns.views.reconnect import once_more_if_disconnected


@once_more_if_disconnected
@public
def listing_index(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET)
    form.is_valid()
    category = form.cleaned_data.get("category") or None
    query = form.cleaned_data.get("q") or ""
    return render(request, "takedowns/catalogue/index.html", {
        "page": catalogue.catalogue_page(form.cleaned_data.get("after"), category, query or None),
        "category": category, "q": query, "categories": catalogue.catalogue_categories(), "form": form,
    }, status=400 if form.errors else 200)


@once_more_if_disconnected
@public
def listing_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    listing = catalogue.listing(external_id)
    if listing is None:
        raise Http404(_("No such listing."))
    return render(request, "takedowns/catalogue/detail.html", {
        "listing": listing, "listing_url": request.build_absolute_uri(), "picture_url": _picture_url(listing.image),
        "own_initiative": listing.status == ListingStatus.REMOVED and catalogue.removed_on_own_initiative(listing),
    })


def _picture_url(image: str) -> str | None:
    """The URL of a demo listing's picture under static/; None for a marketplace's URL (this site loads nothing
    from another host) or a path the static files do not have."""
    if not image or "://" in image:
        return None
    try:
        return static(image)
    except ValueError:  # not in the manifest of collected static files
        return None
