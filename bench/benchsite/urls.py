from django.urls import include, path

from benchsite import views

urlpatterns = [
    path("bench/insert/", views.insert, name="bench_insert"),
    path("", include("portal.urls")),
]
