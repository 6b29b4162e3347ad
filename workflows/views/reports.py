"""The monthly operations reports (运营报告): the archive, a report with its charts, its PDF.

Read by supervisors and the platform operator. The figures are counts and organisations only (no natural
person), but the archive stays with the staff who run and supervise the market: the public statistics page
is the public view of the same data.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from credit_rules.models import MeasureKind

from ..models import MonthlyReport, Project
from ..selectors.reports import report_get_for_page, report_list_for_archive
from ..selectors.statistics import MEASURE_KINDS, WARNING
from .charts import Chart, Series, bar_chart, grouped_bar_chart, money_format
from .common import staff_required
from .report_pdf import report_pdf_bytes


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def days(value: float | None) -> str:
    return "—" if value is None else _("%(days)s 天") % {"days": f"{value:.1f}"}


def _report(month: str) -> MonthlyReport:
    try:
        first = datetime.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise Http404 from None
    report = report_get_for_page(first)
    if report is None:
        raise Http404
    return report


def report_rows(figures: dict[str, Any]) -> dict[str, Any]:
    """The report's tables in the reader's language, shared by the page and the PDF."""
    methods = [
        {
            "label": str(Project.Method(method).label),
            **row,
            "budget_text": money_format(Decimal(row["budget"])),
            "amount_text": money_format(Decimal(row["amount"])),
            "saving_text": money_format(Decimal(row["saving"])),
            "saving_rate_text": percent(row["saving_rate"]),
        }
        for method, row in figures["methods"].items()
    ]
    total = figures["total"]
    total = {
        **total,
        "label": _("合计"),
        "budget_text": money_format(Decimal(total["budget"])),
        "amount_text": money_format(Decimal(total["amount"])),
        "saving_text": money_format(Decimal(total["saving"])),
        "saving_rate_text": percent(total["saving_rate"]),
    }
    concentration = figures["concentration"]
    top = [
        {**row, "amount_text": money_format(Decimal(row["amount"])), "share_text": percent(row["share"])}
        for row in concentration["top"]
    ]
    names = {WARNING: _("信用警告"), **{k.value: str(k.label) for k in MeasureKind}}
    ladder = [(names[kind], figures["ladder"].get(kind, 0)) for kind in MEASURE_KINDS]
    c = figures["complaints"]
    complaints = [
        (_("质疑投诉"), c["challenges"]["complained"], c["challenges"]["upheld"], c["challenges"]["dismissed"]),
        (
            _("服务投诉"),
            c["service_complaints"]["filed"],
            c["service_complaints"]["upheld"],
            c["service_complaints"]["dismissed"],
        ),
        (_("信用异议"), c["objections"]["filed"], c["objections"]["overturned"], c["objections"]["upheld"]),
    ]
    response = [
        (_("项目业主答复质疑"), days(c["response_days"]["challenge_answer"])),
        (_("监管部门处理投诉"), days(c["response_days"]["complaint_decision"])),
        (_("信用异议办结"), days(c["response_days"]["objection_decision"])),
    ]
    return {
        "methods": methods,
        "total": total,
        "concentration": concentration,
        "top": top,
        "top_share": percent(concentration["top_share"]),
        "hhi": "—" if concentration["hhi"] is None else f"{concentration['hhi']:.1f}",
        "ladder": ladder,
        "challenges_filed": c["challenges"]["filed"],
        "complaints": complaints,
        "response": response,
        "dormancy": figures.get("dormancy", {}),
    }


def report_charts(figures: dict[str, Any], rows: dict[str, Any]) -> list[Chart]:
    """The report's charts (server-drawn SVG, as on the statistics page)."""
    labels = [m["label"] for m in rows["methods"]]
    projects = grouped_bar_chart(
        chart_id="chart-report-projects",
        title=_("各选取方式项目数"),
        desc=_("本月发布、报名截止、完成选取和流标的项目数，按选取方式。"),
        label_heading=_("选取方式"),
        labels=labels,
        series=[
            Series(_("发布"), tuple(m["published"] for m in rows["methods"])),
            Series(_("报名截止"), tuple(m["closed"] for m in rows["methods"])),
            Series(_("完成选取"), tuple(m["awarded"] for m in rows["methods"])),
            Series(_("流标"), tuple(m["failed"] for m in rows["methods"])),
        ],
    )
    amounts = grouped_bar_chart(
        chart_id="chart-report-amounts",
        title=_("预算金额与中选金额"),
        desc=_("本月完成选取的项目的预算金额合计与中选金额合计（元），按选取方式。"),
        label_heading=_("选取方式"),
        labels=labels,
        series=[
            Series(_("预算金额"), tuple(Decimal(m["budget"]) for m in rows["methods"])),
            Series(_("中选金额"), tuple(Decimal(m["amount"]) for m in rows["methods"])),
        ],
        value_format=money_format,
        integer=False,
        unit=_("元"),
    )
    ladder = bar_chart(
        chart_id="chart-report-ladder",
        title=_("奖惩措施"),
        desc=_("本月开始的信用警告和奖、限、停、退及撤销中选资格措施数量。"),
        label_heading=_("类型"),
        labels=[name for name, _n in rows["ladder"]],
        values=[n for _name, n in rows["ladder"]],
        series_name=_("数量"),
    )
    return [projects, amounts, ladder]


@require_GET
@staff_required
def report_list(request: HttpRequest) -> HttpResponse:
    """运营报告 archive: one row per archived month."""
    return render(request, "workflows/supervisor_reports.html", {"reports": list(report_list_for_archive())})


@require_GET
@staff_required
def report_detail(request: HttpRequest, month: str) -> HttpResponse:
    """One month's report: tables and charts."""
    report = _report(month)
    rows = report_rows(report.figures)
    context = {"report": report, "rows": rows, "charts": report_charts(report.figures, rows)}
    return render(request, "workflows/supervisor_report.html", context)


@require_GET
@staff_required
def report_pdf(request: HttpRequest, month: str) -> HttpResponse:
    """The month's report as a PDF download."""
    report = _report(month)
    response = HttpResponse(report_pdf_bytes(report, report_rows(report.figures)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="operations-report-{report.month:%Y-%m}.pdf"'
    return response
