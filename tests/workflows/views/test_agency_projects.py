"""The agency's procurement pages: eligible open projects, sign-up with the gate's reasons, withdrawal,
confirming or declining a win, contract and result uploads, payment receipt — all through real services."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry
from credit_rules.rules import REGISTRY
from marketplace.models import Qualification, QualificationType, ServiceCategory
from tests.factories import (
    AgencyFactory,
    agencies,
    agency_user,
    applied_case,
    awarded_project,
    buyer_user,
    contract_signed,
    contract_uploaded,
    contracting_project,
    draft_project,
    list_agency,
    operator_user,
    published_project,
    requirement,
    supervisor_user,
    suspended_member,
)
from tests.helpers import after, page_text, pdf_content, pdf_file, query_count, refetch, wait_past
from tests.query_budgets import BUDGETS
from workflows.models import Engagement, Payment, PaymentCommand, SignUp, TransitionLog
from workflows.selectors.facts import missing_qualifications
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.delivery import payments as payment_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import sealing
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def engagements_for(agency, user, n: int, *, buyer, operator, **overrides) -> list[Engagement]:
    """``n`` direct selections of ``agency`` taken to contracting (an engagement awaiting the contract).

    The chain of ``tests.factories.contracting_project`` for many projects at once: one sweep closes
    them all, one ends their publicity (fifty projects in one test stay affordable)."""
    projects = [
        published_project(
            "direct",
            buyer=buyer,
            operator=operator,
            direct_agency=agency,
            direct_reason="该机构承担过本项目前期估价，熟悉情况。",
            **overrides,
        )
        for _ in range(n)
    ]
    for project in projects:
        assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok
    deadlines_sweep(after(max(p.signup_deadline for p in projects)))
    for project in projects:
        winner = SignUp.objects.get(project=project, agency=agency)
        assert winner.state == "selected", refetch(project).cancel_reason
        assert award_services.winner_confirm(signup=winner, actor=user).ok
    deadlines_sweep(after(max(refetch(p).publicity_ends_at for p in projects)))
    return list(Engagement.objects.filter(project__in=projects).order_by("pk"))


def signup_post(client, project, quote="50000", **files):
    return client.post(reverse("agency-project", args=[project.code]), {"action": "signup", "quote": quote, **files})


@pytest.fixture
def member():
    """An admitted agency holding a valid Q-RE 二级 licence, its clerk logged in elsewhere."""
    ((agency, user),) = agencies(1, level_rank=2)
    return agency, user


# --- agency-projects: eligibility -------------------------------------------------------------------


def test_list_shows_eligible_projects_only_and_the_all_view_says_why(client, member):
    # given an agency with Q-RE 二级 in 房地产估价, and open projects it does and does not qualify for
    agency, user = member
    buyer, operator = buyer_user(), operator_user()
    ok = published_project(buyer=buyer, operator=operator, name="可报名的估价项目")
    too_high = published_project(
        buyer=buyer, operator=operator, name="要求一级资质的项目", requirements=[requirement(rank=1)]
    )
    other = published_project(
        buyer=buyer,
        operator=operator,
        name="可研报告编制项目",
        category=ServiceCategory.objects.get(code="ENG-FS"),
        requirements=[],
    )
    avoided = published_project(
        buyer=buyer,
        operator=operator,
        name="需回避的项目",
        avoid=[project_services.Avoid(agency, "该机构为项目业主下属企业的关联方")],
    )
    someone_else = AgencyFactory()
    direct = published_project(
        buyer=buyer,
        operator=operator,
        method="direct",
        name="直接选取其他机构的项目",
        direct_agency=someone_else,
        direct_reason="该机构承担了前期工作。",
    )
    draft = draft_project(buyer, name="未发布的草稿", requirements=[])
    client.force_login(user)

    # when the clerk opens the list
    response = client.get(reverse("agency-projects"))

    # then only the eligible project is listed
    assert response.status_code == 200
    codes = [p.code for p in response.context["page"].rows]
    assert codes == [ok.code]
    text = page_text(response)
    assert ok.name in text and too_high.name not in text and draft.name not in text
    assert ok.buyer.name in text and "随机抽取" in text and "40000.00 – 80000.00" in text
    assert "另有 4 个报名中的项目贵机构不符合条件" in text

    # when it shows all open projects
    response = client.get(reverse("agency-projects") + "?all=1")

    # then every open project is listed, the ineligible ones with the reason
    rows = {p.code: p for p in response.context["page"].rows}
    assert set(rows) == {ok.code, too_high.code, other.code, avoided.code, direct.code}
    assert rows[ok.code].eligible and rows[ok.code].reasons == []
    assert rows[too_high.code].reasons == ["房地产估价机构资质资质等级不足：持有二级，要求一级及以上"]
    assert rows[other.code].reasons == ["未登记服务事项「可行性研究报告编制」"]
    assert rows[avoided.code].reasons == ["项目业主已申请贵机构回避：该机构为项目业主下属企业的关联方"]
    assert rows[direct.code].reasons == ["直接选取项目，仅限指定机构报名"]
    text = page_text(response)
    assert "不符合条件" in text and "该机构为项目业主下属企业的关联方" in text

    # and the SQL judgement agrees with the sign-up service's own check
    today = timezone.localdate()
    for project in (ok, too_high, other):
        assert rows[project.code].eligible == (not missing_qualifications(project, agency, today))


def test_an_expired_licence_drops_the_project_from_the_list_without_anyone_acting(client, member):
    # given an eligible project, and then the agency's licence expires
    agency, user = member
    project = published_project()
    client.force_login(user)
    assert [p.code for p in client.get(reverse("agency-projects")).context["page"].rows] == [project.code]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Qualification.objects.filter(agency=agency).update(valid_until=yesterday)

    # when the clerk opens the list and the all-view
    listed = client.get(reverse("agency-projects")).context["page"].rows
    everything = client.get(reverse("agency-projects") + "?all=1").context["page"].rows

    # then it is gone from the list and the all-view says the licence expired
    assert listed == []
    assert everything[0].reasons == [f"房地产估价机构资质二级资质证书已于 {yesterday.isoformat()} 过期"]


def test_a_licence_level_too_low_keeps_the_project_off_the_list(client):
    # given an agency holding only Q-RE 三级 and a project asking for 二级
    ((agency, user),) = agencies(1, level_rank=3)
    project = published_project()
    client.force_login(user)

    # when it opens the list and the all-view
    listed = client.get(reverse("agency-projects")).context["page"].rows
    everything = client.get(reverse("agency-projects") + "?all=1").context["page"].rows

    # then the project is only in the all-view, with the level named
    assert listed == []
    assert [p.code for p in everything] == [project.code]
    assert everything[0].reasons == ["房地产估价机构资质资质等级不足：持有三级，要求二级及以上"]


def test_all_mode_requirements_need_every_licence(client, member):
    # given a project that requires Q-RE 二级 AND a land appraisal filing the agency lacks
    agency, user = member
    land = QualificationType.objects.get(code="Q-LAND")
    project = published_project(
        qualification_mode="all",
        requirements=[requirement(), project_services.Requirement(land, land.levels.get())],
    )
    client.force_login(user)

    # when the agency shows all projects
    rows = client.get(reverse("agency-projects") + "?all=1").context["page"].rows

    # then it is ineligible for the missing filing only
    assert [(p.code, p.eligible) for p in rows] == [(project.code, False)]
    assert rows[0].reasons == ["缺少土地估价机构备案不分级及以上资质"]
    assert missing_qualifications(project, agency, timezone.localdate())


def test_project_list_query_count_is_the_same_for_1_and_50_projects(client, member):
    # given one eligible and one ineligible open project
    agency, user = member
    buyer, operator = buyer_user(), operator_user()
    published_project(buyer=buyer, operator=operator)
    published_project(buyer=buyer, operator=operator, requirements=[requirement(rank=1)])
    client.force_login(user)
    url, url_all = reverse("agency-projects"), reverse("agency-projects") + "?all=1"
    one, one_all = query_count(client, url), query_count(client, url_all)

    # when 49 more of each kind are published
    for _ in range(49):
        published_project(buyer=buyer, operator=operator)
        published_project(buyer=buyer, operator=operator, requirements=[requirement(rank=1)])

    # then both views cost the same number of queries, within the page's budget
    assert len(client.get(url).context["page"].rows) == 50
    assert len(client.get(url_all).context["page"].rows) == 50  # a page holds 50
    assert query_count(client, url) == one <= BUDGETS["agency-projects"]
    assert query_count(client, url_all) == one_all <= BUDGETS["agency-projects"]


# --- agency-project: sign-up ----------------------------------------------------------------------


def test_sign_up_with_an_in_band_quote(client, member):
    # given an open draw project the agency qualifies for
    agency, user = member
    project = published_project()
    client.force_login(user)
    detail = client.get(reverse("agency-project", args=[project.code]))
    assert detail.status_code == 200
    assert project.draw_commitment in page_text(detail)

    # when the clerk signs up with an in-band quote
    response = signup_post(client, project, quote="52,000")

    # then the sealed sign-up is made and the page says 已报名, the quote stays sealed
    assert response.status_code == 302
    signup = SignUp.objects.get(project=project, agency=agency)
    assert signup.state == "submitted" and signup.quote is None and "52000" not in signup.sealed_quote
    text = page_text(client.get(response["Location"]))
    assert "已报名" in text and "撤回报名" in text
    # and the agency sees what it submitted, told that no one else can before the deadline
    assert '<span data-testid="own-quote">52000.00 元</span>' in text and "仅贵机构可见" in text
    assert "已报名" in page_text(client.get(reverse("agency-projects")))


def test_an_agency_sees_its_own_sealed_quote_and_nobody_else_does(client):
    # given two agencies signed up for one project before its deadline
    (mine, me), (other, them) = agencies(2)
    project = published_project()
    assert signup_services.signup_submit(project=project, agency=mine, actor=me, quote="51234").ok
    assert signup_services.signup_submit(project=project, agency=other, actor=them, quote="58765").ok
    ours = SignUp.objects.get(project=project, agency=mine)

    # when each clerk, and the buyer, open their pages on the project
    client.force_login(me)
    mine_text = page_text(client.get(reverse("agency-project", args=[project.code])))
    client.force_login(them)
    their_text = page_text(client.get(reverse("agency-project", args=[project.code])))
    client.force_login(project.created_by)
    buyer_text = page_text(client.get(reverse("buyer-project", args=[project.code])))

    # then each agency sees only its own quote, the buyer neither; and the seal refuses another agency
    assert "51234.00" in mine_text and "58765" not in mine_text
    assert "58765.00" in their_text and "51234" not in their_text
    assert "51234" not in buyer_text and "58765" not in buyer_text
    with pytest.raises(sealing.QuoteSealed):
        sealing.quote_open_own(ours, other)


def test_scored_comparison_needs_a_real_pdf_proposal(client, member):
    # given a scored comparison
    agency, user = member
    project = published_project(method="scored")
    client.force_login(user)

    # when the clerk signs up without a proposal, then with a fake PDF
    missing = signup_post(client, project)
    fake = signup_post(client, project, proposal=SimpleUploadedFile("plan.pdf", b"MZ not a pdf"))
    image = signup_post(client, project, proposal=SimpleUploadedFile("plan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20))

    # then nothing is written and each says why
    assert missing.status_code == fake.status_code == image.status_code == 200
    assert "比选项目须上传服务方案（PDF）" in page_text(missing)
    assert "文件内容与扩展名不符" in page_text(fake)
    assert "服务方案须为 PDF 文件" in page_text(image)
    assert not SignUp.objects.filter(project=project).exists()

    # when it uploads a real PDF
    response = signup_post(client, project, proposal=pdf_file("plan.pdf"))

    # then the sign-up keeps the proposal
    assert response.status_code == 302
    assert SignUp.objects.get(project=project).proposal.name.endswith(".pdf")


def test_discount_rate_projects_ask_for_a_percentage(client, member):
    # given a project quoted as a discount rate of 5–20 %
    agency, user = member
    project = published_project(quote_kind="rate", quote_floor=Decimal("5"), quote_ceiling=Decimal("20"))
    client.force_login(user)

    # when the clerk opens it and quotes 25 %, then 12.5 %
    detail = page_text(client.get(reverse("agency-project", args=[project.code])))
    refused = signup_post(client, project, quote="25")
    accepted = signup_post(client, project, quote="12.5")

    # then the form speaks of 下浮率 and only the in-band rate is taken
    assert "下浮率（%）" in detail and "5.00% – 20.00%" in detail
    assert "报价须在 5.00% 至 20.00% 之间（含）" in page_text(refused)
    assert accepted.status_code == 302
    assert SignUp.objects.filter(project=project).count() == 1


def test_out_of_band_and_non_numeric_quotes_are_refused_with_nothing_written(client, member):
    agency, user = member
    project = published_project()
    client.force_login(user)
    for quote, says in (
        ("39999", "报价须在 40000.00元 至 80000.00元 之间（含）"),
        ("8万", "报价须为数字"),
        ("", "请填写报价"),
    ):
        response = signup_post(client, project, quote=quote)
        assert response.status_code == 200
        assert says in page_text(response)
    assert not SignUp.objects.filter(project=project).exists()


def test_a_second_sign_up_is_refused_as_a_duplicate(client, member):
    agency, user = member
    project = published_project()
    client.force_login(user)
    assert signup_post(client, project).status_code == 302

    # when the same form is sent again (a double click, or a second tab)
    response = signup_post(client, project, quote="60000")

    # then the page says so and there is still one sign-up
    assert response.status_code == 200
    assert "贵机构已报名该项目，请勿重复提交" in page_text(response)
    assert SignUp.objects.filter(project=project, agency=agency).count() == 1


def test_after_the_deadline_sign_up_and_withdrawal_are_refused(client, member, settings):
    agency, user = member
    settings.ZJCS_TIME_SCALE = 300_000  # the sign-up week lasts about two seconds
    project = published_project()
    other = published_project()
    client.force_login(user)
    assert signup_post(client, other).status_code == 302
    wait_past(project.signup_deadline)
    wait_past(other.signup_deadline)

    late = signup_post(client, project)
    withdraw = client.post(reverse("agency-project", args=[other.code]), {"action": "withdraw"}, follow=True)

    assert "报名已于" in page_text(late) and "截止" in page_text(late)
    assert not SignUp.objects.filter(project=project).exists()
    assert "没有可撤回的报名" in page_text(withdraw) or "报名已截止，不能撤回" in page_text(withdraw)
    assert SignUp.objects.get(project=other).state == "submitted"
    assert project.code not in [p.code for p in client.get(reverse("agency-projects")).context["page"].rows]


def test_withdraw_before_the_deadline_then_sign_up_again(client, member):
    agency, user = member
    project = published_project()
    client.force_login(user)
    signup_post(client, project)

    response = client.post(reverse("agency-project", args=[project.code]), {"action": "withdraw"}, follow=True)

    assert "报名已撤回" in page_text(response)
    assert SignUp.objects.get(project=project).state == "withdrawn"
    assert "提交报名" in page_text(response)  # the form is back
    assert signup_post(client, project).status_code == 302
    assert SignUp.objects.filter(project=project, state="submitted").count() == 1


# --- refusals by the credit gate --------------------------------------------------------------------


def _suspended(sup):
    agency, user = suspended_member(supervisor=sup)
    return agency, user, {}


def _expelled(sup):
    ((agency, user),) = agencies(1, supervisor=sup)
    applied_case(agency, sup, measure="expel", months=None, facts="经调查属实。", note="维持")
    return agency, user, {}


def _restricted_with_engagement(sup):
    ((agency, user),) = agencies(1, supervisor=sup)
    engagements_for(agency, user, 1, buyer=buyer_user(), operator=operator_user())
    applied_case(agency, sup, measure="restrict", months=3, facts="经调查属实。", note="维持")
    return agency, user, {}


def _listed(sup):
    ((agency, user),) = agencies(1, supervisor=sup)
    list_agency(agency)
    return agency, user, {}


def _unqualified(sup):
    ((agency, user),) = agencies(1, supervisor=sup, level_rank=3)
    return agency, user, {}


def _avoided(sup):
    ((agency, user),) = agencies(1, supervisor=sup)
    return agency, user, {"avoid": [project_services.Avoid(agency, "与项目业主存在股权关联")]}


def _not_member(sup):
    agency = AgencyFactory()
    return agency, agency_user(agency), {}


@pytest.mark.parametrize(
    ("setup", "code", "says", "banner"),
    [
        (_suspended, "CR-SEL-001", "暂停期间不得报名或中选", "「暂停交易」，暂不能报名"),
        (_expelled, "CR-SEL-002", "已被清退并列入黑名单", "已被清退并列入黑名单，不能报名"),
        (_restricted_with_engagement, "CR-SEL-004", "已有 1 个在办项目", "处于限制交易期间"),
        (_listed, "CR-SEL-003", "失信被执行人名单", "「暂停交易」，暂不能报名"),
        (_unqualified, "CR-SEL-007", "房地产估价机构资质二级及以上", None),
        (_avoided, "CR-SEL-008", "与项目业主存在股权关联", None),
        (_not_member, "CR-SEL-006", "未入驻", "尚未入驻平台"),
    ],
    ids=["suspended", "expelled", "restricted", "listed", "unqualified", "avoided", "not-member"],
)
def test_a_gate_refusal_shows_rule_code_message_and_basis_and_writes_nothing(client, setup, code, says, banner):
    # given an agency the sign-up gate refuses, and an open project
    agency, user, project_kwargs = setup(supervisor_user())
    project = published_project(**project_kwargs)
    client.force_login(user)

    # when its clerk signs up with an in-band quote
    response = signup_post(client, project)

    # then the page shows the rule, what it found and its basis; no sign-up is made
    assert response.status_code == 200
    text = page_text(response)
    assert "信用审查未通过" in text
    assert code in text and says in text
    assert str(REGISTRY[code].basis) in text
    assert code in [r.rule_code for r in response.context["refusals"]]
    assert not SignUp.objects.filter(project=project).exists()

    # and the project list warns up front when the agency cannot sign up for anything
    warnings = client.get(reverse("agency-projects")).context["page"].status.warnings
    assert any(banner in w for w in warnings) if banner else warnings == []


@pytest.mark.parametrize(
    ("setup", "code", "measure"),
    [
        (_suspended, "CR-SEL-001", "暂停 · 至 "),
        (_restricted_with_engagement, "CR-SEL-004", "限制 · 至 "),
        (_expelled, "CR-SEL-002", "清退（黑名单） · 至 "),
    ],
    ids=["suspended", "restricted-at-cap", "expelled"],
)
def test_an_agency_the_gate_refuses_sees_why_before_any_form_and_none_is_offered(client, setup, code, measure):
    # given an agency under a measure the sign-up gate refuses, and an open project
    agency, user, project_kwargs = setup(supervisor_user())
    project = published_project(**project_kwargs)
    client.force_login(user)
    decisions = DecisionRecord.objects.count()

    # when its clerk opens the project page, before filling anything in
    response = client.get(reverse("agency-project", args=[project.code]))

    # then no sign-up form is offered; the rule, the measure with its end, the basis and the way to object are
    text = page_text(response)
    assert 'name="quote"' not in text and 'value="signup"' not in text
    assert 'data-testid="signup-refused"' in text
    assert code in text and str(REGISTRY[code].basis) in text
    assert measure in text, re.search(r"measures-in-force.{0,300}", text)
    assert reverse("agency-credit") in text
    # and asking was a read: no decision was recorded
    assert DecisionRecord.objects.count() == decisions


def test_an_admitted_agency_still_gets_the_form(client, member):
    agency, user = member
    project = published_project()
    client.force_login(user)
    text = page_text(client.get(reverse("agency-project", args=[project.code])))
    assert 'name="quote"' in text and 'data-testid="signup-refused"' not in text


# --- after the award --------------------------------------------------------------------------------


@pytest.fixture
def awarded():
    """A draw among three agencies, awarded; returns (project, [(agency, user)] in ranking order)."""
    project, pool = awarded_project(quotes=["50000"] * 3)
    assert project.state == "awarded"
    by_uscc = {a.uscc: (a, u) for a, u in pool}
    return project, [by_uscc[u] for u in project.draw_proof["ranking"]]


def test_after_the_award_each_agency_sees_its_rank_and_the_winner_may_confirm(client, awarded):
    project, ranked = awarded
    (winner, winner_user), (_second, second_user) = ranked[0], ranked[1]

    client.force_login(second_user)
    text = page_text(client.get(reverse("agency-project", args=[project.code])))
    assert "第 2 名" in text and "备选，尚未递补" in text and "确认中选" not in text
    assert "50000.00 元" in text  # its own quote, opened at the deadline

    client.force_login(winner_user)
    text = page_text(client.get(reverse("agency-project", args=[project.code])))
    assert "第 1 名" in text and "确认中选" in text and "放弃中选资格" in text
    assert "信用分 -10 分" in text and "DECLINE_WIN" in text
    response = client.post(reverse("agency-project", args=[project.code]), {"action": "confirm"}, follow=True)
    assert "已确认中选" in page_text(response)
    assert SignUp.objects.get(project=project, agency=winner).state == "confirmed"

    # a second click finds the state moved and says so
    again = client.post(reverse("agency-project", args=[project.code]), {"action": "confirm"}, follow=True)
    assert "不能执行该操作" in page_text(again)


def test_declining_the_win_costs_credit_and_the_alternate_steps_up(client, awarded):
    project, ranked = awarded
    (winner, winner_user), (second, _second_user) = ranked[0], ranked[1]
    client.force_login(winner_user)
    url = reverse("agency-project", args=[project.code])

    # when it declines without a reason, nothing happens
    blank = client.post(url, {"action": "decline", "reason": "  "})
    assert blank.status_code == 200 and "放弃中选资格须说明理由" in page_text(blank)
    assert SignUp.objects.get(project=project, agency=winner).state == "selected"

    # when it declines with a reason
    response = client.post(url, {"action": "decline", "reason": "项目负责人离职，无法按期完成"}, follow=True)

    # then DECLINE_WIN is on its record and the second-ranked agency is selected (no redraw)
    assert "已放弃中选资格" in page_text(response)
    assert SignUp.objects.get(project=project, agency=winner).state == "declined"
    assert LedgerEntry.objects.filter(subject__agency=winner, code="DECLINE_WIN", points=-10).count() == 1
    assert SignUp.objects.get(project=project, state="selected").agency == second
    assert refetch(project).draw_proof["ranking"][1] == second.uscc
    # and the step-up's result notice has a title of its own: the project, the method, the step, rank and day
    titles = [r.payload["title"] for r in NoticeRequest.objects.filter(kind="result").order_by("pk")]
    day = timezone.localdate().isoformat()
    assert titles == [
        f"{project.name}中选结果公示（随机抽取）",
        f"{project.name}中选结果公示（随机抽取）（第 1 次递补：第 2 名，{day}）",
    ]


# --- agency-signups ---------------------------------------------------------------------------------


def test_my_signups_list_states_and_next_actions(client, member):
    agency, user = member
    buyer, operator = buyer_user(), operator_user()
    (engagement,) = engagements_for(agency, user, 1, buyer=buyer, operator=operator, name="直接选取的项目")
    open_project = published_project(buyer=buyer, operator=operator, name="报名中的项目")
    client.force_login(user)
    signup_post(client, open_project)

    text = page_text(client.get(reverse("agency-signups")))

    assert "报名中的项目" in text and "等待报名截止，可在截止前撤回" in text
    assert "直接选取的项目" in text and "请在签约截止前上传合同" in text
    assert reverse("agency-engagement", args=[engagement.pk]) in text


def test_my_signups_query_count_is_the_same_for_1_and_50(client, member):
    agency, user = member
    buyer, operator = buyer_user(), operator_user()
    engagements_for(agency, user, 1, buyer=buyer, operator=operator)
    client.force_login(user)
    one = query_count(client, reverse("agency-signups"))

    engagements_for(agency, user, 49, buyer=buyer, operator=operator)

    page = client.get(reverse("agency-signups")).context["page"]
    assert (len(page.signups), len(page.engagements)) == (50, 50)
    assert query_count(client, reverse("agency-signups")) == one


# --- agency-engagement ------------------------------------------------------------------------------


@pytest.fixture
def engagement_setup(member):
    agency, user = member
    buyer = buyer_user()
    (engagement,) = engagements_for(agency, user, 1, buyer=buyer, operator=operator_user())
    return engagement, user, buyer


def test_contract_upload_refuses_bad_files_and_takes_a_real_pdf(client, engagement_setup, settings):
    engagement, user, _buyer = engagement_setup
    client.force_login(user)
    url = reverse("agency-engagement", args=[engagement.pk])

    fake = client.post(url, {"action": "contract", "file": SimpleUploadedFile("contract.pdf", b"hello")})
    exe = client.post(url, {"action": "contract", "file": SimpleUploadedFile("contract.exe", b"MZ\x90\x00")})
    settings.MAX_UPLOAD_BYTES = 20
    big = client.post(url, {"action": "contract", "file": pdf_file("contract.pdf")})
    settings.MAX_UPLOAD_BYTES = 5 * 1024 * 1024

    assert fake.status_code == exe.status_code == big.status_code == 200
    assert "文件内容与扩展名不符" in page_text(fake)
    assert "只接受 PDF、PNG 或 JPG 文件" in page_text(exe)
    assert "文件过大" in page_text(big)
    assert not refetch(engagement).contract_file

    good = client.post(url, {"action": "contract", "file": pdf_file("contract.pdf")}, follow=True)
    assert "合同已上传" in page_text(good)
    assert refetch(engagement).contract_file.name.endswith(".pdf")


def test_contract_upload_after_the_contract_deadline_is_refused(client, member, settings):
    agency, user = member
    settings.ZJCS_TIME_SCALE = 1_000_000  # ten days to sign pass in about a second
    _project, engagement, winner, _user = contracting_project(
        "direct",
        pool=[member],
        quotes=["50000"],
        wait=True,
        direct_agency=agency,
        direct_reason="前期工作由该机构承担。",
    )
    assert engagement.signup_id == winner.pk and winner.agency == agency  # its sign-up won
    assert winner.state == SignUp.State.CONFIRMED  # and it confirmed the win
    wait_past(engagement.contract_due)
    client.force_login(user)

    response = client.post(
        reverse("agency-engagement", args=[engagement.pk]),
        {"action": "contract", "file": pdf_file("contract.pdf")},
        follow=True,
    )

    assert "签约期限已于" in page_text(response)
    assert not refetch(engagement).contract_file


def test_result_submission_rework_and_resubmission(client, engagement_setup):
    engagement, user, buyer = engagement_setup
    engagement = contract_signed(contract_uploaded(engagement, user), buyer, Decimal("50000"))
    client.force_login(user)
    url = reverse("agency-engagement", args=[engagement.pk])
    text = page_text(client.get(url))
    assert "服务中" in text and "服务截止" in text and "提交成果" in text

    bad = client.post(url, {"action": "result", "file": SimpleUploadedFile("report.pdf", b"not a pdf")})
    assert "文件内容与扩展名不符" in page_text(bad) and refetch(engagement).state == "in_service"

    done = client.post(url, {"action": "result", "file": pdf_file("report.pdf")}, follow=True)
    assert "服务成果已提交" in page_text(done) and "DELIVERY_LATE" not in page_text(done)
    assert refetch(engagement).state == "result_submitted"

    # the buyer returns it; the agency sees the note and resubmits
    assert engagement_services.result_review(
        engagement=engagement, actor=buyer, accept=False, note="估价报告缺少测算依据"
    ).ok
    text = page_text(client.get(url))
    assert "退回整改" in text and "估价报告缺少测算依据" in text
    again = client.post(url, {"action": "result", "file": pdf_file("report-v2.pdf")}, follow=True)
    assert "服务成果已提交" in page_text(again)
    assert refetch(engagement).state == "result_submitted"


def test_a_late_result_says_a_delivery_late_event_was_recorded(client, member, settings):
    agency, user = member
    buyer = buyer_user()
    (engagement,) = engagements_for(agency, user, 1, buyer=buyer, operator=operator_user(), service_days=1)
    settings.ZJCS_TIME_SCALE = 1_000_000  # the one-day service period passes in a tenth of a second
    engagement = contract_signed(contract_uploaded(engagement, user), buyer, Decimal("50000"))
    wait_past(engagement.service_end)
    client.force_login(user)
    url = reverse("agency-engagement", args=[engagement.pk])
    assert "现在提交将记录逾期交付" in page_text(client.get(url))

    response = client.post(url, {"action": "result", "file": pdf_file("report.pdf")}, follow=True)

    assert "平台已记录逾期交付（DELIVERY_LATE）信用事件" in page_text(response)
    assert LedgerEntry.objects.filter(subject__agency=agency, code="DELIVERY_LATE").count() == 1


def test_payment_receipt_is_confirmed_once_however_often_the_form_is_sent(client, engagement_setup):
    engagement, user, buyer = engagement_setup
    engagement = contract_signed(contract_uploaded(engagement, user), buyer, Decimal("50000"))
    assert engagement_services.result_submit(engagement=engagement, actor=user, file=pdf_content("r.pdf")).ok
    assert engagement_services.result_review(engagement=engagement, actor=buyer, accept=True).ok
    engagement_services.rating_submit(
        engagement=engagement,
        actor=buyer,
        marks={"quality": 5, "timeliness": 4, "attitude": 5, "fees": 4, "conformity": 5},
        comment="成果扎实",
    )
    payment = Payment.objects.get(engagement=engagement)
    payment_services.payment_record(
        payment=payment, actor=buyer, reference="BOC-2026-0001", provider="bank_transfer", key="rec-1"
    )
    client.force_login(user)
    url = reverse("agency-engagement", args=[engagement.pk])

    # the page shows the rating, the amount, the due date and the transfer, with the confirm form
    page = client.get(url)
    text = page_text(page)
    assert "成果扎实" in text and "4.6" in text and "50000.00" in text and "BOC-2026-0001" in text
    key = page.context["payment_form"]["key"].value()
    assert key and f'value="{key}"' in page.content.decode()

    # when the form is sent twice with its key (a double click)
    first = client.post(url, {"action": "payment", "key": key}, follow=True)
    second = client.post(url, {"action": "payment", "key": key}, follow=True)

    # then the payment is confirmed exactly once
    assert "已确认收款" in page_text(first) and "已确认收款" in page_text(second)
    assert refetch(payment).state == "paid"
    assert PaymentCommand.objects.filter(payment=payment, command="confirm").count() == 1
    settles = TransitionLog.objects.filter(object_id=payment.pk, transition="settle", outcome="done")
    assert settles.count() == 1
    assert refetch(engagement.project).state == "closed"

    # a fresh form sent after that is refused by state, without an error page
    late = client.post(url, {"action": "payment", "key": "confirm-other"}, follow=True)
    assert late.status_code == 200 and "已支付" in page_text(late)


# --- permissions ------------------------------------------------------------------------------------


def test_pages_need_an_agency_account_and_keep_to_its_own_rows(client, engagement_setup):
    engagement, user, buyer = engagement_setup
    draft = draft_project(buyer, name="草稿", requirements=[])
    ((other_agency, other_user),) = agencies(1)

    # anonymous: to the login page
    response = client.get(reverse("agency-projects"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    # a buyer or an operator: forbidden
    client.force_login(buyer)
    assert client.get(reverse("agency-projects")).status_code == 403
    client.force_login(operator_user())
    assert client.get(reverse("agency-signups")).status_code == 403

    # another agency: someone else's engagement and an unpublished project are not found
    client.force_login(other_user)
    assert client.get(reverse("agency-engagement", args=[engagement.pk])).status_code == 404
    response = client.post(
        reverse("agency-engagement", args=[engagement.pk]),
        {"action": "contract", "file": pdf_file("c.pdf")},
    )
    assert response.status_code == 404 and not refetch(engagement).contract_file
    assert client.get(reverse("agency-project", args=[draft.code])).status_code == 404
    assert client.get(reverse("agency-project", args=["ZJCS-1999-999999"])).status_code == 404
    # the published project is public, but there is nothing of the other agency's to act on
    response = client.post(
        reverse("agency-project", args=[engagement.project.code]), {"action": "confirm"}, follow=True
    )
    assert "没有中选记录" in page_text(response)

    # an unknown action on one's own engagement is a message, not an error page
    client.force_login(user)
    response = client.post(reverse("agency-engagement", args=[engagement.pk]), {"action": "x"}, follow=True)
    assert response.status_code == 200 and "无法识别的操作" in page_text(response)
