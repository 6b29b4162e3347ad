"""Who may do what to a notice in /cms/, driven through Wagtail's own URLs as each user.

A supervisor sees and moderates only the measure notices of agencies in its scope; nobody — supervisor,
operator, superuser — edits, unpublishes, moves, deletes or copies a notice (a frozen snapshot);
approval publishes exactly the snapshot; a notice is withdrawn through the notice service, by a
supervisor in scope or the platform credit office; and a notice taken offline outside the service does
not leave its request saying "published".
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, PageLogEntry, Revision, WorkflowState

from cms.models import HomePage, NoticeIndexPage, NoticePage, NoticeRequest
from cms.moderation import snapshot_differences
from cms.publishing import notice_request_publish, notice_requests_pending
from marketplace.models import Region, ServiceCategory
from tests.factories import (
    AgencyFactory,
    UserFactory,
    credit_office_user,
    operator_user,
    supervisor_user,
)
from tests.helpers import logged_in

from .notices import credit_payload, publish, request_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two agencies in the environmental field, one in 惠城区 and one in 博罗县, and a 惠城区 supervisor."""
    env = ServiceCategory.objects.get(code="ENV-EIA")
    huicheng, boluo = Region.objects.get(code="441302"), Region.objects.get(code="441322")
    inside = AgencyFactory(region=huicheng, categories=[env], name="惠城环评咨询有限公司")
    outside = AgencyFactory(region=boluo, categories=[env], name="博罗环评咨询有限公司")
    scoped = supervisor_user(regions=[huicheng], categories=[env], username="sup_huicheng")
    return inside, outside, scoped


def notice_of(agency, kind: str = "suspension", *, moderated: bool = False) -> NoticePage:
    return publish(kind, payload=credit_payload(kind, name=agency.name, uscc=agency.uscc), moderated=moderated)


def action_url(page: NoticePage, action: str, task_state_id: int | None = None) -> str:
    task_state_id = task_state_id or page.current_workflow_task_state.pk
    return reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state_id))


def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def refused(response) -> bool:
    """A 403, or Wagtail's own refusal: back to the /cms/ dashboard with an error message."""
    if response.status_code == 403:
        return True
    said = [m for m in get_messages(response.wsgi_request) if m.level == constants.ERROR]
    return response.status_code == 302 and response.url == reverse("wagtailadmin_home") and bool(said)


def live(page: NoticePage) -> bool:
    return NoticePage.objects.get(pk=page.pk).live


# --- moderation follows the supervisor's scope --------------------------------------------------------------


def test_a_supervisor_in_scope_sees_and_approves_the_notice(world):
    # given a suspension notice of an agency in the supervisor's scope, waiting for moderation
    inside, _outside, scoped = world
    page = notice_of(inside, moderated=True)
    client = logged_in(scoped)

    # then it is on the supervisor's dashboard, and its draft can be previewed for moderation
    assert page.title in client.get("/cms/").content.decode()
    task = page.current_workflow_task_state.task
    assert client.get(reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task.pk))).status_code == 200

    # when the supervisor approves it
    response = client.post(action_url(page, "approve"), {"comment": "", "next": "/cms/"})

    # then it is live and its request says published
    assert response.status_code == 302
    assert live(page)
    assert request_for(page).status == NoticeRequest.Status.PUBLISHED


def test_a_supervisor_out_of_scope_neither_sees_nor_acts(world):
    # given a suspension notice of an agency in another region, waiting for moderation
    _inside, outside, scoped = world
    page = notice_of(outside, moderated=True)
    client = logged_in(scoped)
    task_state = page.current_workflow_task_state

    # then the supervisor does not see it: not on the dashboard, not in the page chooser
    assert page.title not in client.get("/cms/").content.decode()
    index = NoticeIndexPage.objects.get()
    assert page.title not in client.get(reverse("wagtailadmin_choose_page_child", args=(index.pk,))).content.decode()
    assert page.title not in client.get(reverse("wagtailadmin_choose_page_search"), {"q": "博罗"}).content.decode()
    # (while an operator, who moderates every notice, does)
    assert page.title in logged_in(operator_user()).get("/cms/").content.decode()

    # and every action on it is refused: preview, approve, request changes
    assert refused(client.get(reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task_state.task_id))))
    assert refused(client.post(action_url(page, "approve"), {"comment": ""}))
    assert refused(client.post(action_url(page, "reject"), {"comment": "退回"}))

    # and nothing moved: the page is a draft under moderation, its request says so
    assert not live(page)
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == WorkflowState.STATUS_IN_PROGRESS
    assert request_for(page).status == NoticeRequest.Status.MODERATION


