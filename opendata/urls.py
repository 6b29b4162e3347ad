"""Every URL of the open data: the API under /api/, OCDS files, downloads, the credit exchange."""

from django.urls import path  # noqa: F401  (each part adds its patterns here)

urlpatterns: list = []
