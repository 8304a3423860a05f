from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from takedowns.access import public

urlpatterns = [
    path("admin/", admin.site.urls),
    # The language switcher posts here (templates/_language_switcher.html): Django's view sets the language
    # cookie and sends the visitor back to `next`, a page of this site only. Named i18n:set_language.
    path("language/", include(([path("", public(set_language), name="set_language")], "i18n"))),
    path("", include("takedowns.urls")),
]
