from django.urls import include, path

from benchsite import views

urlpatterns = [
    path("bench/insert/", views.insert, name="bench_insert"),
    path("bench/app-code/", views.app_code, name="bench_app_code"),
    path("", include("portal.urls")),
]
