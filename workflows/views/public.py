"""Public procurement pages (no login): project search, a project's public page, statistics (统计分析).

Reads go through ``workflows.selectors.public``; nothing here writes. The pages show organisations
(name, USCC) only, and quotes only after the sign-up deadline. Charts are drawn on the server as
inline SVG (``workflows.views.charts``), each with a data table of the same numbers.
"""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from credit_rules.models import Grade, MeasureKind
from marketplace.fields import BoundedDateField
from marketplace.forms import PlainForm
from marketplace.models import BuyerUnit, ServiceCategory
from marketplace.paging import CappedPaginator
from marketplace.selectors import category_tree

from ..models import Project
from ..selectors.public import (
    PUBLIC_STATES,
    ProjectFilters,
    buyer_list_for_search,
    project_list_for_search,
    project_page_for_public,
)
from ..selectors.statistics import MEASURE_KINDS, WARNING, PublicStatistics, statistics_for_public_cached
from .charts import Chart, Series, bar_chart, grouped_bar_chart, money_format, stacked_bar_chart

PAGE_SIZE = 20
GRADE_COLORS = {"A": "#1e7b34", "B": "#0b5cad", "C": "#9a5b00", "D": "#b3261e"}  # as the grade badges
MEASURE_COLORS = {
    WARNING: "#9a5b00",
    MeasureKind.REWARD: "#1e7b34",
    MeasureKind.RESTRICT: "#0b5cad",
    MeasureKind.SUSPEND: "#a4161a",
    MeasureKind.EXPEL: "#1d2733",
    MeasureKind.REVOKE: "#6b3fa0",
}


