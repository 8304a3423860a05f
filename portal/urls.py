from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from takedowns.access import public as public_page

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page links (issue 13, item 7): the icon, not a 404.
    path("favicon.ico", public_page(RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.ico", permanent=False)),
         name="favicon"),
    path("", include("takedowns.urls")),
]
