"""Public procurement pages: project search, a project's public page, statistics with server-side SVG charts.

Projects are taken through the real services (publish, sign up, close, award, contract). The SVG
helper itself is tested in tests/workflows/test_charts.py, the pages in a browser (axe-core) in
tests/browser/test_public_pages.py.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry, MeasureKind, Source
from credit_rules.services import entry_neutralise, event_record, measure_record, subject_for_agency
from marketplace.models import Agency, BuyerUnit, ServiceCategory
from tests.factories import (
    AgencyFactory,
    agencies,
    awarded_project,
    buyer_user,
    contract_uploaded,
    draft_project,
    operator_user,
    publicity_ended,
    published_project,
    signup_closed,
    signups_submit,
    supervisor_user,
    winner_confirmed,
)
from tests.helpers import SVG, query_count, svg_bars, wait_past
from workflows.models import Engagement, Project
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import selection
from workflows.views.charts import money_format

# --- helpers -----------------------------------------------------------------------------------------


def _codes(response) -> list[str]:
    return [p.code for p in response.context["page_obj"].object_list]


def _unpublished(buyer, operator) -> tuple[Project, Project, Project]:
    """A draft, a project awaiting review and one returned by the operator."""
    draft = draft_project(buyer, name="草稿项目甲")
    pending = draft_project(buyer, name="待审项目乙")
    assert project_services.project_submit(project=pending, actor=buyer).ok
    returned = draft_project(buyer, name="退回项目丙")
    assert project_services.project_submit(project=returned, actor=buyer).ok
    assert project_services.project_review(project=returned, actor=operator, publish=False, note="请补充规模").ok
    return draft, pending, returned


def _mark_personal(*orgs) -> dict[str, str]:
    """Give organisations distinctive personal data, so its absence from a page means something."""
    personal = {}
    for n, org in enumerate(orgs):
        fields = {"contact_name": f"联系人私密{n}号", "contact_phone": f"1390000{n:04d}"}
        if isinstance(org, Agency):
            fields["legal_representative"] = f"法人私密{n}号"
        type(org).objects.filter(pk=org.pk).update(**fields)
        personal.update({f"{k}{n}": v for k, v in fields.items()})
    return personal


def _table_rows(html: str, table_id: str) -> list[list[str]]:
    """The rows of a data table as lists of cell texts (the statistics tables are well-formed XML)."""
    match = re.search(rf'<table class="data" id="{re.escape(table_id)}">.*?</table>', html, re.S)
    assert match, table_id
    table = ET.fromstring(match.group(0))
    return [["".join(cell.itertext()).strip() for cell in row] for row in table.iter("tr")]


def _svgs(html: str) -> dict[str, ET.Element]:
    return {(root := ET.fromstring(raw)).attrib["id"]: root for raw in re.findall(r"<svg .*?</svg>", html, re.S)}


# --- project search ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_lists_published_projects_only_and_unpublished_pages_are_404(client):
    # given a published project and a draft, a pending and a returned one
    buyer, operator = buyer_user(), operator_user()
    open_project = published_project("draw", buyer=buyer, operator=operator, name="公开项目丁")
    hidden = _unpublished(buyer, operator)
    # when the public searches without filters
    response = client.get(reverse("project-search"))
    # then only the published project is listed
    assert _codes(response) == [open_project.code]
    html = response.content.decode()
    for project in hidden:
        assert project.code not in html and project.name not in html
        # and asking for their pages, by code, finds nothing
        assert client.get(reverse("project-public", args=[project.code])).status_code == 404
        # and no state filter reveals them (a state the public may not ask for is refused and ignored)
        response = client.get(reverse("project-search"), {"state": project.state})
        assert project.code not in _codes(response) and "state" in response.context["form"].errors
    assert client.get(reverse("project-public", args=[open_project.code])).status_code == 200
    assert client.get(reverse("project-public", args=["ZJCS-1999-000001"])).status_code == 404


@pytest.mark.django_db
def test_search_by_text_category_method_state_buyer_and_dates(client):
    # given projects of two buyers, categories and methods, one published 40 days ago
    operator = operator_user()
    buyer_a, buyer_b = buyer_user(), buyer_user()
    BuyerUnit.objects.filter(staff__user=buyer_b).update(name="惠州市水务局")
    unit_b = BuyerUnit.objects.get(staff__user=buyer_b)
    survey = ServiceCategory.objects.get(code="SUR-ENG")
    appraisal = published_project("draw", buyer=buyer_a, operator=operator, name="安置房估价服务")
    price = published_project("price", buyer=buyer_a, operator=operator, name="办公楼估价服务")
    measuring = published_project("draw", buyer=buyer_b, operator=operator, name="河道地形测量", category=survey)
    old_day = timezone.localdate() - datetime.timedelta(days=40)
    Project.objects.filter(pk=price.pk).update(
        published_at=timezone.make_aware(datetime.datetime.combine(old_day, datetime.time(10)))
    )
    url = reverse("project-search")

    def codes(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return _codes(response)

    # then: newest first
    assert codes() == [measuring.code, appraisal.code, price.code]
    # text: name, code, buyer name
    assert codes(q="安置房") == [appraisal.code]
    assert codes(q=price.code[-6:]) == [price.code]
    assert codes(q="水务") == [measuring.code]
    # category: a leaf, and a top level covering its leaves
    assert codes(category="SUR-ENG") == [measuring.code]
    assert codes(category=survey.parent.code) == [measuring.code]
    assert set(codes(category="VAL-RE")) == {appraisal.code, price.code}
    # method, state, buyer
    assert codes(method="price") == [price.code]
    assert codes(state="open") == [measuring.code, appraisal.code, price.code]
    assert codes(buyer=unit_b.uscc) == [measuring.code]
    # publication dates (local calendar days, both ends inclusive)
    today = timezone.localdate()
    assert codes(published_from=today.isoformat()) == [measuring.code, appraisal.code]
    assert codes(published_to=old_day.isoformat()) == [price.code]
    assert codes(published_from=old_day.isoformat(), published_to=old_day.isoformat()) == [price.code]
    # a reversed range is reported and that bound ignored; an unknown choice is reported, not a crash
    response = client.get(url, {"published_from": today.isoformat(), "published_to": old_day.isoformat()})
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert _codes(response) == [measuring.code, appraisal.code]
    response = client.get(url, {"method": "lottery", "published_from": "not-a-date"})
    assert response.status_code == 200 and response.context["form"].errors.keys() == {"method", "published_from"}
    assert len(_codes(response)) == 3


@pytest.mark.django_db
def test_search_rows_show_buyer_category_budget_deadline_and_winner(client, settings):
    # given an awarded price project and an open one
    settings.ZJCS_TIME_SCALE = 300_000
    pool = agencies(3)
    awarded = published_project("price")
    waiting = published_project("draw")
    signups_submit(awarded, pool, ["52000", "61000", "47000"])
    awarded = signup_closed(awarded, wait=True)
    assert awarded.state == "awarded"
    cheapest = pool[2][0]
    # when the public lists projects
    response = client.get(reverse("project-search"))
    rows = {p.code: p for p in response.context["page_obj"].object_list}
    html = response.content.decode()
    # then the winner is named (and linked) on the awarded row only
    assert rows[awarded.code].winner_name == cheapest.name
    assert rows[waiting.code].winner_name is None
    assert reverse("agency-profile", args=[cheapest.uscc]) in html
    assert awarded.buyer.name in html and "80000.00" in html and "房地产估价" in html
    assert "结果公示中" in html and "竞价选取" in html
    assert timezone.localtime(waiting.signup_deadline).strftime("%Y-%m-%d %H:%M") in html
    # and no quote appears in the list, not even after the close
    assert "47000" not in html and "61000" not in html


@pytest.mark.django_db
def test_search_query_count_is_the_same_for_1_and_50_projects(client, settings):
    # given one awarded project
    settings.ZJCS_TIME_SCALE = 300_000
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    first = published_project("draw", buyer=buyer, operator=operator)
    signups_submit(first, pool, ["50000"] * 3)
    signup_closed(first, wait=True)
    url = reverse("project-search")
    one = query_count(client, url)
    one_filtered = query_count(client, url, {"q": "估价", "category": "VAL", "state": "awarded"})
    # when 49 more are published by other buyers
    for _ in range(49):
        published_project("draw", operator=operator)
    # then the page costs the same (a page holds 20)
    fifty = query_count(client, url)
    assert len(client.get(url).context["page_obj"].object_list) == 20
    assert client.get(url).context["page_obj"].paginator.count == 50
    assert fifty == one == 6  # categories (2), buyers with published projects, capped count, page ids, page rows
    assert query_count(client, url, {"q": "估价", "category": "VAL", "state": "awarded"}) == one_filtered
    assert query_count(client, url, {"page": 3}) == one


# --- a project's public page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_quotes_are_absent_before_the_close_and_published_after(client):
    # given a price project with three sealed quotes
    pool = agencies(3)
    project = published_project("price")
    signups_submit(project, pool, ["52000", "61000", "47000"])
    url = reverse("project-public", args=[project.code])

    # when the public opens its page before the deadline
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    html = response.content.decode()
    # then no quote, no count and no ranking is shown, and the sealed column is never even read
    for quote in ("52000", "61000", "47000", "52,000", "47,000"):
        assert quote not in html
    assert 'id="selection-result"' not in html
    assert response.context["page"].eligible_count is None
    assert "报价密封保存" in html
    assert not any("sealed_quote" in q["sql"] or "draw_secret" in q["sql"] for q in ctx.captured_queries)
    # and the announcement is there, without a draw commitment: a lowest-price selection is not a draw
    assert project.draw_commitment not in html and project.buyer.name in html and "40000.00 – 80000.00" in html

    # when the deadline has passed and the sign-up closed
    signup_closed(project)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    html = response.content.decode()
    page = response.context["page"]
    # then the ranking with each quote is public, lowest first, and the winner is named
    assert page.eligible_count == 3
    assert [(r.rank, r.quote) for r in page.ranking] == [
        (1, Decimal("47000.00")),
        (2, Decimal("52000.00")),
        (3, Decimal("61000.00")),
    ]
    assert page.winner.uscc == pool[2][0].uscc
    assert 'data-testid="eligible-count">3<' in html
    for agency, _user in pool:
        assert agency.uscc in html and reverse("agency-profile", args=[agency.uscc]) in html
    assert "47000.00" in html and "61000.00" in html
    assert not any("sealed_quote" in q["sql"] or "draw_secret" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "shown"), [("draw", True), ("price", False), ("scored", False)])
def test_only_a_draw_states_its_draw_commitment(client, method, shown):
    # given an open project of each method, and an agency qualified for it
    ((agency, user),) = agencies(1)
    project = published_project(method)

    # when the public and the agency open its page
    public = client.get(reverse("project-public", args=[project.code])).content.decode()
    client.force_login(user)
    mine = client.get(reverse("agency-project", args=[project.code])).content.decode()

    # then the commitment (and its explanation) is there for a draw only
    for html in (public, mine):
        assert (project.draw_commitment in html) is shown
        assert ('id="commitment-title"' in html) is shown


@pytest.mark.django_db
def test_draw_result_links_the_proof_and_the_contract_appears_once_signed(client, settings):
    # given a draw project taken to a signed contract
    settings.ZJCS_TIME_SCALE = 300_000
    buyer = buyer_user()
    pool = agencies(3)
    project = published_project("draw", buyer=buyer)
    signups_submit(project, pool, ["60000"] * 3)
    url = reverse("project-public", args=[project.code])
    assert "draw-proof-link" not in client.get(url).content.decode()
    project = signup_closed(project, wait=True)
    html = client.get(url).content.decode()
    # then the result links the public proof page, and the ranking follows the proof
    assert reverse("draw-proof", kwargs={"code": project.code}) in html
    ranking = [r.uscc for r in client.get(url).context["page"].ranking]
    assert ranking == project.draw_proof["ranking"]
    assert 'id="contract"' not in html

    _winner, winner_user = winner_confirmed(project, pool)
    engagement = contract_uploaded(publicity_ended(project, wait=True), winner_user, "c.pdf")
    assert engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=Decimal("58800")).ok
    engagement.refresh_from_db()

    # when the public opens the page again
    html = client.get(url).content.decode()
    # then the contract amount and the service period are published
    assert 'data-testid="contract-amount">58800.00<' in html
    since = timezone.localtime(engagement.contracted_at).strftime("%Y-%m-%d")
    until = timezone.localtime(engagement.service_end).strftime("%Y-%m-%d")
    assert f"{since} 至 {until}" in html
    assert "服务中" in html


@pytest.mark.django_db
def test_failed_and_cancelled_projects_publish_their_reason(client):
    buyer = buyer_user()
    pool = agencies(2)
    failed = published_project("draw", buyer=buyer)
    signups_submit(failed, pool, ["50000", "50000"])
    signup_closed(failed)
    cancelled = published_project("draw", buyer=buyer)
    assert project_services.project_cancel(project=cancelled, actor=buyer, reason="项目资金计划调整").ok

    html = client.get(reverse("project-public", args=[failed.code])).content.decode()
    assert "流标" in html and "流标原因" in html
    assert client.get(reverse("project-public", args=[failed.code])).context["page"].eligible_count == 2
    html = client.get(reverse("project-public", args=[cancelled.code])).content.decode()
    assert "项目资金计划调整" in html and "终止原因" in html
    # cancelled during sign-up: it never closed, so there is no pool to count
    assert client.get(reverse("project-public", args=[cancelled.code])).context["page"].eligible_count is None


@pytest.mark.django_db
def test_public_pages_never_show_natural_persons(client, settings):
    # given agencies and a buyer with personal data, through to an award
    settings.ZJCS_TIME_SCALE = 300_000
    buyer = buyer_user()
    pool = agencies(3)
    project = published_project("price", buyer=buyer)
    signups_submit(project, pool, ["52000", "61000", "47000"])
    signup_closed(project, wait=True)
    unit = BuyerUnit.objects.get(staff__user=buyer)
    personal = _mark_personal(unit, *(a for a, _u in pool))
    people = [buyer.first_name, buyer.username, *(u.first_name for _a, u in pool), *(u.username for _a, u in pool)]
    # when the public reads every public procurement page
    pages = [
        client.get(reverse("project-search")),
        client.get(reverse("project-search"), {"q": unit.name}),
        client.get(reverse("project-public", args=[project.code])),
        client.get(reverse("statistics")),
    ]
    # then none shows a contact, a phone, a legal representative or a user
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        for value in [*personal.values(), *people]:
            assert value not in html, value


# --- statistics --------------------------------------------------------------------------------------


def _month_start(months_ago: int) -> datetime.datetime:
    local = timezone.localtime()
    year, month = local.year, local.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return timezone.make_aware(datetime.datetime(year, month, 1, 12))


@pytest.fixture
def statistics_data(db, settings):
    """3 warnings this month, grades A×3/B/D, 2 draw + 1 price projects awarded, budgets 260,000 vs 197,000."""
    settings.ZJCS_TIME_SCALE = 300_000
    supervisor = supervisor_user()
    pool = agencies(3, supervisor=supervisor)  # grade A
    warned, dishonest = AgencyFactory(name="警告测试咨询有限公司"), AgencyFactory(name="失信测试咨询有限公司")
    now = timezone.now()
    for _ in range(3):  # 100 - 3 × 5 = 85: grade B
        event_record(subject=subject_for_agency(warned), code="CREDIT_WARNING", source=Source.SUPERVISOR, at=now)
    d_subject = subject_for_agency(dishonest)  # 100 - 40 - 5 = 55: grade D
    event_record(subject=d_subject, code="FALSE_MATERIALS", source=Source.SUPERVISOR, at=now)
    event_record(subject=d_subject, code="QUALITY_COMPLAINT", source=Source.SUPERVISOR, at=now)
    measure_record(subject=d_subject, kind=MeasureKind.EXPEL, starts_at=now, rule_code="CR-ESC-004", basis="")
    measure_record(
        subject=subject_for_agency(warned),
        kind=MeasureKind.SUSPEND,
        starts_at=_month_start(1) + datetime.timedelta(days=9),
        ends_at=_month_start(1) + datetime.timedelta(days=39),
        rule_code="CR-ESC-001",
        basis="",
    )
    old = measure_record(  # outside the 12-month window
        subject=d_subject, kind=MeasureKind.RESTRICT, starts_at=_month_start(13), rule_code="CR-ESC-002", basis=""
    )
    assert old.effective_at < _month_start(11)
    wrong = measure_record(
        subject=d_subject, kind=MeasureKind.RESTRICT, starts_at=now, rule_code="CR-ESC-002", basis=""
    )
    entry_neutralise(entry=wrong, reason=LedgerEntry.Reason.OVERTURNED, note="异议成立")

    buyer, operator = buyer_user(), operator_user()
    draw_a = published_project("draw", buyer=buyer, operator=operator)  # budget 80,000
    draw_b = published_project(
        "draw", buyer=buyer, operator=operator, budget=Decimal("100000"), quote_ceiling=Decimal("100000")
    )
    price = published_project("price", buyer=buyer, operator=operator)  # budget 80,000
    _unpublished(buyer, operator)  # never counted
    signups_submit(draw_a, pool, ["60000"] * 3)
    signups_submit(draw_b, pool, ["90000"] * 3)
    signups_submit(price, pool, ["52000", "61000", "47000"])
    wait_past(max(p.signup_deadline for p in (draw_a, draw_b, price)))
    deadlines_sweep()
    projects = [draw_a, draw_b, price]
    for project in projects:
        winner_confirmed(project, pool)
    for project in projects:
        project.refresh_from_db()
        wait_past(project.publicity_ends_at)
    deadlines_sweep()
    assert (
        sorted(Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("state", flat=True))
        == ["contracting"] * 3
    )
    assert sorted(Engagement.objects.values_list("amount", flat=True)) == [47000, 60000, 90000]
    return {"pool": pool, "projects": projects}


@pytest.mark.django_db
def test_statistics_numbers_match_the_records(client, statistics_data):
    # when the public opens the statistics page
    response = client.get(reverse("statistics"))
    assert response.status_code == 200
    stats = response.context["stats"]
    this_month, last_month = stats.months[-1], stats.months[-2]
    # then measures per month: 3 warnings and 1 expulsion this month, 1 suspension last month; the
    # overturned restriction and the one from 13 months ago do not count
    assert stats.measure_count(this_month, "warning") == 3
    assert stats.measure_count(this_month, "expel") == 1
    assert stats.measure_count(this_month, "restrict") == 0
    assert stats.measure_count(last_month, "suspend") == 1
    assert sum(stats.measures.values()) == 5
    # grade distribution of agencies
    assert stats.grade_counts() == {"A": 3, "B": 1, "C": 0, "D": 1}
    # projects by method and by state (drafts, pending and returned ones never count)
    assert stats.by_method() == {"direct": 0, "draw": 2, "price": 1, "scored": 0}
    assert stats.by_state()["contracting"] == 3 and sum(stats.by_state().values()) == 3
    # award against budget: 197,000 of 260,000; savings 24.23 % overall, 25.42 % on average per project
    total = stats.award_total()
    assert (total.projects, total.budget, total.amount) == (3, Decimal("260000"), Decimal("197000"))
    assert stats.saving_rate == pytest.approx(63000 / 260000)
    assert stats.average_saving_rate == pytest.approx((0.25 + 0.10 + 0.4125) / 3)

    # and the page shows the same numbers in its tables and summary
    html = response.content.decode()
    month = f"{this_month:%Y-%m}"
    measures = {row[0]: row[1:] for row in _table_rows(html, "chart-measures-table")}
    assert measures[month] == ["3", "0", "0", "0", "1", "0", "4"]  # warnings … expel, revoke, total
    assert measures[f"{last_month:%Y-%m}"] == ["0", "0", "0", "1", "0", "0", "1"]
    assert len(measures) == 13  # header + 12 months
    grades = {row[0]: row[1:] for row in _table_rows(html, "chart-grades-table")}
    assert [grades[label] for label in ("A 级（优秀）", "B 级（良好）", "C 级（一般）", "D 级（较差）")] == [
        ["3"],
        ["1"],
        ["0"],
        ["1"],
    ]
    methods = {row[0]: row[1:] for row in _table_rows(html, "chart-methods-table")}
    assert (methods["随机抽取"], methods["竞价选取"], methods["直接选取"]) == (["2"], ["1"], ["0"])
    states = {row[0]: row[1:] for row in _table_rows(html, "chart-states-table")}
    assert states["签约中"] == ["3"] and states["报名中"] == ["0"]
    awards = {row[0]: row[1:] for row in _table_rows(html, "chart-awards-table")}
    assert awards[month] == ["260,000.00", "197,000.00"]
    assert 'data-testid="summary-saving-rate">24.23%' in html
    assert 'data-testid="summary-average-saving-rate">25.42%' in html
    assert 'data-testid="summary-saving">63,000.00<' in html


@pytest.mark.django_db
def test_statistics_charts_are_well_formed_svg_carrying_the_table_numbers(client, statistics_data):
    html = client.get(reverse("statistics")).content.decode()
    # no chart library, no script, no CDN
    assert "<script" not in html.split("<main")[1]
    assert "cdn" not in html.lower()
    svgs = _svgs(html)
    assert set(svgs) == {"chart-measures", "chart-grades", "chart-methods", "chart-states", "chart-awards"}
    for chart_id, root in svgs.items():
        # each is an image named by its title and description
        assert root.attrib["role"] == "img"
        labelled = root.attrib["aria-labelledby"].split()
        assert [root.find(f"{SVG}title").attrib["id"], root.find(f"{SVG}desc").attrib["id"]] == labelled
        # and its bars carry exactly the numbers of its table
        rows = _table_rows(html, f"{chart_id}-table")[1:]
        series_count = len(rows[0]) - (2 if chart_id == "chart-measures" else 1)
        table_values = [row[1 + j] for j in range(series_count) for row in rows]
        bars = sorted(svg_bars(root), key=lambda r: (int(r.attrib["data-series"]), int(r.attrib["data-label"])))
        as_text = [
            money_format(Decimal(r.attrib["data-value"])) if chart_id == "chart-awards" else r.attrib["data-value"]
            for r in bars
        ]
        assert as_text == table_values, chart_id
    grades_desc = svgs["chart-grades"].find(f"{SVG}desc").text
    assert "A 级（优秀）：3" in grades_desc and "D 级（较差）：1" in grades_desc
    assert "24.23%" in svgs["chart-awards"].find(f"{SVG}desc").text


@pytest.mark.django_db
def test_statistics_query_count_does_not_grow_with_the_data(client, settings):
    # given one published project and one agency with a warning
    settings.ZJCS_TIME_SCALE = 300_000
    operator = operator_user()
    pool = agencies(3)
    project = published_project("draw", operator=operator)
    signups_submit(project, pool, ["60000"] * 3)
    signup_closed(project, wait=True)
    event_record(subject=subject_for_agency(pool[0][0]), code="CREDIT_WARNING", source=Source.SUPERVISOR)
    url = reverse("statistics")
    one = query_count(client, url)
    # when 49 more projects and 49 more agencies with records are added
    for _ in range(49):
        published_project("price", operator=operator)
        subject = subject_for_agency(AgencyFactory())
        event_record(subject=subject, code="CREDIT_WARNING", source=Source.SUPERVISOR)
        measure_record(subject=subject, kind=MeasureKind.RESTRICT, rule_code="CR-ESC-002", basis="")
    fifty = query_count(client, url)
    # then the page runs the same few aggregate queries: the last transition, ledger entry and dormancy
    # prompt (what the statistics are a function of), then on a change measures by month, grades, projects
    # by method/state, awards by month and this year's dormancy prompts and exits
    assert fifty == one == 8
    stats = client.get(url).context["stats"]
    assert sum(stats.by_method().values()) == 50
    assert stats.measure_count(stats.months[-1], "warning") == 50
    # and while nothing changes, only the three lookups
    assert query_count(client, url) == 3


@pytest.mark.django_db
def test_statistics_show_a_transition_and_a_ledger_entry_on_the_next_request(client):
    # given the statistics read once (and cached) with one published project
    operator = operator_user()
    published_project("price", operator=operator)
    url = reverse("statistics")
    before = client.get(url).context["stats"]
    assert sum(before.by_method().values()) == 1
    # when another project is published (a transition, which touches no credit record)
    published_project("draw", operator=operator)
    # then the next request counts it
    assert sum(client.get(url).context["stats"].by_method().values()) == 2
    # and when an agency is warned (a ledger entry), the next request counts the warning
    event_record(subject=subject_for_agency(AgencyFactory()), code="CREDIT_WARNING", source=Source.SUPERVISOR)
    after = client.get(url).context["stats"]
    assert after.measure_count(after.months[-1], "warning") == before.measure_count(before.months[-1], "warning") + 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["project-search", "statistics"])
def test_english_cookie_gives_an_english_page(client, name):
    client.cookies["zjcs_language"] = "en"
    html = client.get(reverse(name)).content.decode()
    assert '<html lang="en">' in html
    client.cookies["zjcs_language"] = "zh-hans"
    assert '<html lang="zh-CN">' in client.get(reverse(name)).content.decode()


@pytest.mark.django_db
def test_public_project_page_in_english_has_english_lang(client):
    project = published_project("draw")
    client.cookies["zjcs_language"] = "en"
    response = client.get(reverse("project-public", args=[project.code]))
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_navigation_links_the_public_pages(client):
    html = client.get(reverse("agency-directory")).content.decode()
    assert f'href="{reverse("project-search")}"' in html and f'href="{reverse("statistics")}"' in html


@pytest.mark.django_db
def test_a_scored_result_publishes_its_price_credit_and_proposal_parts(client):
    # given a scored comparison marked by its buyer and awarded
    project, _pool = awarded_project("scored")
    buyer = project.created_by
    for signup, mark in zip(project.signups.order_by("pk"), (80, 95, 70), strict=True):
        selection.proposal_mark(signup=signup, actor=buyer, mark=Decimal(mark))
    assert selection.scored_finish(project=project, actor=buyer).ok
    ranked = list(project.signups.order_by("rank"))
    weights = (project.weight_price, project.weight_credit, project.weight_proposal)

    # when the public opens its page, and reads the result notice
    html = client.get(reverse("project-public", args=[project.code])).content.decode()
    notice = NoticeRequest.objects.get(source_key=f"project:{project.code}:result:0").payload

    # then each row shows the three parts, which add up to the total, and the notice carries them too
    for signup, row in zip(ranked, notice["ranking"], strict=True):
        parts = row["parts"]
        total = sum(Decimal(parts[k]) for k in ("price", "credit", "proposal"))
        assert abs(total - signup.score) <= Decimal("0.002")
        for value in parts.values():
            assert f">{value}<" in html
    best_price = min(ranked, key=lambda s: s.quote)
    assert notice["ranking"][ranked.index(best_price)]["parts"]["price"] == f"{weights[0]}.000"
    assert "价格分" in html and "方案分" in html
    # and the title names the project and its method
    assert notice["title"] == f"{project.name}中选结果公示（比选）"