class ProjectSearchForm(PlainForm):
    """Search and filters of the public project search (all optional; a bad value is reported and ignored)."""

    q = forms.CharField(label=gettext_lazy("项目名称、编号或项目业主"), required=False, max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("服务事项"), required=False)
    method = forms.ChoiceField(label=gettext_lazy("选取方式"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("项目状态"), required=False)
    buyer = forms.ChoiceField(label=gettext_lazy("项目业主"), required=False)
    published_from = BoundedDateField(label=gettext_lazy("发布日期自"), required=False)
    published_to = BoundedDateField(label=gettext_lazy("发布日期至"), required=False)

    def __init__(self, *args, tree: list[ServiceCategory], buyers: list[BuyerUnit], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.by_code: dict[str, ServiceCategory] = {}
        groups: list = [("", _("全部"))]
        for top in tree:
            self.by_code[top.code] = top
            options = [(top.code, _("%(name)s（全部）") % {"name": top.label})]
            for leaf in top.children.all():
                self.by_code[leaf.code] = leaf
                options.append((leaf.code, leaf.label))
            groups.append((top.label, options))
        self.by_uscc = {unit.uscc: unit for unit in buyers}
        everything = [("", _("全部"))]
        cast(forms.ChoiceField, self.fields["category"]).choices = groups
        cast(forms.ChoiceField, self.fields["method"]).choices = everything + list(Project.Method.choices)
        cast(forms.ChoiceField, self.fields["state"]).choices = everything + [
            (state, Project.State(state).label) for state in PUBLIC_STATES
        ]
        cast(forms.ChoiceField, self.fields["buyer"]).choices = everything + [(u.uscc, u.name) for u in buyers]

    def clean(self):
        data = super().clean()
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and start > end:
            self.add_error("published_to", _("结束日期不能早于开始日期。"))
        return data

    def filters(self) -> ProjectFilters:
        """The valid part of the query as selector filters (``is_valid`` has run)."""
        data = self.cleaned_data
        return ProjectFilters(
            q=data.get("q") or "",
            category=self.by_code.get(data.get("category") or ""),
            method=data.get("method") or "",
            state=data.get("state") or "",
            buyer=self.by_uscc.get(data.get("buyer") or ""),
            published_from=data.get("published_from"),
            published_to=data.get("published_to"),
        )


@require_GET
def project_search(request: HttpRequest) -> HttpResponse:
    """项目查询: published projects with text search, filters and date range, newest first, 20 a page."""
    form = ProjectSearchForm(request.GET or None, tree=category_tree(), buyers=list(buyer_list_for_search()))
    filters = ProjectFilters()
    if form.is_bound:
        # Errors are shown next to their fields; the fields that are valid still filter.
        form.is_valid()
        filters = form.filters()
    page = CappedPaginator(project_list_for_search(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workflows/public_project_search.html", {"form": form, "page_obj": page})


@require_GET
def project_public(request: HttpRequest, code: str) -> HttpResponse:
    """A project's public page: announcement, draw commitment, state, ranking and winner, contract."""
    page = project_page_for_public(code)
    return render(request, "workflows/public_project.html", {"page": page, "project": page.project})


def _month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def percent(rate: float | None) -> str:
    """A rate as a percentage with two decimals, or a dash when there is nothing to divide."""
    return "—" if rate is None else f"{rate * 100:.2f}%"


def statistics_charts(stats: PublicStatistics) -> list[Chart]:
    """The statistics page's charts, in the reader's language, from the aggregated numbers."""
    months = [_month_label(m) for m in stats.months]
    measure_names = {WARNING: _("信用警告"), **{k.value: str(k.label) for k in MeasureKind}}
    measures = stacked_bar_chart(
        chart_id="chart-measures",
        title=_("信用措施月度统计"),
        desc=_("近 12 个月每月发布的信用警告和信用措施数量，按类型堆叠；经异议撤销的记录不计。"),
        label_heading=_("月份"),
        labels=months,
        series=[
            Series(measure_names[kind], tuple(stats.measure_count(m, kind) for m in stats.months), MEASURE_COLORS[kind])
            for kind in MEASURE_KINDS
        ],
    )
    grades = stats.grade_counts()
    grade_chart = bar_chart(
        chart_id="chart-grades",
        title=_("中介机构信用等级分布"),
        desc=_("有信用记录的中介机构按当前信用等级统计的数量。"),
        label_heading=_("信用等级"),
        labels=[str(Grade(g).label) for g in grades],
        values=list(grades.values()),
        series_name=_("机构数"),
        bar_colors=tuple(GRADE_COLORS[g] for g in grades),
    )
    by_method = stats.by_method()
    method_chart = bar_chart(
        chart_id="chart-methods",
        title=_("各选取方式项目数"),
        desc=_("已发布的采购项目按选取方式统计的数量。"),
        label_heading=_("选取方式"),
        labels=[str(Project.Method(m).label) for m in by_method],
        values=list(by_method.values()),
        series_name=_("项目数"),
    )
    by_state = stats.by_state()
    state_chart = bar_chart(
        chart_id="chart-states",
        title=_("各状态项目数"),
        desc=_("已发布的采购项目按当前状态统计的数量。"),
        label_heading=_("项目状态"),
        labels=[str(Project.State(s).label) for s in by_state],
        values=list(by_state.values()),
        series_name=_("项目数"),
        width=820,
    )
    total = stats.award_total()
    awards = grouped_bar_chart(
        chart_id="chart-awards",
        title=_("中选金额与预算金额"),
        desc=_("近 12 个月每月完成选取的项目的预算金额合计与中选金额合计（元）。"),
        extra_desc=(
            _("合计预算 %(budget)s 元，中选金额 %(amount)s 元，节约率 %(rate)s，项目平均节约率 %(average)s。")
            % {
                "budget": money_format(total.budget),
                "amount": money_format(total.amount),
                "rate": percent(stats.saving_rate),
                "average": percent(stats.average_saving_rate),
            },
        ),
        label_heading=_("月份"),
        labels=months,
        series=[
            Series(_("预算金额"), tuple(stats.awards[m].budget if m in stats.awards else 0 for m in stats.months)),
            Series(_("中选金额"), tuple(stats.awards[m].amount if m in stats.awards else 0 for m in stats.months)),
        ],
        value_format=money_format,
        integer=False,
        unit=_("元"),
    )
    return [measures, grade_chart, method_chart, state_chart, awards]


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """统计分析: measures per month, grade distribution, projects by method and state, award against budget."""
    stats = statistics_for_public_cached()
    charts = statistics_charts(stats)
    total = stats.award_total()
    summary = {
        "projects": sum(stats.by_method().values()),
        "agencies": sum(stats.grade_counts().values()),
        "measures": sum(stats.measures.values()),
        "rewards": stats.measure_total(MeasureKind.REWARD),
        "rewarded_now": stats.rewarded_now,
        "awarded": total.projects,
        "budget": money_format(total.budget),
        "amount": money_format(total.amount),
        "saving": money_format(total.saving),
        "saving_rate": percent(stats.saving_rate),
        "average_saving_rate": percent(stats.average_saving_rate),
        "dormancy_prompted": stats.dormancy.get("prompted", 0),
        "dormancy_exited": stats.dormancy.get("exited", 0),
    }
    context = {"stats": stats, "charts": charts, "summary": summary, "since": stats.months[0]}
    return render(request, "workflows/public_statistics.html", context)
