"""The local catalogue's public listing pages: the demo marketplace that notices point at."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from takedowns import selectors
from takedowns.models import Listing


def listing_index(request: HttpRequest) -> HttpResponse:
    try:
        after = int(request.GET.get("after", "") or 0) or None
    except ValueError:
        after = None
    category = request.GET.get("category") or None
    query = (request.GET.get("q") or "").strip() or None
    page = selectors.catalogue_page(after, category, query)
    return render(request, "takedowns/catalogue/index.html", {
        "page": page, "category": category, "q": query or "",
        "categories": selectors.catalogue_categories(),
    })


def listing_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    listing = get_object_or_404(Listing.objects.select_related("seller"), external_id=external_id.upper())
    return render(request, "takedowns/catalogue/detail.html", {
        "listing": listing, "listing_url": request.build_absolute_uri(),
    })
