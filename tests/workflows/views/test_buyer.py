"""The buyer's pages: the project form, the list, and every step on the project page, through HTTP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry
from marketplace.models import QualificationLevel, QualificationType, ServiceCategory
from tests.factories import (
    QUOTES,
    accepted_engagement,
    agencies,
    agency_user,
    awarded_project,
    buyer_user,
    contracted_engagement,
    contracting_project,
    delivered_engagement,
    draft_project,
    published_project,
    signups_submit,
    supervisor_user,
    suspend_by_warnings,
    winner_of,
)
from tests.helpers import after, logged_in, messages_of, page_html, page_queries, pdf_content, wait_past
from workflows.models import (
    AvoidEntry,
    Engagement,
    Payment,
    PaymentCommand,
    Project,
    ProjectQualification,
    ProposalMark,
    SignUp,
)
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services

pytestmark = pytest.mark.django_db


def level(code: str, rank: int) -> QualificationLevel:
    return QualificationLevel.objects.get(qualification_type__code=code, rank=rank)


def form_data(method: str = "draw", **overrides) -> dict:
    """A complete, valid create form as a browser would post it (one requirement row, no avoid rows)."""
    qtype = QualificationType.objects.get(code="Q-RE")
    data = {
        "name": "惠城区某安置房项目房地产估价服务",
        "category": str(ServiceCategory.objects.get(code="VAL-RE").pk),
        "content": "对安置房项目 120 套房屋进行市场价值评估，出具估价报告。",
        "scale": "120 套",
        "budget": "80000",
        "qualification_mode": "any",
        "quote_kind": "amount",
        "quote_floor": "40000",
        "quote_ceiling": "80000",
        "method": method,
        "direct_agency": "",
        "direct_reason": "",
        "weight_price": "",
        "weight_credit": "",
        "weight_proposal": "",
        "draw_beacon": "",
        "signup_days": "5",
        "publicity_days": "3",
        "contract_days": "10",
        "service_days": "30",
        "rating_days": "15",
        "payment_days": "30",
        "req-TOTAL_FORMS": "3",
        "req-INITIAL_FORMS": "0",
        "req-MIN_NUM_FORMS": "0",
        "req-MAX_NUM_FORMS": "10",
        "req-0-qualification_type": str(qtype.pk),
        "req-0-min_level": str(level("Q-RE", 2).pk),
        "req-1-qualification_type": "",
        "req-1-min_level": "",
        "req-2-qualification_type": "",
        "req-2-min_level": "",
        "avoid-TOTAL_FORMS": "2",
        "avoid-INITIAL_FORMS": "0",
        "avoid-MIN_NUM_FORMS": "0",
        "avoid-MAX_NUM_FORMS": "20",
        "avoid-0-uscc": "",
        "avoid-0-reason": "",
        "avoid-1-uscc": "",
        "avoid-1-reason": "",
    }
    if method == "scored":
        data.update(weight_price="40", weight_credit="30", weight_proposal="30")
    data.update(overrides)
    return data


def fresh_token(client: Client) -> str:
    response = client.get(reverse("buyer-project-new"))
    assert response.status_code == 200
    return response.context["form"]["token"].value()


def post_new(client: Client, data: dict, token: str | None = None):
    return client.post(reverse("buyer-project-new"), {**data, "token": token or fresh_token(client)})


def nothing_written() -> bool:
    return not (Project.objects.exists() or ProjectQualification.objects.exists() or AvoidEntry.objects.exists())


# --- create and edit -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["draw", "price", "scored", "direct"])
def test_buyer_creates_a_project_with_each_method(method):
    # given a buyer (and, for a direct choice, an admitted agency to name by its USCC)
    buyer = buyer_user()
    client = logged_in(buyer)
    extra = {}
    if method == "direct":
        ((agency, _user),) = agencies(1)
        extra = {"direct_agency": agency.uscc, "direct_reason": "该机构承担过本项目前期估价，熟悉情况。"}
    if method == "draw":
        other = agencies(1)[0][0]
        extra = {"draw_beacon": "2026001期 03 11 19 24 30", "avoid-0-uscc": other.uscc, "avoid-0-reason": "关联单位"}

    # when the buyer posts the form
    response = post_new(client, form_data(method, **extra))

    # then a draft is created with what was entered, and the buyer lands on its page
    project = Project.objects.get()
    assert response.status_code == 302 and response.url == reverse("buyer-project", args=[project.code])
    assert project.state == "draft" and project.method == method and project.buyer.staff.filter(user=buyer).exists()
    assert (
        project.quote_floor == Decimal("40000") and project.min_signups == project_services.DEFAULT_MIN_SIGNUPS[method]
    )
    req = project.requirements.get()
    assert req.qualification_type.code == "Q-RE" and req.min_level.rank == 2
    if method == "direct":
        assert project.direct_agency == agency and project.direct_reason
    if method == "scored":
        assert (project.weight_price, project.weight_credit, project.weight_proposal) == (40, 30, 30)
    if method == "draw":
        assert project.draw_beacon.startswith("2026001") and project.avoid_list.get().agency == other
    page = logged_in(buyer).get(response.url)
    assert "草稿" in page_html(page) and project.code in page_html(page)


def test_create_form_offers_the_categorys_types_first_and_prefills_periods():
    buyer = buyer_user()
    response = logged_in(buyer).get(reverse("buyer-project-new"))
    form = response.context["form"]
    assert form["signup_days"].value() == 5 and form["payment_days"].value() == 30
    assert "房地产估价" in page_html(response) and 'data-type="' in page_html(response)
    # a re-rendered form for 房地产估价 puts 房地产估价机构资质 in the first group
    bad = form_data(name="")
    response = post_new(logged_in(buyer), bad)
    html = page_html(response)
    first_group = re.search(r'<optgroup label="适用于所选服务事项">(.*?)</optgroup>', html, re.S).group(1)
    assert "房地产估价机构资质" in first_group and "工程设计资质" not in first_group


def direct_agency_uscc() -> str:
    return agencies(1)[0][0].uscc


INVALID = [
    ("band", {"quote_floor": "70000", "quote_ceiling": "50000"}, "报价上限不能低于下限"),
    ("ceiling_over_budget", {"quote_ceiling": "90000"}, "报价上限不能高于预算金额"),
    (
        "direct_over_limit",
        {"method": "direct", "budget": "400000", "quote_ceiling": "400000", "direct_reason": "前期承担", "uscc": True},
        "不得直接选取",
    ),
    ("direct_without_reason", {"method": "direct", "uscc": True}, "直接选取须书面说明理由"),
    (
        "weights",
        {"method": "scored", "weight_price": "40", "weight_credit": "30", "weight_proposal": "20"},
        "之和须为 100",
    ),
    ("level_type_mismatch", {"mismatch": True}, "所选等级不属于该资质类型"),
    ("avoid_without_reason", {"avoid": True}, "回避的机构须填写理由"),
]


@pytest.mark.parametrize(("case", "changes", "says"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_project_input_is_refused_with_a_message_and_writes_nothing(case, changes, says):
    # given a buyer and a form with one mistake
    buyer = buyer_user()
    changes = dict(changes)
    if changes.pop("uscc", False):
        changes["direct_agency"] = direct_agency_uscc()
    if changes.pop("mismatch", False):
        changes["req-0-min_level"] = str(level("Q-COST", 1).pk)
    if changes.pop("avoid", False):
        changes["avoid-0-uscc"] = direct_agency_uscc()
    data = form_data(**changes)

    # when it is posted
    response = post_new(logged_in(buyer), data)

    # then the form comes back with the message in Chinese, and nothing was written
    assert response.status_code == 200
    assert says in page_html(response)
    assert nothing_written()


def test_direct_choice_of_an_unknown_agency_names_the_problem():
    buyer = buyer_user()
    response = post_new(
        logged_in(buyer), form_data("direct", direct_agency="不存在的评估公司", direct_reason="熟悉情况")
    )
    assert response.status_code == 200 and "未找到已入驻的机构" in page_html(response)
    assert nothing_written()


def test_double_submit_of_the_create_form_creates_one_project():
    # given a buyer with a fresh create form
    buyer = buyer_user()
    client = logged_in(buyer)
    token = fresh_token(client)

    # when the same form is posted twice
    first = post_new(client, form_data(), token)
    second = post_new(client, form_data(), token)

    # then one project exists and the second post leads to it
    project = Project.objects.get()
    assert first.url == second.url == reverse("buyer-project", args=[project.code])
    assert "请勿重复提交" in " ".join(messages_of(client.get(second.url)))


def test_a_form_without_an_issued_token_is_refused():
    client = logged_in(buyer_user())
    response = client.post(reverse("buyer-project-new"), {**form_data(), "token": "forged"}, follow=True)
    assert "表单已失效" in page_html(response)
    assert nothing_written()


def test_buyer_edits_a_draft_and_editing_is_refused_after_submission():
    # given a draft
    buyer = buyer_user()
    client = logged_in(buyer)
    project = draft_project(buyer)

    # when it is edited, the change is saved
    edit_url = reverse("buyer-project-edit", args=[project.code])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, form_data(name="改名后的估价项目", **{"req-INITIAL_FORMS": "0"}))
    assert response.status_code == 302
    project = Project.objects.get(pk=project.pk)
    assert project.name == "改名后的估价项目"

    # and once submitted, the edit page and an edit post are refused with a message, changing nothing
    assert project_services.project_submit(project=project, actor=buyer).ok
    response = client.get(edit_url, follow=True)
    assert "不能再修改" in page_html(response)
    response = client.post(edit_url, form_data(name="再改一次"), follow=True)
    assert "不能再修改" in page_html(response)
    assert Project.objects.get(pk=project.pk).name == "改名后的估价项目"


def test_buyer_submits_a_draft_for_review():
    buyer = buyer_user()
    project = draft_project(buyer)
    response = logged_in(buyer).post(reverse("buyer-project-submit", args=[project.code]), follow=True)
    assert Project.objects.get(pk=project.pk).state == "pending_review"
    assert "待审核" in page_html(response)


# --- access ----------------------------------------------------------------------------------------


def test_another_units_buyer_gets_404_on_every_project_page():
    # given a project of one unit and a buyer of another
    project = draft_project(buyer_user())
    stranger = logged_in(buyer_user())

    # then every page and action of the project is a 404 for the stranger, and nothing changes
    for name in ("buyer-project", "buyer-project-edit", "buyer-project-cancel"):
        assert stranger.get(reverse(name, args=[project.code])).status_code == 404
    for name in ("buyer-project-submit", "buyer-project-relaunch", "buyer-contract-sign", "buyer-payment"):
        assert stranger.post(reverse(name, args=[project.code])).status_code == 404
    assert Project.objects.get(pk=project.pk).state == "draft"
    assert project.code not in page_html(stranger.get(reverse("buyer-projects")))


def test_pages_need_the_buyer_role():
    agency_client = logged_in(agency_user())
    assert agency_client.get(reverse("buyer-projects")).status_code == 403
    anonymous = Client().get(reverse("buyer-projects"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url


# --- the list ----------------------------------------------------------------------------------------


def test_project_list_has_a_fixed_query_budget():
    # given a unit with one project that has sign-ups
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    signups_submit(project, agencies(2), ["50000"] * 2)
    one = page_queries(client, reverse("buyer-projects"))
    html = page_html(one.response)
    assert project.code in html

    # when the unit has 50 projects
    for _ in range(49):
        draft_project(buyer)
    fifty = page_queries(client, reverse("buyer-projects"))
    html = page_html(fifty.response)

    # then the page runs the same number of queries
    assert one.count == fifty.count
    assert html.count("/buyer/projects/ZJCS-") == 50


def test_project_list_counts_sign_ups_filters_by_state_and_never_shows_quotes():
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    signups_submit(project, agencies(2), ["52345.67"] * 2)
    other = draft_project(buyer, name="另一项目草稿")
    response = client.get(reverse("buyer-projects"))
    row = next(r for r in response.context["rows"] if r[0].code == project.code)
    assert row[0].signup_count == 0 and "截止后系统自动开标" in row[1]  # how many signed up is sealed too
    assert "52345" not in page_html(response)
    filtered = page_html(client.get(reverse("buyer-projects"), {"state": "open"}))
    assert project.code in filtered and other.code not in filtered


# --- sign-ups and sealed quotes -------------------------------------------------------------------------


def test_quotes_are_sealed_in_the_page_before_the_deadline_and_shown_after():
    # given a published project with three sealed quotes
    buyer = buyer_user()
    client = logged_in(buyer)
    pool = agencies(3)
    project = published_project("draw", buyer=buyer)
    signups_submit(project, pool, QUOTES)
    url = reverse("buyer-project", args=[project.code])

    # when the buyer opens the page before the deadline
    html = page_html(client.get(url))

    # then neither who signed up nor how many is shown, and no quote value appears in any form
    assert "报名机构名单、数量和报价均密封至报名截止时间" in html
    for agency, _user in pool:
        assert agency.name not in html and agency.uscc not in html
    for quote in QUOTES:
        whole = str(int(quote))
        for shape in (str(quote), whole, f"{int(quote):,}", whole[:2] + "," + whole[2:]):
            assert shape not in html

    # and after the deadline (the sweep opens the quotes) the bidders and their quotes are shown
    deadlines_sweep(after(project.signup_deadline))
    html = page_html(client.get(url))
    for quote in QUOTES:
        assert str(quote) in html
    for agency, _user in pool:
        assert agency.name in html and agency.uscc in html
    assert "排名" in html and reverse("draw-proof", kwargs={"code": project.code}) in html


# --- scored comparison -------------------------------------------------------------------------------------


def test_buyer_marks_proposals_and_finishes_the_scored_comparison():
    # given a scored comparison whose sign-up has closed
    buyer = buyer_user()
    client = logged_in(buyer)
    project, _pool = awarded_project("scored", buyer=buyer)
    assert project.state == "selecting"
    admitted = list(project.signups.order_by("pk"))
    marks_url = reverse("buyer-project-marks", args=[project.code])

    # a mark out of range is refused and nothing is recorded
    bad = {f"mark_{s.pk}": "80" for s in admitted} | {f"mark_{admitted[0].pk}": "101"}
    response = client.post(marks_url, bad)
    assert response.status_code == 200 and "0 到 100 之间" in page_html(response)
    assert not ProposalMark.objects.exists()

    # finishing before every proposal is marked is refused
    response = client.post(reverse("buyer-project-scoring-finish", args=[project.code]), follow=True)
    assert "尚有报名方案未评分" in page_html(response)

    # when the buyer records the marks and finishes
    response = client.post(marks_url, {f"mark_{s.pk}": str(m) for s, m in zip(admitted, (80, 95, 70), strict=True)})
    assert response.status_code == 302 and ProposalMark.objects.count() == 3
    response = client.post(reverse("buyer-project-scoring-finish", args=[project.code]), follow=True)

    # then the project is awarded with a scored ranking shown on the page
    project = Project.objects.get(pk=project.pk)
    assert project.state == "awarded"
    html = page_html(response)
    assert "综合得分" in html and "结果公示中" in html
    ranked = list(project.signups.order_by("rank"))
    assert [s.rank for s in ranked] == [1, 2, 3] and all(s.score is not None for s in ranked)


# --- award, publicity, confirmation ---------------------------------------------------------------------------


def test_confirm_winner_only_after_publicity_and_after_the_winner_confirmed(settings):
    # given an awarded draw (time runs 300 000 times faster, so the publicity days pass in seconds)
    buyer = buyer_user()
    client = logged_in(buyer)
    pool = agencies(3)
    settings.ZJCS_TIME_SCALE = 300_000
    project, pool = awarded_project(buyer=buyer, pool=pool, wait=True)
    assert project.state == "awarded"
    confirm_url = reverse("buyer-project-confirm-winner", args=[project.code])

    # before the publicity end: refused, with the end shown
    response = client.post(confirm_url, follow=True)
    assert "期满后方可确认中选" in page_html(response), messages_of(response)
    assert "尚未确认中选" in page_html(response)

    # after the publicity end but without the winner's confirmation: refused
    wait_past(project.publicity_ends_at)
    response = client.post(confirm_url, follow=True)
    assert "中选机构尚未确认中选" in page_html(response)
    assert Project.objects.get(pk=project.pk).state == "awarded"

    # when the winner confirms, the buyer's confirmation starts contracting
    winner, winner_user = winner_of(project, pool)
    assert award_services.winner_confirm(signup=winner, actor=winner_user).ok
    assert "已确认中选" in page_html(client.get(reverse("buyer-project", args=[project.code])))
    # the buyer first sees whom it confirms: full name, USCC and quote; nothing is done yet
    response = client.post(confirm_url)
    html = page_html(response)
    assert "请核对后提交" in html and winner.agency.name in html and winner.agency.uscc in html
    assert Project.objects.get(pk=project.pk).state == "awarded"
    confirmation = response.context["confirmation"]
    # a stale confirmation is refused and does nothing
    settings.ZJCS_CONFIRM_MAX_AGE = -1
    response = client.post(confirm_url, {"step": "confirm", "confirmation": confirmation}, follow=True)
    assert "确认页已过期" in page_html(response) and Project.objects.get(pk=project.pk).state == "awarded"
    settings.ZJCS_CONFIRM_MAX_AGE = 1800
    # a tampered one too
    client.post(confirm_url, {"step": "confirm", "confirmation": confirmation + "x"})
    assert Project.objects.get(pk=project.pk).state == "awarded"
    response = client.post(confirm_url, {"step": "confirm", "confirmation": confirmation}, follow=True)
    assert Project.objects.get(pk=project.pk).state == "contracting"
    assert "签约中" in page_html(response) and Engagement.objects.filter(project=project).exists()


# --- contract --------------------------------------------------------------------------------------------------


def test_buyer_confirms_the_contract_and_the_service_starts():
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, winner, _user = contracting_project(buyer=buyer, contract=True)
    page = page_html(client.get(reverse("buyer-project", args=[project.code])))
    assert reverse("buyer-engagement-file", args=[project.code, engagement.pk, "contract"]) in page
    assert (
        client.get(reverse("buyer-engagement-file", args=[project.code, engagement.pk, "contract"])).status_code == 200
    )

    # an amount above the budget is refused with the service's message
    response = client.post(reverse("buyer-contract-sign", args=[project.code]), {"amount": "90000"})
    assert response.status_code == 200 and "不能超过项目预算" in page_html(response)

    response = client.post(reverse("buyer-contract-sign", args=[project.code]), {"amount": str(winner.quote)})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).state == "in_service"
    assert Engagement.objects.get(pk=engagement.pk).amount == winner.quote
    assert NoticeRequest.objects.filter(kind="contract").exists()


def test_contract_refused_by_credit_shows_the_reasons_and_the_alternate_steps_up(settings):
    # given a winner that is suspended after selection (real order of events, with time acceleration)
    sup = supervisor_user()
    buyer = buyer_user()
    client = logged_in(buyer)
    pool = agencies(3, supervisor=sup)
    settings.ZJCS_TIME_SCALE = 300_000
    project, _engagement, winner, _winner_user = contracting_project(buyer=buyer, pool=pool, wait=True, contract=True)
    suspend_by_warnings(winner.agency, sup, facts=("一", "二"))

    # when the buyer confirms the contract
    response = client.post(reverse("buyer-contract-sign", args=[project.code]), {"amount": str(winner.quote)})

    # then the page shows CR-CON-001 with its basis, the win is revoked and the second-ranked steps up
    html = page_html(response)
    assert response.status_code == 200 and "CR-CON-001" in html and "依据" in html
    second = project.signups.get(state="selected")
    assert second.rank == 2 and second.agency.name in html and "递补" in html
    assert SignUp.objects.get(pk=winner.pk).state == "revoked"
    assert Project.objects.get(pk=project.pk).state == "awarded"


# --- delivery, acceptance, rating, payment -------------------------------------------------------------------------


def test_buyer_extends_the_service_once():
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, winner, _user = contracted_engagement(buyer=buyer)
    assert engagement.state == Engagement.State.IN_SERVICE and engagement.amount == winner.quote
    url = reverse("buyer-service-extend", args=[project.code])
    before = Engagement.objects.get(pk=engagement.pk).service_end
    assert client.post(url, {"days": "10", "reason": "补充现场勘查"}).status_code == 302
    extended = Engagement.objects.get(pk=engagement.pk)
    assert extended.extended and extended.service_end > before
    response = client.post(url, {"days": "5", "reason": "再延一次"}, follow=True)
    assert "只能延长一次" in page_html(response)
    assert Engagement.objects.get(pk=engagement.pk).service_end == extended.service_end


def test_buyer_returns_the_result_for_rework_then_accepts_it():
    # given a delivered result
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, _winner, winner_user = delivered_engagement(buyer=buyer)
    url = reverse("buyer-result-review", args=[project.code])
    assert reverse("buyer-engagement-file", args=[project.code, engagement.pk, "result"]) in page_html(
        client.get(reverse("buyer-project", args=[project.code]))
    )

    # returning without a note is refused
    response = client.post(url, {"decision": "return", "note": ""})
    assert response.status_code == 200 and "须写明整改意见" in page_html(response)
    assert Engagement.objects.get(pk=engagement.pk).state == "result_submitted"

    # returning with a note sends it back
    client.post(url, {"decision": "return", "note": "估价报告缺少 3 套房屋的现场照片。"})
    assert Engagement.objects.get(pk=engagement.pk).state == "returned_for_rework"
    assert Project.objects.get(pk=project.pk).state == "in_service"

    # the agency delivers again, and the buyer accepts: the payment falls due
    assert engagement_services.result_submit(engagement=engagement, actor=winner_user, file=pdf_content("r2.pdf")).ok
    client.post(url, {"decision": "accept", "note": ""})
    assert Engagement.objects.get(pk=engagement.pk).state == "accepted"
    assert Project.objects.get(pk=project.pk).state == "accepted"
    html = page_html(client.get(reverse("buyer-project", args=[project.code])))
    assert "付款期限" in html and "登记付款" in html and "提交评价" in html


@pytest.mark.parametrize(("mark", "code"), [(5, "RATING_EXCELLENT"), (1, "RATING_POOR")])
def test_rating_writes_the_credit_event_of_its_average(mark, code):
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, winner, _user = accepted_engagement(buyer=buyer)
    marks = dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conformity"), str(mark))
    response = client.post(reverse("buyer-rating", args=[project.code]), {**marks, "comment": "评价意见"})
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code=code).count() == 1
    assert Engagement.objects.get(pk=engagement.pk).state == "rated"
    # a second rating is refused with a message and writes nothing more
    response = client.post(reverse("buyer-rating", args=[project.code]), marks, follow=True)
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code=code).count() == 1
    assert "服务质量" in page_html(response)


def test_rating_marks_out_of_range_are_refused():
    buyer = buyer_user()
    project, engagement, _winner, _user = accepted_engagement(buyer=buyer)
    marks = dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conformity"), "6")
    response = logged_in(buyer).post(reverse("buyer-rating", args=[project.code]), marks)
    assert response.status_code == 200 and Engagement.objects.get(pk=engagement.pk).state == "accepted"


def test_payment_double_submit_records_once():
    # given an accepted service with its payment due
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, _winner, _user = accepted_engagement(buyer=buyer)
    page = client.get(reverse("buyer-project", args=[project.code]))
    key = page.context["payment_form"]["key"].value()
    assert key and f'value="{key}"' in page_html(page)

    # a bank transfer without its reference is refused
    url = reverse("buyer-payment", args=[project.code])
    response = client.post(url, {"provider": "bank_transfer", "reference": "", "key": key})
    assert response.status_code == 200 and "流水号" in page_html(response)
    assert not PaymentCommand.objects.exists()

    # when the same form is sent twice
    form = {"provider": "bank_transfer", "reference": "HX2026052000123", "key": key}
    first = client.post(url, form)
    second = client.post(url, form, follow=True)

    # then the transfer is recorded once
    payment = Payment.objects.get(engagement=engagement)
    assert first.status_code == 302 and second.status_code == 200
    assert payment.state == "recorded" and payment.reference == "HX2026052000123"
    assert PaymentCommand.objects.filter(payment=payment).count() == 1
    assert "已登记转账" in page_html(second)


def test_sandbox_payment_settles_and_with_the_rating_closes_the_project():
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, _winner, _user = accepted_engagement(buyer=buyer)
    marks = dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conformity"), "4")
    client.post(reverse("buyer-rating", args=[project.code]), marks)
    key = client.get(reverse("buyer-project", args=[project.code])).context["payment_form"]["key"].value()
    client.post(reverse("buyer-payment", args=[project.code]), {"provider": "sandbox", "reference": "", "key": key})
    assert Payment.objects.get(engagement=engagement).state == "paid"
    assert Project.objects.get(pk=project.pk).state == "closed"


def test_payment_page_shows_a_late_payment():
    buyer = buyer_user()
    client = logged_in(buyer)
    project, engagement, _winner, _user = accepted_engagement(buyer=buyer)
    payment = Payment.objects.get(engagement=engagement)
    Payment.objects.filter(pk=payment.pk).update(due_at=payment.due_at.replace(year=payment.due_at.year - 1))
    html = page_html(client.get(reverse("buyer-project", args=[project.code])))
    assert "已逾期" in html


# --- cancel and relaunch ---------------------------------------------------------------------------------------------


def cancel_confirmed(client, url, reason: str):
    """The termination form sent with ``reason``, then confirmed on its check-your-answers page."""
    response = client.post(url, {"reason": reason})
    return client.post(url, {"step": "confirm", "confirmation": response.context["confirmation"]}, follow=True)


def test_cancel_shows_what_is_published_and_acts_only_when_confirmed():
    # given a published project
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    url = reverse("buyer-project-cancel", args=[project.code])
    assert "终止公告" in page_html(client.get(url))

    # without a reason nothing happens
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "须填写原因" in page_html(response)
    # with a reason, the confirmation page shows the project and the reason to be published, and nothing is done
    response = client.post(url, {"reason": "上级调整建设计划，项目暂缓实施。"})
    html = page_html(response)
    assert "请核对后提交" in html and project.code in html and "上级调整建设计划" in html and "终止公告" in html
    assert Project.objects.get(pk=project.pk).state == "open"
    assert not NoticeRequest.objects.filter(kind="termination").exists()
    # a tampered or stale confirmation does nothing
    client.post(url, {"step": "confirm", "confirmation": response.context["confirmation"] + "x"})
    assert Project.objects.get(pk=project.pk).state == "open"

    # when confirmed
    cancel_confirmed(client, url, "上级调整建设计划，项目暂缓实施。")

    # then the project is cancelled and the termination notice carries the reason
    assert Project.objects.get(pk=project.pk).state == "cancelled"
    notice = NoticeRequest.objects.get(kind="termination", source_key=f"project:{project.code}:termination")
    assert notice.payload["reason"] == "上级调整建设计划，项目暂缓实施。"


def test_a_stale_cancel_confirmation_is_refused(settings):
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    url = reverse("buyer-project-cancel", args=[project.code])
    confirmation = client.post(url, {"reason": "资金调整。"}).context["confirmation"]
    settings.ZJCS_CONFIRM_MAX_AGE = -1
    response = client.post(url, {"step": "confirm", "confirmation": confirmation})
    assert "确认页已过期" in page_html(response)
    assert Project.objects.get(pk=project.pk).state == "open"
    assert not NoticeRequest.objects.filter(kind="termination").exists()


def test_a_draft_is_discarded_not_terminated():
    # given a draft project
    buyer = buyer_user()
    client = logged_in(buyer)
    project = draft_project(buyer)
    page = page_html(client.get(reverse("buyer-project", args=[project.code])))
    assert "放弃草稿" in page and "终止项目" not in page
    # the termination page sends a draft to the discard page
    response = client.get(reverse("buyer-project-cancel", args=[project.code]))
    assert response["Location"] == reverse("buyer-project-discard", args=[project.code])
    page = page_html(client.get(response["Location"]))
    assert "不发布任何公告" in page and "终止原因" not in page
    # when the buyer discards it
    response = client.post(reverse("buyer-project-discard", args=[project.code]), follow=True)
    # then it is discarded, nothing is published, and it leaves the list
    assert Project.objects.get(pk=project.pk).state == "discarded"
    assert not NoticeRequest.objects.exists()
    assert "草稿已放弃" in page_html(response) and project.code not in page_html(client.get(reverse("buyer-projects")))


def test_a_published_project_cannot_be_discarded():
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    response = client.post(reverse("buyer-project-discard", args=[project.code]), follow=True)
    assert "不能执行该操作" in page_html(response)
    assert Project.objects.get(pk=project.pk).state == "open"


def test_cancel_is_refused_once_contracting_started():
    buyer = buyer_user()
    project, _engagement, _winner, _user = contracting_project(buyer=buyer, contract=True)
    response = logged_in(buyer).post(reverse("buyer-project-cancel", args=[project.code]), {"reason": "不再需要"})
    response = logged_in(buyer).post(
        reverse("buyer-project-cancel", args=[project.code]),
        {"step": "confirm", "confirmation": response.context["confirmation"]},
        follow=True,
    )
    assert "不能执行该操作" in page_html(response)
    assert Project.objects.get(pk=project.pk).state == "contracting"


def test_failed_project_is_relaunched_as_a_new_draft():
    buyer = buyer_user()
    client = logged_in(buyer)
    project = published_project("draw", buyer=buyer)
    deadlines_sweep(after(project.signup_deadline))
    assert Project.objects.get(pk=project.pk).state == "failed"
    assert "流标" in page_html(client.get(reverse("buyer-project", args=[project.code])))
    response = client.post(reverse("buyer-project-relaunch", args=[project.code]))
    fresh = Project.objects.get(relaunch_of=project)
    assert response.url == reverse("buyer-project-edit", args=[fresh.code])
    assert fresh.state == "draft" and fresh.requirements.count() == 1
    # relaunching a live project is refused with a message
    response = client.post(reverse("buyer-project-relaunch", args=[fresh.code]), follow=True)
    assert "只有流标或终止的项目可以重新发起" in page_html(response)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_copies_of_the_create_form_sent_at_the_same_moment_create_one_project():
    import threading

    # given one signed-in browser session with a fresh create form
    buyer = buyer_user()
    client = logged_in(buyer)
    token = fresh_token(client)
    data = {**form_data(), "token": token}
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(i: int) -> None:
        twin = Client()
        twin.cookies = client.cookies  # the same session, as a double click sends it
        try:
            barrier.wait(timeout=30)
            responses[i] = twin.post(reverse("buyer-project-new"), data)
        finally:
            connection.close()

    # when both copies arrive together
    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    # then the unit row lock and the stored session let one of them create the project
    project = Project.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.url for r in responses} == {reverse("buyer-project", args=[project.code])}


def test_the_sign_up_count_beside_the_table_counts_its_rows_and_says_how_many_were_withdrawn():
    # given a project with four sign-ups, one of them withdrawn (it stays in the table, greyed)
    from workflows.services.procurement import signups as signup_services

    buyer = buyer_user()
    pool = agencies(4)
    project = published_project(buyer=buyer)
    signups_submit(project, pool, ["50000", "51000", "52000", "53000"])
    (agency, user) = pool[0]
    withdrawn = SignUp.objects.get(project=project, agency=agency)
    assert signup_services.signup_withdraw(signup=withdrawn, actor=user).ok
    url = reverse("buyer-project", args=[project.code])

    # before the close neither rows nor a count are shown (how many signed up is sealed too)
    html = page_html(logged_in(buyer).get(url))
    assert 'data-testid="signup-rows"' not in html and "条报名记录" not in html

    # once the sign-up has closed, the heading's count is the number of rows, and the line below says
    # 3 live and 1 withdrawn
    deadlines_sweep(after(project.signup_deadline))
    html = page_html(logged_in(buyer).get(url))
    table = html[html.index('id="signups"') :]
    rows = table[: table.index("</table>")].count("<tr") - 1  # less the header row
    assert rows == 4
    assert '<span class="tag" data-testid="signup-rows">4</span>' in html
    assert "共 4 条报名记录：有效 3 条，已撤回 1 条。" in re.sub(r"\s+", " ", html)
