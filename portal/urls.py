from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from takedowns.access import public

urlpatterns = [
    path("admin/", admin.site.urls),
    # The language switcher posts here (templates/_language_switcher.html): Django's view sets the language
    # cookie and sends the visitor back to `next`, a page of this site only. Named i18n:set_language.
    path("language/", include(([path("", public(set_language), name="set_language")], "i18n"))),
    # Browsers ask for /favicon.ico whatever the page links (issue 13, item 7): the icon, not a 404.
    path("favicon.ico", public(RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.ico", permanent=False)),
         name="favicon"),
    # The JSON API for professional notifiers (issue 15): takedowns/api/.
    path("api/v1/", include(("takedowns.api.urls", "api"), namespace="api")),
    path("", include("takedowns.urls")),
]
