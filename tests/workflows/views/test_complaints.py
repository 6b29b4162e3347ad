"""The challenge (质疑) and complaint (投诉) pages: fixed query budgets on the lists, refusals said on the form,
evidence served only to those who handle it, the published decision without personal data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import Region
from tests.factories import AgencyFactory, admitted_agency, agency_user, awarded_project, buyer_user, supervisor_user
from tests.helpers import logged_in, pdf_file
from workflows.models import Challenge, ServiceComplaint
from workflows.services.complaints import challenges as challenge_services
from workflows.services.complaints import service as service_services

pytestmark = pytest.mark.django_db


def _losers(project, pool):
    winner = project.signups.get(state="selected")
    return [(a, u) for a, u in pool if a != winner.agency]


def _challenge(project, agency, user) -> Challenge:
    return challenge_services.challenge_file(
        project=project, agency=agency, actor=user, grounds="资质不符。", evidence=pdf_file("e.pdf")
    )


def _service_complaints(agency, n: int) -> None:
    for _ in range(n):
        service_services.service_complaint_file(agency=agency, actor=buyer_user(), grounds="报告错误。")


def test_the_buyers_challenge_list_costs_the_same_for_one_or_many(django_assert_max_num_queries):
    buyer = buyer_user()
    project, pool = awarded_project(buyer=buyer)
    (first, first_user), (second, second_user) = _losers(project, pool)
    client = logged_in(buyer)
    url = reverse("buyer-challenges", args=[project.code])
    _challenge(project, first, first_user)
    client.get(url)  # warm the per-process caches (policy, content types)
    with django_assert_max_num_queries(8 + 1) as one:  # + the header's to-do and unread counts (one query)
        assert client.get(url).status_code == 200
    _challenge(project, second, second_user)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count('href="/buyer/challenges/') == 2


def test_the_agency_page_costs_the_same_for_one_or_many(django_assert_max_num_queries):
    agency, _m, user = admitted_agency()
    _service_complaints(agency, 1)
    client = logged_in(user)
    url = reverse("agency-complaints")
    client.get(url)
    with django_assert_max_num_queries(8 + 1) as one:  # + the header's to-do and unread counts (one query)
        assert client.get(url).status_code == 200
    _service_complaints(agency, 3)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("报告错误") == 0  # grounds are on the detail page, not the list
    assert page.content.decode().count('href="/agency/service-complaints/') == 4


def test_the_supervisor_queue_lists_complaints_in_scope_only():
    supervisor = supervisor_user()
    outsider = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)
    agency, _m, _u = admitted_agency(supervisor=supervisor)
    _service_complaints(agency, 1)
    complaint = ServiceComplaint.objects.get()
    link = reverse("supervisor-service-complaint", args=[complaint.pk])
    assert link in logged_in(supervisor).get(reverse("supervisor-queue")).content.decode()
    assert link not in logged_in(outsider).get(reverse("supervisor-queue")).content.decode()
    assert logged_in(outsider).get(link).status_code == 404


def test_a_non_bidder_is_told_why_on_the_form():
    project, _pool = awarded_project()
    outsider = AgencyFactory()
    client = logged_in(agency_user(outsider))
    url = reverse("agency-challenge-new", args=[project.code])
    page = client.post(url, {"grounds": "不服。"})
    assert page.status_code == 200
    assert "只有报名参加本项目的机构可以对中选结果提出质疑" in page.content.decode()
    assert not Challenge.objects.exists()


def test_evidence_is_served_to_the_challenger_and_the_buyer_not_to_another_agency():
    buyer = buyer_user()
    project, pool = awarded_project(buyer=buyer)
    agency, user = _losers(project, pool)[0]
    challenge = _challenge(project, agency, user)
    url = reverse("complaint-file", args=["challenge", challenge.pk])
    assert logged_in(user).get(url).status_code == 200
    assert logged_in(buyer).get(url).status_code == 200
    assert logged_in(agency_user()).get(url).status_code == 404


def test_a_decision_with_a_phone_number_is_refused_on_the_form_and_nothing_is_decided():
    supervisor = supervisor_user()
    agency, _m, _u = admitted_agency(supervisor=supervisor)
    _service_complaints(agency, 1)
    complaint = ServiceComplaint.objects.get()
    url = reverse("supervisor-service-complaint", args=[complaint.pk])
    page = logged_in(supervisor).post(url, {"decision": "upheld", "reasons": "经电话 13812345678 核实。"})
    assert page.status_code == 200
    assert "手机号码" in page.content.decode()
    assert ServiceComplaint.objects.get().state == ServiceComplaint.State.FILED


def test_anyone_signed_in_files_a_service_complaint_from_the_profile_and_anonymous_is_sent_to_log_in():
    agency, _m, _u = admitted_agency()
    url = reverse("service-complaint-new", args=[agency.uscc])
    assert url in logged_in(buyer_user()).get(reverse("agency-profile", args=[agency.uscc])).content.decode()
    from django.test import Client

    assert Client().get(url).status_code == 302
    page = logged_in(buyer_user()).post(url, {"grounds": "报告数据错误。", "evidence": pdf_file("p.pdf")})
    assert page.status_code == 302
    assert ServiceComplaint.objects.get().evidence.name


def test_a_losing_bidder_sees_the_challenge_link_on_its_project_page_during_publicity():
    project, pool = awarded_project()
    (agency, user), *_ = _losers(project, pool)
    winner_user = next(u for a, u in pool if (a, u) not in _losers(project, pool))
    link = reverse("agency-challenge-new", args=[project.code])
    assert link in logged_in(user).get(reverse("agency-project", args=[project.code])).content.decode()
    assert link not in logged_in(winner_user).get(reverse("agency-project", args=[project.code])).content.decode()


def test_the_challenge_form_speaks_english_when_asked():
    project, pool = awarded_project()
    (_agency, user), *_ = _losers(project, pool)
    client = logged_in(user)
    client.cookies["zjcs_language"] = "en"
    page = client.get(reverse("agency-challenge-new", args=[project.code]))
    text = page.content.decode()
    assert "Challenge the result" in text and "What is challenged and why" in text


def test_a_decision_is_confirmed_on_a_page_naming_the_agency_and_only_then_taken():
    supervisor = supervisor_user()
    agency, _m, _u = admitted_agency(supervisor=supervisor)
    _service_complaints(agency, 1)
    complaint = ServiceComplaint.objects.get()
    url = reverse("supervisor-service-complaint", args=[complaint.pk])
    client = logged_in(supervisor)

    # the first POST shows who is affected and what follows, and decides nothing
    page = client.post(url, {"decision": "upheld", "reasons": "经核实，报告数据错误。"})
    html = page.content.decode()
    assert agency.name in html and agency.uscc in html and "确认并提交" in html
    assert ServiceComplaint.objects.get().state == ServiceComplaint.State.FILED
    token = page.context["confirmation"]

    # a tampered token is refused and still nothing is decided
    client.post(url, {"step": "confirm", "confirmation": token[:-2] + "xx"})
    assert ServiceComplaint.objects.get().state == ServiceComplaint.State.FILED

    # the confirmation takes the decision
    client.post(url, {"step": "confirm", "confirmation": token})
    assert ServiceComplaint.objects.get().state == ServiceComplaint.State.UPHELD


def test_the_agency_answers_a_service_complaint_once_from_its_page():
    agency, _m, agency_login = admitted_agency()
    _service_complaints(agency, 1)
    complaint = ServiceComplaint.objects.get()
    url = reverse("agency-service-complaint", args=[complaint.pk])
    client = logged_in(agency_login)
    # an empty statement is refused on the form, nothing recorded
    page = client.post(url, {"response": ""})
    assert page.status_code == 200 and ServiceComplaint.objects.get().state == ServiceComplaint.State.FILED
    # the statement is recorded and the page redirects back to itself
    response = client.post(url, {"response": "报告数据已复核并更正，附更正说明。"})
    assert response.status_code == 302 and response["Location"] == url
    complaint = ServiceComplaint.objects.get()
    assert complaint.state == ServiceComplaint.State.RESPONDED and "已复核" in complaint.response
    # another agency's staff cannot reach it
    _other, _m2, other_login = admitted_agency()
    assert logged_in(other_login).get(url).status_code == 404
