"""Every URL of the open data: the API under /api/, OCDS files, downloads, the credit exchange."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("opendata.api.urls")),
]
