"""What each public list's download holds: the page's own selector and filter parsing, the page's columns.

A download is every row the page would show across all its pages, for the same query string (``page`` is
ignored), read with ``.iterator()`` in chunks so memory does not grow with the list. Only what the page
shows is written: organisations' names and codes, never a natural person's data (the selectors do not
even load it).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.forms import NoticeFilterForm
from cms.models import NoticeRequest
from cms.selectors import CREDIT_KINDS, notice_list_for_public
from credit_rules.buyer_record import buyer_list_for_directory
from credit_rules.models import MeasureKind
from credit_rules.selectors import (
    MEASURE_BADGES,
    DirectoryFilters,
    agency_list_for_directory,
    rule_title,
    subject_list_for_blacklist,
    subject_list_for_redlist,
)
from credit_rules.views import DirectoryFilterForm
from marketplace.selectors import category_tree
from workflows.selectors.public import ProjectFilters, buyer_list_for_search, project_list_for_search
from workflows.selectors.statistics import statistics_for_public_cached
from workflows.views.public import ProjectSearchForm, statistics_charts

from .writers import MAX_ROWS, Table

CHUNK = 500  # rows per database round trip (and per prefetch of their related rows)


def _day(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _minute(moment: datetime.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _query(request: HttpRequest) -> QueryDict | None:
    """The page's query string as its form reads it (``None`` when empty, as the pages do)."""
    return request.GET or None


# --- the credit lists ------------------------------------------------------------------------------


def directory_table(request: HttpRequest) -> Table:
    """中介机构名录 with the directory's search and filters (invalid values ignored, as on the page)."""
    form = DirectoryFilterForm(_query(request), tree=category_tree())
    filters = DirectoryFilters()
    if form.is_bound:
        form.is_valid()
        filters = form.filters()
    flags = [MeasureKind.REWARD, MeasureKind.RESTRICT, MeasureKind.SUSPEND, MeasureKind.EXPEL]

    def rows() -> Iterator[list]:
        for agency in agency_list_for_directory(filters).iterator(chunk_size=CHUNK):
            measures = [str(MEASURE_BADGES[k]) for k in flags if getattr(agency, f"credit_{k.value}")]
            yield [
                agency.name,
                agency.uscc,
                agency.region.label if agency.region else "",
                _("、").join(c.label for c in agency.categories.all()),
                agency.credit_grade,
                agency.credit_score,
                _("、").join(measures),
            ]

    headers = [_("机构名称"), _("统一社会信用代码"), _("所在地区"), _("服务事项"), _("信用等级"), _("信用分")]
    return Table("agencies", _("中介机构名录"), [*headers, _("信用措施")], rows())


def blacklist_table(request: HttpRequest) -> Table:
    """黑名单, as the page lists it (no filters): the expulsion's dates, rule and reason."""

    def rows() -> Iterator[list]:
        for subject in subject_list_for_blacklist().iterator(chunk_size=CHUNK):
            measure = subject.expulsions[0] if subject.expulsions else None
            reason = (rule_title(measure.rule_code) or measure.title) if measure else ""
            summary = measure.evidence.get("summary", "") if measure and isinstance(measure.evidence, dict) else ""
            until = ""
            if measure:
                until = _day(measure.expires_at) if measure.expires_at else _("至解除之日")
            yield [
                subject.name,
                subject.uscc,
                subject.agency.region.label if subject.agency and subject.agency.region else "",
                _day(measure.effective_at) if measure else "",
                until,
                measure.rule_code if measure else "",
                reason,
                str(summary),
            ]

    headers = [_("机构名称"), _("统一社会信用代码"), _("所在地区"), _("清退日期"), _("禁入期至"), _("规则代码")]
    return Table("blacklist", _("黑名单"), [*headers, _("清退事由"), _("事实摘要")], rows())


def redlist_table(request: HttpRequest) -> Table:
    """红名单, as the page lists it: grade, score and each reward in force with its period and rule."""

    def rows() -> Iterator[list]:
        for subject in subject_list_for_redlist().iterator(chunk_size=CHUNK):
            grounds = []
            for measure in subject.rewards:
                since = _day(measure.effective_at)
                if measure.expires_at:
                    period = _("%(since)s 至 %(until)s") % {"since": since, "until": _day(measure.expires_at)}
                else:
                    period = _("自 %(since)s 起") % {"since": since}
                grounds.append(
                    " ".join(p for p in (str(MEASURE_BADGES[MeasureKind.REWARD]), period, measure.rule_code) if p)
                )
            yield [
                subject.name,
                subject.uscc,
                subject.agency.region.label if subject.agency and subject.agency.region else "",
                subject.grade,
                subject.score,
                _("；").join(grounds),
            ]

    headers = [_("机构名称"), _("统一社会信用代码"), _("所在地区"), _("信用等级"), _("信用分"), _("列入依据")]
    return Table("redlist", _("红名单"), headers, rows())


