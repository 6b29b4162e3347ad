"""The downloads' and the credit reports' URLs (included from ``opendata/urls.py``)."""

from django.urls import path

from . import report_views, views

urlpatterns = [
    path("downloads/notices.<str:fmt>", views.notice_download, name="notice-download"),
    path("downloads/notices/<str:kind>.<str:fmt>", views.notice_download, name="notice-download-kind"),
    path("downloads/<str:table>.<str:fmt>", views.list_download, name="list-download"),
    path("agency/credit/report/", report_views.report_issue, name="agency-credit-report"),
    path("credit/reports/verify/", report_views.report_verify, name="credit-report-verify-any"),
    path("credit/reports/<uuid:report_id>/verify/", report_views.report_verify, name="credit-report-verify"),
]
