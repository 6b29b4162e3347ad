"""The supervisor's risk flag pages: the list in scope within its query budget, filters, the evidence with its
links, dismissing with a reason, opening a case through the confirmation page, and 404 outside the scope."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from marketplace.models import Region
from tests.factories import AgencyFactory, BuyerUnitFactory, agencies, supervisor_user
from tests.helpers import logged_in, messages_of, page_text, query_count
from tests.query_budgets import BUDGETS
from workflows.models import CreditCase, RiskFlag
from workflows.selectors.risk import Finding
from workflows.services.risk import risk_flag_store

pytestmark = pytest.mark.django_db


def stored(kind=RiskFlag.Kind.DIRECT_CONCENTRATION, *, key, agencies=(), buyer=None, evidence=None) -> RiskFlag:
    assert risk_flag_store(Finding(kind=kind, key=key, evidence=evidence or {}, agencies=list(agencies), buyer=buyer))
    return RiskFlag.objects.get(key=key)


def test_the_list_costs_the_same_for_3_and_30_flags_within_its_budget():
    supervisor = supervisor_user()
    client = logged_in(supervisor)
    url = reverse("supervisor-risk-flags")
    made = []

    def add(n: int) -> None:
        for _ in range(n):
            made.append(
                stored(key=f"k{len(made)}", agencies=[AgencyFactory(), AgencyFactory()], buyer=BuyerUnitFactory())
            )

    add(3)
    three = query_count(client, url, warm=True)
    add(27)
    response = client.get(url)
    assert len(response.context["page"].object_list) == 30
    thirty = query_count(client, url)
    assert three == thirty <= BUDGETS["supervisor-risk-flags"]


def test_the_list_filters_by_kind_and_state_and_shows_only_the_scope():
    ((agency, _u),) = agencies(1)
    far = AgencyFactory(region=Region.objects.get(code="441303"))
    near = stored(key="near", agencies=[agency])
    stored(RiskFlag.Kind.QUOTES_EQUAL, key="equal", agencies=[agency])
    stored(key="far", agencies=[far])
    dismissed = stored(key="old", agencies=[agency])
    RiskFlag.objects.filter(pk=dismissed.pk).update(state=RiskFlag.State.DISMISSED)
    here = supervisor_user(regions=[agency.region], all_categories=True)
    client = logged_in(here)

    def listed(**params):
        return {f.key for f in client.get(reverse("supervisor-risk-flags"), params).context["page"].object_list}

    assert listed() == {"near", "equal"}  # open ones by default, in scope only
    assert listed(kind="direct_concentration") == {"near"}
    assert listed(state="") == {"near", "equal", "old"}
    assert listed(state="dismissed") == {"old"}
    assert listed(kind="nonsense", state="nonsense") == {"near", "equal", "old"}
    assert client.get(reverse("supervisor-risk-flag", args=[near.pk])).status_code == 200
    assert (
        logged_in(supervisor_user(regions=[far.region], all_categories=True))
        .get(reverse("supervisor-risk-flag", args=[near.pk]))
        .status_code
        == 404
    )


def test_the_detail_shows_the_evidence_with_links_and_dismisses_only_with_a_reason():
    ((agency, _u),) = agencies(1)
    evidence = {
        "agency": {"uscc": agency.uscc, "name": agency.name},
        "share": "3/4",
        "projects": [
            {
                "code": "ZJCS-2026-000001",
                "name": "某估价服务",
                "method": "direct",
                "agency": {"uscc": agency.uscc, "name": agency.name},
                "reason": "熟悉情况",
            }
        ],
        "threshold": 3,
        "window_days": 365,
    }
    flag = stored(key="d", agencies=[agency], evidence=evidence)
    client = logged_in(supervisor_user())
    url = reverse("supervisor-risk-flag", args=[flag.pk])

    text = page_text(client.get(url))
    html = client.get(url).content.decode()
    assert "3/4" in text and agency.name in text
    assert reverse("agency-profile", args=[agency.uscc]) in html
    assert reverse("project-public", args=["ZJCS-2026-000001"]) in html

    refused = client.post(url, {"action": "dismiss", "reason": ""})
    assert "请填写排除理由" in page_text(refused)
    assert RiskFlag.objects.get(pk=flag.pk).state == "open"

    done = client.post(url, {"action": "dismiss", "reason": "该机构为本地唯一具备资质的单位。"}, follow=True)
    assert "已排除该风险提示。" in messages_of(done)
    flag = RiskFlag.objects.get(pk=flag.pk)
    assert flag.state == "dismissed" and flag.dismiss_reason == "该机构为本地唯一具备资质的单位。"


def test_opening_a_case_is_checked_on_a_confirmation_page_first():
    ((agency, _u),) = agencies(1)
    flag = stored(key="c", agencies=[agency])
    client = logged_in(supervisor_user())
    url = reverse("supervisor-risk-flag", args=[flag.pk])
    answers = {"action": "case", "agency": agency.uscc, "measure": "restrict", "facts": "连续三次直接选取同一机构。"}

    check = client.post(url, answers)
    assert check.templates[0].name == "workflows/supervisor_risk_case_confirm.html"
    assert not CreditCase.objects.exists() and RiskFlag.objects.get(pk=flag.pk).state == "open"

    done = client.post(url, {"step": "confirm", "confirmation": check.context["confirmation"]})
    case = CreditCase.objects.get()
    assert done.status_code == 302 and done.url == reverse("supervisor-case", args=[case.pk])
    assert case.agency == agency and case.state == "proposed" and case.facts == "连续三次直接选取同一机构。"
    assert RiskFlag.objects.get(pk=flag.pk).state == "case_opened"

    # the same confirmation posted again does nothing more
    client.post(url, {"step": "confirm", "confirmation": check.context["confirmation"]})
    assert CreditCase.objects.count() == 1


CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def test_the_pages_in_english_show_chinese_only_in_names_and_typed_text():
    ((agency, _u),) = agencies(1)
    buyer = BuyerUnitFactory()
    ref = {"uscc": agency.uscc, "name": agency.name}
    samples = [
        (
            RiskFlag.Kind.QUOTES_EQUAL,
            {
                "project": {"code": "ZJCS-2026-000009", "name": "某估价服务"},
                "floor": "40000.00",
                "ceiling": "80000.00",
                "equal": ["61234.56"],
                "quotes": [{"agency": ref, "quote": "61234.56"}],
            },
        ),
        (
            RiskFlag.Kind.RELAUNCHES,
            {
                "projects": [
                    {"code": "ZJCS-2026-000010", "name": "某估价服务", "state": "failed", "reason": "有效报名不足"}
                ],
                "threshold": 3,
                "window_days": 365,
            },
        ),
        (
            RiskFlag.Kind.DELIVERY,
            {
                "agency": ref,
                "issues": 3,
                "projects": [{"code": "ZJCS-2026-000011", "name": "某估价服务", "reworks": 2, "late": True}],
                "threshold": 3,
                "window_days": 365,
            },
        ),
        (RiskFlag.Kind.SHARED_IDENTITY, {"agencies": [ref], "phone_tail": "3456", "address": "惠城区三新南路 8 号"}),
        (
            RiskFlag.Kind.ROTATION,
            {
                "agencies": [ref],
                "wins": [{"code": "ZJCS-2026-000012", "name": "某估价服务", "winner": ref}],
                "threshold": 4,
                "window_days": 365,
            },
        ),
    ]
    made = [stored(kind, key=kind, agencies=[agency], buyer=buyer, evidence=e) for kind, e in samples]
    client = logged_in(supervisor_user())
    assert client.get("/lang/", {"language": "en", "next": "/"}).status_code == 302
    names = sorted(
        {agency.name, buyer.name, "某估价服务", "有效报名不足", "惠城区三新南路 8 号", agency.region.name},
        key=len,
        reverse=True,
    )

    for url in [reverse("supervisor-risk-flags"), *(reverse("supervisor-risk-flag", args=[f.pk]) for f in made)]:
        text = page_text(client.get(url)).split('<main id="main"', 1)[1].split("</main>", 1)[0]
        for name in names:
            text = text.replace(name, "")
        assert not CJK.findall(text), (url, CJK.findall(text))
