"""The operator's exchange page (/operator/exchange/): the outbox, the delivery log, the pulls and the feedback,
with push now and pull now; and the exports of the feedback and of the outbox in JSON and CSV."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from marketplace.errors import ApplicationError
from opendata.exchange_models import DeliveryAttempt, ExternalPull, OutboxMessage
from opendata.tasks import exchange_push
from workflows.views.common import operator_required, refusal_show

from . import client
from .feedback import feedback_list
from .format import FEEDBACK_COLUMNS, MESSAGE_COLUMNS, csv_text, json_text
from .pull import list_pull
from .sources import SOURCES

SHOWN = 50


def _push(request: HttpRequest) -> None:
    if not client.endpoint():
        messages.error(request, _("尚未配置信用信息交换地址（ZJCS_CREDIT_EXCHANGE_URL），无法推送。"))
        return
    exchange_push.delay()
    messages.success(request, _("已开始推送：新的信用措施和反馈已写入发件箱并逐条投递。"))


def _pull(request: HttpRequest, code: str) -> None:
    codes = [code] if code in SOURCES else list(SOURCES)
    try:
        pulls = [list_pull(c, actor=request.user) for c in codes]
    except ApplicationError as exc:
        refusal_show(request, exc)
        return
    for pull in pulls:
        text = _("%(source)s：%(outcome)s，%(rows)s 条，影响 %(affected)s 家机构。") % {
            "source": SOURCES[pull.source].label,
            "outcome": pull.get_outcome_display(),
            "rows": pull.rows,
            "affected": pull.affected,
        }
        (messages.error if pull.outcome in ("failed", "rejected") else messages.success)(request, text)


@operator_required
def exchange_page(request: HttpRequest) -> HttpResponse:
    """信用信息交换: what was pushed to the credit platform and what it answered, what was pulled, the feedback."""
    if request.method == "POST":
        if request.POST.get("action") == "push":
            _push(request)
        elif request.POST.get("action") == "pull":
            _pull(request, request.POST.get("source", ""))
        return redirect("operator-exchange")
    outbox = list(OutboxMessage.objects.select_related("listing").order_by("-pk")[:SHOWN])
    context = {
        "endpoint": client.endpoint(),
        "sources": list(SOURCES.values()),
        "labels": {code: s.label for code, s in SOURCES.items()},
        "outbox": outbox,
        "pending": OutboxMessage.objects.filter(delivered_at=None).count(),
        "attempts": list(DeliveryAttempt.objects.select_related("message").order_by("-at", "-pk")[:SHOWN]),
        "pulls": list(ExternalPull.objects.order_by("-started_at", "-pk")[:SHOWN]),
        "feedback": [{**item, "when": parse_datetime(item["at"])} for item in feedback_list(SHOWN)],
    }
    return render(request, "opendata/operator_exchange.html", context)


def _download(body: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body.encode("utf-8"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@operator_required
def feedback_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The feedback on the latest listings, in the exchange format (JSON) or its CSV equivalent."""
    items = feedback_list(5000)
    if fmt == "csv":
        return _download(csv_text(items, FEEDBACK_COLUMNS), "credit-feedback.csv", "text/csv; charset=utf-8")
    return _download(json_text(items, "feedback"), "credit-feedback.json", "application/json")


@operator_required
def outbox_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The latest measure messages of the outbox, as pushed (JSON) or as CSV."""
    rows = OutboxMessage.objects.exclude(kind=OutboxMessage.Kind.FEEDBACK).order_by("-pk")[:5000]
    items = [row.payload for row in rows]
    if fmt == "csv":
        return _download(csv_text(items, MESSAGE_COLUMNS), "credit-measures.csv", "text/csv; charset=utf-8")
    return _download(json_text(items, "measures"), "credit-measures.json", "application/json")
