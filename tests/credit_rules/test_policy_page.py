"""The public page of the policy in force (/credit/policy/): version, bands, the national classes and
their periods, the catalogue, measures and rules with their bases — national, then the deployment's
local basis — and, for the shipped policy, that it is a demonstration policy."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from credit_rules.citations import CREDIT_REPAIR_MEASURES, JOINT_REWARD_PUNISHMENT
from credit_rules.models import LocalBasis, PolicyVersion
from credit_rules.policy import policy_at, policy_draft_from, policy_publish
from credit_rules.rules import REGISTRY
from tests.factories import AgencyFactory
from tests.helpers import page_html, query_count

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

URL = "/credit/policy/"
NOTE_ZH = "示范政策，部署时按本地办法配置"
NOTE_EN = "Demonstration policy: configure it from the local measures when deploying"
LOCAL = "某市网上中介服务超市管理办法（示例文号）第十条"  # a deployment's own entry, made up by this test


def test_the_page_shows_the_policy_in_force_with_every_basis(client):
    # when the public opens the page of the shipped policy
    assert reverse("credit-policy") == URL
    response = client.get(URL)
    body = page_html(response)
    # then it says it is a demonstration policy, and shows version, bands and the national classes
    assert response.status_code == 200
    assert NOTE_ZH in body and "data-demonstration" in body
    assert "v1" in body and "≥ 90" in body and "75 – 89" in body and "&lt; 60" in body
    assert CREDIT_REPAIR_MEASURES in body
    assert "原则上不公示；公示的，最长 3 个月" in body and "3–12 个月" in body and "12–36 个月" in body
    assert "履行相关义务后即可申请" in body and "满 3 个月后可申请" in body and "满 12 个月后可申请" in body
    # the catalogue with points, class and basis; every rule and measure with its basis
    page = response.context["page"]
    assert [row.code for row in page.catalogue] == sorted(policy_at().catalogue)
    assert [row.code for row in page.rules] == sorted(REGISTRY)
    assert {row.code for row in page.measures} >= {"MEASURE_SUSPEND", "MEASURE_EXPEL"}
    for row in [*page.catalogue, *page.rules, *page.measures]:
        assert row.code in body and row.basis in body, row.code
    assert "FALSE_MATERIALS" in body and "不可修复" in body
    assert JOINT_REWARD_PUNISHMENT in body


def test_the_page_says_how_rewards_and_prior_notice_work_and_which_rules_act_at_once(client):
    body = page_html(client.get(URL))
    policy = policy_at()
    # rewards: the window, the period, what they give, and that fewer inspections come later
    assert f"连续 {policy.green_channel_months} 个月保持 A 级信用" in body
    assert f"给予守信激励 {policy.reward_months} 个月" in body and "减少随机抽查频次待平台检查功能上线后实施" in body
    # prior notice: its basis, the response period, and each immediate rule with its title and reason
    assert (
        f"{JOINT_REWARD_PUNISHMENT}：联合惩戒坚持依法依规、保护权益" in body
        and f"机构可在 {policy.case_response_days} 日内陈述申辩" in body
    )
    for code, reason in policy.immediate_measures.items():
        assert code in body and str(REGISTRY[code].title) in body and reason in body


def test_the_demonstration_note_is_said_in_english_too(client):
    client.cookies["zjcs_language"] = "en"
    body = page_html(client.get(URL))
    assert '<html lang="en">' in body
    assert NOTE_EN in body and NOTE_ZH not in body
    # document titles are proper names: they stay in Chinese
    assert CREDIT_REPAIR_MEASURES in body and "Credit policy" in body


def test_a_local_basis_follows_the_national_one_and_a_configured_policy_says_no_demonstration(client):
    # given a deployment's version 2: its own basis for a rule, a catalogue entry and a measure
    draft = policy_draft_from(base=PolicyVersion.objects.get(version=1))
    draft.is_demonstration = False
    draft.save()
    for code in ("CR-SEL-001", "CONTRACT_LATE", "MEASURE_SUSPEND"):
        LocalBasis.objects.create(policy=draft, code=code, text=f"{LOCAL}（{code}）")
    policy_publish(version=draft, effective_from=timezone.now() - datetime.timedelta(seconds=1))
    # when the page is read
    body = page_html(client.get(URL))
    page = client.get(URL).context["page"]
    # then each of the three shows the national basis, then the local one; the note is gone
    rows = {row.code: row for row in [*page.catalogue, *page.rules, *page.measures]}
    for code in ("CR-SEL-001", "CONTRACT_LATE", "MEASURE_SUSPEND"):
        national, local = rows[code].basis.split("；本地依据：")
        assert "国发〔2016〕33号" in national or "湖府办发〔2025〕5号" in national
        assert local == f"{LOCAL}（{code}）" and local in body
    assert "本地依据" not in rows["CR-SEL-002"].basis
    assert NOTE_ZH not in body and "v2" in body


def test_the_credit_pages_and_the_profile_link_to_it(client):
    agency = AgencyFactory()
    for url in (reverse("agency-directory"), reverse("redlist"), reverse("agency-profile", args=[agency.uscc])):
        assert f'href="{URL}"' in page_html(client.get(url)), url


def test_the_page_costs_no_query_once_the_policy_is_cached(client, django_assert_num_queries):
    # the policy in force is cached per process: the page reads nothing else
    client.get(URL)
    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200
    assert query_count(client, URL, warm=True) == 0
