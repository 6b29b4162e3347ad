"""Measure notices under moderation: a Wagtail workflow step before they go live."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from cms.models import NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from cms.services import notice_withdraw
from tests.factories import AgencyFactory, agency_user, operator_user, supervisor_user

from .notices import credit_payload, publish, request_for

pytestmark = pytest.mark.django_db


def test_moderated_notice_waits_for_approval_then_goes_live(client):
    # given a suspension notice the policy wants moderated
    page = publish("suspension", moderated=True)
    request = request_for(page)

    # then it is a draft in the notice workflow, not public
    assert not page.live
    assert request.status == NoticeRequest.Status.MODERATION and request.published_at is None
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "措施公告审核"
    assert client.get("/notices/").content.decode().count(page.title) == 0
    assert client.get(f"/notices/{page.slug}/").status_code == 404

    # when an operator approves it through Wagtail's workflow API (what the /cms/ button calls)
    moderator = operator_user()
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state.specific, moderator, "approve")

    # then it is live, the outbox row says published, and the list shows it at once
    page = NoticePage.objects.get(pk=page.pk)
    request.refresh_from_db()
    assert page.live
    assert request.status == NoticeRequest.Status.PUBLISHED and request.published_at == page.first_published_at
    assert page.title in client.get("/notices/").content.decode()
    assert client.get(page.url).status_code == 200


def test_supervisor_approves_in_the_cms(client):
    # given an expulsion notice of a registered agency waiting for moderation, and a supervisor signed in
    # to /cms/ (a supervisor's scope covers agencies on the platform: the notice names one)
    agency = AgencyFactory()
    page = publish("expulsion", payload=credit_payload("expulsion", name=agency.name, uscc=agency.uscc), moderated=True)
    supervisor = supervisor_user()
    client.force_login(supervisor)
    dashboard = client.get("/cms/")
    assert dashboard.status_code == 200 and page.title in dashboard.content.decode()

    # when the supervisor presses Approve on it
    task_state = page.current_workflow_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    response = client.post(url, {"comment": ""})

    # then it is published, and the outbox row follows
    assert response.status_code == 302
    assert NoticePage.objects.get(pk=page.pk).live
    assert request_for(page).status == NoticeRequest.Status.PUBLISHED


def test_an_agency_cannot_approve(client):
    # given a moderated notice and an agency's staff member
    page = publish("suspension", moderated=True)
    client.force_login(agency_user())

    # when they try the approve action
    task_state = page.current_workflow_task_state
    client.post(reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)))

    # then nothing is published
    assert not NoticePage.objects.get(pk=page.pk).live
    assert request_for(page).status == NoticeRequest.Status.MODERATION


def test_withdrawn_before_approval_never_goes_live():
    # given a moderated notice whose measure is overturned before anyone approved it
    page = publish("suspension", moderated=True)
    request = request_for(page)
    notice_withdraw(source_key=request.source_key, reason="异议成立，已撤销")

    # when the publisher runs again
    notice_request_publish(request.pk)

    # then the page stays a draft, and its moderation is cancelled
    page = NoticePage.objects.get(pk=page.pk)
    assert not page.live
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == WorkflowState.STATUS_CANCELLED


def test_unmoderated_notice_is_live_at_once():
    page = publish("warning")
    request = request_for(page)
    assert page.live and request.status == NoticeRequest.Status.PUBLISHED and request.published_at is not None
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()


def test_retried_publication_makes_no_second_page():
    # given a published notice
    page = publish("warning")
    request = request_for(page)

    # when the task runs again (a retry, or the resend sweep)
    again = notice_request_publish(request.pk)

    # then it is the same page, and there is only one
    assert again == page.pk
    assert NoticePage.objects.filter(source_key=request.source_key).count() == 1


def test_the_moderation_window_shows_the_notice_as_published_and_warns_of_an_ended_measure(client):
    # given a suspension notice waiting for moderation whose suspension already ended yesterday
    import datetime

    from django.utils import timezone

    agency = AgencyFactory()
    payload = credit_payload("suspension", name=agency.name, uscc=agency.uscc)
    started = timezone.localdate() - datetime.timedelta(days=40)
    ended = timezone.localdate() - datetime.timedelta(days=1)
    payload.update(starts_at=started.isoformat(), ends_at=ended.isoformat())
    page = publish("suspension", payload=payload, moderated=True)
    client.force_login(operator_user())
    task_state = page.current_workflow_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))

    # when the moderator opens the approval window
    window = client.get(url).json()["html"]

    # then it shows the notice as the public reads it (organisation, dates, basis), and the warning
    assert 'data-testid="notice-preview"' in window and agency.name in window
    assert started.isoformat() in window and ended.isoformat() in window
    assert 'data-testid="measure-ended"' in window and f"该措施已于 {ended.isoformat()} 结束" in window

    # and approving from the window without the tick keeps the window open, saying why, and publishes nothing
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    window = client.post(url, {"comment": "", "measure_ended": ended.isoformat()}, **xhr).json()["html"]
    assert f"该措施已于 {ended.isoformat()} 结束；确需发布的，请勾选确认。" in window
    assert not NoticePage.objects.get(pk=page.pk).live
    # nor does an approval posted around the window (the task checks the notice itself)
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not NoticePage.objects.get(pk=page.pk).live
    assert request_for(page).status == NoticeRequest.Status.MODERATION

    # while approving with the confirmation publishes it
    assert (
        client.post(url, {"comment": "", "measure_ended": ended.isoformat(), "confirm_ended": "on"}).status_code == 302
    )
    assert NoticePage.objects.get(pk=page.pk).live


def test_a_running_measure_is_approved_without_the_confirmation(client):
    page = publish("suspension", moderated=True)
    client.force_login(operator_user())
    task_state = page.current_workflow_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    assert 'data-testid="measure-ended"' not in client.get(url).json()["html"]
    assert client.post(url, {"comment": ""}).status_code == 302
    assert NoticePage.objects.get(pk=page.pk).live
