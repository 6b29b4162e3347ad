"""The OCDS files under /ocds/ (out of the REST API's way)."""

from django.urls import path

from . import views

urlpatterns = [
    path("ocds/", views.ocds_index, name="ocds-index"),
    path("ocds/ocds.md", views.ocds_doc, name="ocds-doc"),
    path("ocds/releases/<str:ocid>.json", views.ocds_release_package, name="ocds-release-package"),
    path("ocds/records/<str:ocid>.json", views.ocds_record_package, name="ocds-record-package"),
    path("ocds/bulk/compiled.jsonl", views.ocds_bulk_compiled, name="ocds-bulk-compiled"),
    path("ocds/bulk/<str:month>.json", views.ocds_bulk_month, name="ocds-bulk-month"),
]
