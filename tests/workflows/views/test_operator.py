"""The operator's review pages: the queue of submitted projects, publishing and returning a project."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from tests.factories import (
    AgencyFactory,
    admitted_agency,
    buyer_user,
    draft_project,
    operator_user,
    submitted_project,
)
from tests.helpers import page_text, query_count, refetch
from tests.query_budgets import BUDGETS
from workflows.services.procurement import projects as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(operator_user())
    return client


def test_queue_lists_submitted_projects_oldest_first(operator_client):
    # given two submitted projects, a draft and a published one
    buyer = buyer_user()
    first = submitted_project(buyer, name="先提交的估价项目")
    second = submitted_project(buyer, name="后提交的估价项目", method="price")
    draft_project(buyer, name="草稿项目", requirements=[])
    published = submitted_project(buyer, name="已发布的项目")
    assert project_services.project_review(project=published, actor=operator_user(), publish=True).ok

    # when the operator opens the queue
    response = operator_client.get(reverse("operator-queue"))

    # then only the submitted ones are there, oldest first, with buyer, method, budget and time
    assert response.status_code == 200
    assert [p.code for p in response.context["projects"]] == [first.code, second.code]
    text = page_text(response)
    assert "草稿项目" not in text and "已发布的项目" not in text
    assert first.buyer.name in text and "随机抽取" in text and "竞价选取" in text and "80000.00" in text
    assert timezone.localtime(first.submitted_at).strftime("%Y-%m-%d") in text


def test_queue_query_count_is_the_same_for_1_and_50_projects(operator_client):
    buyer = buyer_user()
    submitted_project(buyer)
    one = query_count(operator_client, reverse("operator-queue"))
    for _ in range(49):
        submitted_project(buyer)
    assert len(operator_client.get(reverse("operator-queue")).context["projects"]) == 50
    assert query_count(operator_client, reverse("operator-queue")) == one <= BUDGETS["operator-queue"]


def test_project_page_shows_requirements_avoid_list_and_direct_reason(operator_client):
    agency, _membership, _user = admitted_agency()
    avoided = AgencyFactory(name="回避测试评估有限公司")
    project = submitted_project(
        method="direct",
        direct_agency=agency,
        direct_reason="该机构承担了本项目前期估价，熟悉项目情况。",
        avoid=[project_services.Avoid(avoided, "与项目业主存在股权关联")],
    )

    response = operator_client.get(reverse("operator-project", args=[project.code]))

    assert response.status_code == 200
    text = page_text(response)
    assert "房地产估价机构资质" in text and "二级" in text
    assert "回避测试评估有限公司" in text and avoided.uscc in text and "与项目业主存在股权关联" in text
    assert agency.name in text and "该机构承担了本项目前期估价，熟悉项目情况。" in text
    assert "审核通过并发布" in text and "退回修改" in text


def test_publish_opens_sign_up_and_shows_the_deadline_and_commitment(operator_client):
    project = submitted_project()
    url = reverse("operator-project", args=[project.code])

    response = operator_client.post(url, {"action": "publish"}, follow=True)

    published = refetch(project)
    assert published.state == "open" and published.signup_deadline and published.draw_commitment
    text = page_text(response)
    deadline = timezone.localtime(published.signup_deadline).strftime("%Y-%m-%d %H:%M")
    assert "项目已发布" in text and deadline in text and published.draw_commitment in text
    assert response.context["page"].shows_commitment
    assert NoticeRequest.objects.filter(source_key=f"project:{project.code}:announcement").count() == 1

    # a second click (or a second operator) finds it published and writes nothing more
    again = operator_client.post(url, {"action": "publish"}, follow=True)
    assert "当前状态为「报名中」" in page_text(again)
    assert refetch(project).signup_deadline == published.signup_deadline
    assert NoticeRequest.objects.filter(source_key=f"project:{project.code}:announcement").count() == 1


def test_return_needs_a_note_and_sends_the_project_back(operator_client):
    project = submitted_project()
    url = reverse("operator-project", args=[project.code])

    blank = operator_client.post(url, {"action": "return", "note": "   "})
    assert blank.status_code == 200 and "退回须填写修改意见" in page_text(blank)
    assert refetch(project).state == "pending_review"

    response = operator_client.post(url, {"action": "return", "note": "服务内容过于笼统，请列明估价对象与数量。"})

    assert response.status_code == 302 and response["Location"] == reverse("operator-queue")
    returned = refetch(project)
    assert returned.state == "returned" and returned.review_note == "服务内容过于笼统，请列明估价对象与数量。"
    assert "服务内容过于笼统" in page_text(operator_client.get(url))
    assert project.code not in [p.code for p in operator_client.get(reverse("operator-queue")).context["projects"]]


def test_operator_pages_are_for_operators_only(client):
    project = submitted_project()
    _agency, _membership, agency_login = admitted_agency()

    response = client.get(reverse("operator-queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (agency_login, buyer_user()):
        client.force_login(user)
        assert client.get(reverse("operator-queue")).status_code == 403
        assert client.post(reverse("operator-project", args=[project.code]), {"action": "publish"}).status_code == 403
    assert refetch(project).state == "pending_review"

    client.force_login(operator_user())
    assert client.get(reverse("operator-project", args=["ZJCS-1999-000001"])).status_code == 404
    odd = client.post(reverse("operator-project", args=[project.code]), {"action": "drop"}, follow=True)
    assert odd.status_code == 200 and "无法识别的操作" in page_text(odd)
