"""The random-inspection pages: the supervisor's list within its query budget, plans kept to their own
supervisor, the plan form's scope check, and the public page and proof without a person's account."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from marketplace.models import Region
from tests.factories import admitted_agency, supervisor_user
from tests.helpers import logged_in, page_text, query_count
from tests.query_budgets import BUDGETS
from workflows import draw
from workflows.models import InspectionPlan
from workflows.services.inspections.plans import plan_create, plan_draw

pytestmark = pytest.mark.django_db


def _plan(user, title: str = "季度抽查") -> InspectionPlan:
    return plan_create(
        profile=user.supervisor,
        actor=user,
        title=title,
        region=None,
        category=None,
        period_start=datetime.date(2026, 12, 7),
        period_end=datetime.date(2026, 12, 31),
        inspectors=[user.supervisor],
    )


def test_the_supervisors_plan_list_costs_the_same_for_3_and_30_plans():
    user = supervisor_user(username="plan-lister")
    client = logged_in(user)
    url = reverse("supervisor-inspections")
    for n in range(3):
        _plan(user, f"计划 {n}")
    three = query_count(client, url, warm=True)
    for n in range(27):
        _plan(user, f"计划 {n + 3}")
    assert len(client.get(url).context["plans"]) == 30
    thirty = query_count(client, url)
    assert three == thirty <= BUDGETS["supervisor-inspections"]


def test_another_supervisors_plan_is_not_found_and_not_drawn_by_them():
    owner, other = supervisor_user(), supervisor_user()
    plan = _plan(owner)
    client = logged_in(other)
    assert client.get(reverse("supervisor-inspection", kwargs={"code": plan.code})).status_code == 404
    assert client.post(reverse("supervisor-inspection-draw", kwargs={"code": plan.code})).status_code == 404
    assert InspectionPlan.objects.get(pk=plan.pk).state == InspectionPlan.State.DRAFT


def test_the_plan_form_refuses_a_region_outside_the_scope():
    narrow = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)
    outside = Region.objects.exclude(code="441303").first()
    response = logged_in(narrow).post(
        reverse("supervisor-inspection-new"),
        {
            "title": "越权",
            "region": outside.pk,
            "period_start": "2026-12-07",
            "period_end": "2026-12-31",
            "inspectors": [narrow.supervisor.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not InspectionPlan.objects.exists()


def test_the_public_page_shows_the_commitment_then_the_verified_proof_without_accounts():
    user = supervisor_user(username="chief-inspector")
    agency = admitted_agency(supervisor=user)[0]
    plan = _plan(user)
    client = logged_in(supervisor_user())  # anyone; a visitor sees the same
    url = reverse("inspection-public", kwargs={"code": plan.code})

    before = client.get(url)
    assert plan.draw_commitment in page_text(before) and plan.draw_secret not in before.content.decode()
    assert client.get(reverse("inspection-proof-json", kwargs={"code": plan.code})).status_code == 404

    assert plan_draw(plan=plan, actor=user).ok
    after = client.get(url)
    text = page_text(after)
    assert agency.uscc in text and "chief-inspector" not in text
    assert after.context["result"].ok and after.context["inspectors_hold"]
    proof = json.loads(client.get(reverse("inspection-proof-json", kwargs={"code": plan.code})).content)
    assert draw.proof_verify(proof, plan.draw_commitment, expected_project_code=plan.code).ok


def test_the_draw_notice_publishes_the_targets_with_department_and_code_only():
    from cms.models import NoticePage, NoticeRequest
    from cms.publishing import notice_request_publish

    user = supervisor_user(username="notice-inspector")
    agency = admitted_agency(supervisor=user)[0]
    plan = _plan(user)
    assert plan_draw(plan=plan, actor=user).ok
    request = NoticeRequest.objects.get(source_key=f"inspection:{plan.code}:draw")
    page = NoticePage.objects.get(pk=notice_request_publish(request.pk))

    for language in ("zh-hans", "en"):
        response = logged_in(supervisor_user()).get(page.url, HTTP_ACCEPT_LANGUAGE=language)
        text = page_text(response)
        assert response.status_code == 200
        assert agency.uscc in text and plan.draw_commitment in text and "I01" in text
        assert "notice-inspector" not in text


def test_an_assigned_inspector_sees_the_plan_and_records_its_target_but_cannot_draw_or_close():
    from workflows.models import InspectionTarget

    owner, colleague = supervisor_user(), supervisor_user(username="second-inspector")
    agency = admitted_agency(supervisor=owner)[0]
    plan = plan_create(
        profile=owner.supervisor,
        actor=owner,
        title="协查",
        region=None,
        category=None,
        period_start=datetime.date(2026, 12, 7),
        period_end=datetime.date(2026, 12, 31),
        inspectors=[colleague.supervisor],
    )
    client = logged_in(colleague)
    assert plan.code in page_text(client.get(reverse("supervisor-inspections")))
    detail = client.get(reverse("supervisor-inspection", kwargs={"code": plan.code}))
    assert detail.status_code == 200 and "进行抽取" not in page_text(detail)
    assert client.post(reverse("supervisor-inspection-draw", kwargs={"code": plan.code})).status_code == 404

    assert plan_draw(plan=plan, actor=owner).ok
    target = InspectionTarget.objects.get(plan=plan, agency=agency)
    assert target.inspector.user == colleague
    response = client.post(
        reverse("supervisor-inspection-record", kwargs={"code": plan.code, "pk": target.pk}), {"result": "pass"}
    )
    assert response.status_code == 302
    assert InspectionTarget.objects.get(pk=target.pk).result == "pass"
    assert client.post(reverse("supervisor-inspection-close", kwargs={"code": plan.code})).status_code == 404


def test_a_plans_page_costs_the_same_for_3_and_30_targets():
    from workflows.models import InspectionTarget

    user = supervisor_user()
    client = logged_in(user)
    counts = []
    for added in (3, 27):  # every agency drawn: 3 targets, then 30
        for _ in range(added):
            admitted_agency(supervisor=user)
        plan = _plan(user, f"计划 {added}")
        InspectionPlan.objects.filter(pk=plan.pk).update(rates=dict.fromkeys(plan.rates, 100))
        assert plan_draw(plan=InspectionPlan.objects.get(pk=plan.pk), actor=user).ok
        assert InspectionTarget.objects.filter(plan=plan).count() == (3 if added == 3 else 30)
        counts.append(query_count(client, reverse("supervisor-inspection", kwargs={"code": plan.code}), warm=True))
    assert counts[0] == counts[1] <= BUDGETS["supervisor-inspection"], counts
