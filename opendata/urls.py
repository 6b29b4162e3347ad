"""Every URL of the open data: the API under /api/, OCDS files, downloads, the credit exchange."""

from django.conf import settings
from django.urls import include, path

from .exchange import standin
from .exchange import views as exchange

urlpatterns: list = [
    path("", include("opendata.api.urls")),
    path("", include("opendata.ocds.urls")),
    path("", include("opendata.exports.urls")),
    path("operator/exchange/", exchange.exchange_page, name="operator-exchange"),
    path("operator/exchange/feedback.csv", exchange.feedback_export, {"fmt": "csv"}, name="operator-exchange-fb-csv"),
    path(
        "operator/exchange/feedback.json", exchange.feedback_export, {"fmt": "json"}, name="operator-exchange-fb-json"
    ),
    path("operator/exchange/measures.csv", exchange.outbox_export, {"fmt": "csv"}, name="operator-exchange-out-csv"),
    path("operator/exchange/measures.json", exchange.outbox_export, {"fmt": "json"}, name="operator-exchange-out-json"),
]

# The local stand-in credit platform (docs/credit-exchange.md): demo mode, DEBUG, or when the settings ask.
if settings.ZJCS_DEMO or settings.DEBUG or settings.ZJCS_CREDIT_EXCHANGE_STANDIN:
    urlpatterns += [
        path("exchange-standin/messages/", standin.messages_receive, name="exchange-standin-messages"),
        path("exchange-standin/feedback/", standin.feedback_receive, name="exchange-standin-feedback"),
        path("exchange-standin/lists/<slug:source>/", standin.list_serve, name="exchange-standin-list"),
        path("exchange-standin/faults/", standin.faults_set, name="exchange-standin-faults"),
    ]