def test_an_in_scope_page_in_the_url_does_not_let_an_out_of_scope_task_through(world):
    # given two notices under moderation, one in the supervisor's scope and one outside it
    inside, outside, scoped = world
    mine, theirs = notice_of(inside, moderated=True), notice_of(outside, moderated=True)

    # when the supervisor posts "approve" naming its own page but the other notice's task state
    response = logged_in(scoped).post(
        action_url(mine, "approve", theirs.current_workflow_task_state.pk), {"comment": ""}
    )

    # then it is refused, and neither goes live
    assert refused(response)
    assert not live(theirs) and not live(mine)


def test_page_permissions_granted_back_by_hand_still_stop_at_the_scope(world):
    # given the supervisors' old publish permission on the notice index, granted again by an administrator
    inside, outside, scoped = world
    mine, theirs = notice_of(inside, "warning"), notice_of(outside, "warning")
    index = NoticeIndexPage.objects.get()
    GroupPagePermission.objects.create(
        group=scoped.groups.get(name="supervisor"), page=index, permission_type="publish"
    )
    client = logged_in(scoped)

    # then the page explorer lists the notice in scope only
    listing = client.get(reverse("wagtailadmin_explore", args=(index.pk,))).content.decode()
    assert mine.title in listing and theirs.title not in listing

    # and unpublishing either is still refused
    for page in (mine, theirs):
        assert refused(client.post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,))))
        assert live(page)


# --- a notice is a frozen snapshot, for everyone -----------------------------------------------------------


@pytest.fixture(params=["supervisor", "operator", "superuser"])
def anyone(request, world):
    return {"supervisor": lambda: world[2], "operator": operator_user, "superuser": superuser}[request.param]()


def test_nobody_edits_unpublishes_moves_deletes_or_copies_a_notice(world, anyone):
    # given a live warning notice of an agency in the supervisor's scope
    inside, _outside, _scoped = world
    page = notice_of(inside, "warning")
    index = NoticeIndexPage.objects.get()
    home = HomePage.objects.get()
    client = logged_in(anyone)
    before = (page.title, page.slug, page.payload, page.expire_at)

    # when each of Wagtail's page actions is tried on it
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    assert refused(client.get(edit))
    assert refused(client.post(edit, {"title": "改过的标题", "slug": "changed", "expire_at": "2030-01-01 00:00"}))
    assert refused(client.post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,))))
    assert refused(client.post(reverse("wagtailadmin_pages:delete", args=(page.pk,))))
    assert refused(client.post(reverse("wagtailadmin_pages:move_confirm", args=(page.pk, home.pk))))
    assert refused(
        client.post(
            reverse("wagtailadmin_pages:copy", args=(page.pk,)),
            {"new_title": "副本", "new_slug": "copy", "new_parent_page": index.pk},
        )
    )
    assert refused(
        client.post(reverse("wagtailadmin_pages:set_privacy", args=(page.pk,)), {"restriction_type": "login"})
    )
    assert refused(client.post(reverse("wagtailadmin_pages:lock", args=(page.pk,))))
    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "unpublish")) + f"?id={page.pk}"
    client.post(bulk, {})
    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "delete")) + f"?id={page.pk}"
    client.post(bulk, {})

    # then it is still live, in place, word for word
    page = NoticePage.objects.get(pk=page.pk)
    assert page.live and not page.locked and page.get_parent().pk == index.pk
    assert (page.title, page.slug, page.payload, page.expire_at) == before
    assert NoticePage.objects.filter(source_key=page.source_key).count() == 1
    assert request_for(page).status == NoticeRequest.Status.PUBLISHED


def test_nobody_adds_a_notice_by_hand_or_deletes_or_moves_what_holds_them(anyone):
    # given the notice index under the home page
    publish("warning")
    index = NoticeIndexPage.objects.get()
    home = HomePage.objects.get()
    client = logged_in(anyone)

    # then no notice is added under it by hand, and neither it nor the home page above it is deleted or moved
    add = reverse("wagtailadmin_pages:add", args=("cms", "noticepage", index.pk))
    assert refused(client.get(add))
    for page in (index, home):
        assert refused(client.post(reverse("wagtailadmin_pages:delete", args=(page.pk,))))
    assert refused(client.post(reverse("wagtailadmin_pages:unpublish", args=(index.pk,))))
    assert refused(client.post(reverse("wagtailadmin_pages:move_confirm", args=(index.pk, home.get_parent().pk))))
    assert NoticeIndexPage.objects.get().live and NoticePage.objects.count() == 1


def test_the_home_page_cannot_be_deleted_with_the_notices_under_it():
    # given a live notice under the home page, and a superuser (who may delete any page Wagtail knows of)
    publish("warning")
    home = HomePage.objects.get()

    # when it deletes the home page through /cms/
    response = logged_in(superuser()).post(reverse("wagtailadmin_pages:delete", args=(home.pk,)))

    # then it is refused by the hook (the permission tester allows a superuser to delete a home page)
    assert refused(response)
    assert HomePage.objects.exists() and NoticePage.objects.count() == 1
    # while the home page itself is still the superuser's to edit
    assert logged_in(superuser()).get(reverse("wagtailadmin_pages:edit", args=(home.pk,))).status_code == 200