def buyer_table(request: HttpRequest) -> Table:
    """项目业主政务诚信 with the page's search (the same 100 characters)."""
    q = (request.GET.get("q") or "")[:100]

    def rows() -> Iterator[list]:
        for unit in buyer_list_for_directory(q).iterator(chunk_size=CHUNK):
            region = unit.region.label if unit.region else ""
            yield [unit.name, unit.uscc, region, unit.supervising_department, unit.failures, unit.warnings]

    headers = [_("单位名称"), _("统一社会信用代码"), _("所在地区"), _("主管部门"), _("有效失信记录")]
    return Table("buyers", _("项目业主政务诚信"), [*headers, _("生效的信用警告")], rows())


# --- the procurement and notice lists --------------------------------------------------------------


def project_table(request: HttpRequest) -> Table:
    """项目查询 with the search form's filters (invalid values ignored, as on the page)."""
    form = ProjectSearchForm(_query(request), tree=category_tree(), buyers=list(buyer_list_for_search()))
    filters = ProjectFilters()
    if form.is_bound:
        form.is_valid()
        filters = form.filters()

    def rows() -> Iterator[list]:
        for project in project_list_for_search(filters).iterator(chunk_size=CHUNK):
            yield [
                project.code,
                project.name,
                project.buyer.name,
                project.buyer.uscc,
                project.category.label if project.category else "",
                project.get_method_display(),
                project.budget,
                project.get_state_display(),
                _minute(project.signup_deadline),
                project.winner_name or "",
                project.winner_uscc or "",
            ]

    headers = [_("项目编号"), _("项目名称"), _("项目业主"), _("项目业主统一社会信用代码"), _("服务事项")]
    headers += [_("选取方式"), _("预算金额（元）"), _("状态"), _("报名截止时间"), _("中选机构")]
    return Table("projects", _("项目查询"), [*headers, _("中选机构统一社会信用代码")], rows())


def notice_table(request: HttpRequest, kind: str = "") -> Table:
    """公告公示 (all, or one kind; live or the archive) with the list's search and filters."""
    form = NoticeFilterForm(_query(request), kind=kind)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    show_uscc = not filters.kind or filters.kind in CREDIT_KINDS
    found = notice_list_for_public(filters)

    def notices():
        if hasattr(found, "iterator"):
            return found.iterator(chunk_size=CHUNK)
        return iter(found[: MAX_ROWS + 1])  # search results: the search backend's own slice

    def rows() -> Iterator[list]:
        for notice in notices():
            row = [notice.title, notice.get_kind_display()]
            if show_uscc:
                row.append(notice.subject_uscc)
            row.append(_day(notice.first_published_at))
            if filters.archive:
                if notice.withdrawn:
                    row.append(notice.withdrawn_reason)
                else:
                    until = notice.public_until.isoformat() if notice.public_until else ""
                    row.append(_("公示期满（%(date)s）") % {"date": until})
            row.append(notice.get_full_url(request) or "")
            yield row

    headers = [_("公告标题"), _("公告类型")] + ([_("统一社会信用代码")] if show_uscc else []) + [_("发布日期")]
    headers += [_("撤销或期满")] if filters.archive else []
    title = NoticeRequest.Kind(kind).label if kind else _("公告公示")
    return Table(f"notices-{kind}" if kind else "notices", str(title), [*headers, _("公告链接")], rows())


def statistics_table(request: HttpRequest) -> Table:
    """统计分析: every chart's data table in one long table — chart, category, series, value (unformatted)."""
    stats = statistics_for_public_cached()

    def rows() -> Iterator[list]:
        for chart in statistics_charts(stats):
            unit = f"{_('（')}{chart.unit}{_('）')}" if chart.unit else ""
            for i, label in enumerate(chart.labels):
                for series in chart.series:
                    yield [chart.title, chart.label_heading, label, f"{series.name}{unit}", series.values[i]]

    headers = [_("统计图表"), _("分类方式"), _("分类"), _("统计项"), _("数值")]
    return Table("statistics", _("统计分析"), headers, rows())


TABLES: dict[str, Callable[[HttpRequest], Table]] = {
    "agencies": directory_table,
    "blacklist": blacklist_table,
    "redlist": redlist_table,
    "buyers": buyer_table,
    "projects": project_table,
    "statistics": statistics_table,
}
