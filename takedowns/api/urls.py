"""The API's URL patterns (included at /api/v1/ by portal/urls.py), each view labelled with its access rule
(takedowns/access.py's labels; tests/views/test_routes.py lists them): the endpoints take an API key, the schema
and the docs page are public."""

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, reverse

from takedowns.access import PUBLIC
from takedowns.api.endpoints import api

API_KEY = "api key"
PUBLIC_NAMES = {"api-root", "openapi-json", "openapi-view"}


def _root(request: HttpRequest, **kwargs: object) -> HttpResponseRedirect:
    """/api/v1/ itself (ninja answers it 404): the docs page."""
    return HttpResponseRedirect(reverse("api:openapi-view"))


def _labelled(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name == "api-root":
            pattern.callback = _root  # ninja's own root view only raises Http404
        if isinstance(pattern, URLPattern):
            pattern.callback.access = PUBLIC if pattern.name in PUBLIC_NAMES else API_KEY  # type: ignore[attr-defined]
    return patterns


_patterns, app_name, namespace = api.urls
urlpatterns = _labelled(_patterns)