def test_approval_publishes_exactly_the_snapshot_whatever_was_saved_since(world):
    # given a moderated notice whose draft someone changed after submission (a new slug and an expiry:
    # what the editor used to allow a moderator to do before approving)
    inside, _outside, scoped = world
    page = notice_of(inside, moderated=True)
    request = request_for(page)
    draft = page.get_latest_revision_as_object()
    draft.slug, draft.title = "renamed", "改过的标题"
    draft.expire_at = timezone.now() + datetime.timedelta(days=1)
    draft.save_revision()

    # when the supervisor approves it
    assert logged_in(scoped).post(action_url(page, "approve"), {"comment": ""}).status_code == 302

    # then what went live is the revision submitted, which is the request's snapshot, with no expiry
    page = NoticePage.objects.get(pk=page.pk)
    assert page.live
    assert snapshot_differences(page, request) == []
    assert page.slug != "renamed" and page.expire_at is None and page.title == request.payload["title"]


def test_approval_of_a_revision_that_is_not_the_snapshot_is_refused(world):
    # given a moderated notice whose submitted revision itself no longer matches the request
    inside, _outside, scoped = world
    page = notice_of(inside, moderated=True)
    revision = Revision.objects.get(pk=page.current_workflow_task_state.revision_id)
    revision.content = {**revision.content, "slug": "tampered", "expire_at": "2030-01-01T00:00:00Z"}
    revision.save(update_fields=["content"])

    # when the supervisor approves it
    response = logged_in(scoped).post(action_url(page, "approve"), {"comment": ""})

    # then nothing is published and the moderation is still open (the approval rolled back)
    assert refused(response)
    assert not live(page)
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == WorkflowState.STATUS_IN_PROGRESS
    assert request_for(page).status == NoticeRequest.Status.MODERATION


# --- withdrawal goes through the notice service ------------------------------------------------------------


def withdraw_url(page: NoticePage) -> str:
    return reverse("cms_notice_authority_withdraw", args=(page.pk,))


def test_a_supervisor_withdraws_a_notice_in_scope_through_the_service(world, django_capture_on_commit_callbacks):
    # given live warning notices of an agency in scope and of one outside it
    inside, outside, scoped = world
    mine, theirs = notice_of(inside, "warning"), notice_of(outside, "warning")
    client = logged_in(scoped)

    # then its list in /cms/ shows the one in scope only
    listing = client.get(reverse("cms_notice_authority_list")).content.decode()
    assert mine.title in listing and theirs.title not in listing

    # when it withdraws the one in scope with a reason
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url(mine), {"reason": "异议成立，已撤销"})

    # then the request and the page say withdrawn, the page stays in the archive, and the history says who
    assert response.status_code == 302
    request = request_for(mine)
    assert request.withdrawn_at is not None and request.withdrawn_reason == "异议成立，已撤销"
    page = NoticePage.objects.get(pk=mine.pk)
    assert page.live and page.withdrawn and page.withdrawn_reason == "异议成立，已撤销"
    assert PageLogEntry.objects.filter(page=page, action="cms.notice_withdraw", user=scoped).exists()

    # and the one outside its scope cannot be withdrawn by it
    assert refused(client.post(withdraw_url(theirs), {"reason": "越权"}))
    assert request_for(theirs).withdrawn_at is None


def test_the_credit_office_withdraws_any_notice_and_operators_none(world, django_capture_on_commit_callbacks):
    _inside, outside, _scoped = world
    page = notice_of(outside, "warning")

    # an operator moderates notices but does not withdraw them
    operator = logged_in(operator_user())
    assert refused(operator.get(reverse("cms_notice_authority_list")))
    assert refused(operator.post(withdraw_url(page), {"reason": "x"}))

    # the platform credit office withdraws a notice of any agency
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(credit_office_user()).post(withdraw_url(page), {"reason": "信用修复，停止公示"})
    assert NoticePage.objects.get(pk=page.pk).withdrawn


# --- a request never says "published" of a page that is not -------------------------------------------------


def test_a_notice_unpublished_outside_the_service_is_pending_again_and_republished():
    # given a live notice, taken offline outside the notice service (no Wagtail view allows it any more)
    page = publish("warning")
    request = request_for(page)
    NoticePage.objects.get(pk=page.pk).unpublish()

    # then its request no longer says published, and the resend sweep will pick it up
    request.refresh_from_db()
    assert request.status == NoticeRequest.Status.PENDING and request.published_at is None
    assert request.pk in notice_requests_pending(older_than=datetime.timedelta(0))

    # when the publisher runs for it (what the resend sweep does)
    notice_request_publish(request.pk)

    # then the snapshot is live again under its own address, and the request says published
    page = NoticePage.objects.get(pk=page.pk)
    request.refresh_from_db()
    assert page.live and snapshot_differences(page, request) == []
    assert request.status == NoticeRequest.Status.PUBLISHED and request.published_at is not None
