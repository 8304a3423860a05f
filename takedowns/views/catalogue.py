"""The local catalogue's public listing pages: the demo marketplace that notices point at."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from takedowns.access import public
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
        "listing": listing, "listing_url": request.build_absolute_uri(),
    })
