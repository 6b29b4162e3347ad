"""The end of a notice's moderation: publish the approved revision, and only if it is still the snapshot.

Wagtail's default finish action (``wagtail.workflows.publish_workflow_state``) publishes the page's
*latest* revision as the approver — so whatever was saved after submission goes live, and the
approver needs the publish permission on the page. A notice is a frozen snapshot of a domain event:
``notice_workflow_finish`` (``settings.WAGTAIL_FINISH_WORKFLOW_ACTION``) publishes the revision the
moderator approved, after checking that it says exactly what its ``NoticeRequest`` holds (title, slug,
payload, subject, text; no scheduled go-live or expiry, no SEO overrides). Anything else refuses the
approval (``PermissionDenied``), and the approval's transaction rolls back. Other pages (none use a
workflow today) finish as Wagtail would.

Wagtail imports this module while it loads its own models (the setting is read in a class body), so
everything of the project and of Wagtail is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

# Page fields outside the snapshot that must stay empty: they change how or when a notice is shown.
EMPTY_FIELDS = ("go_live_at", "expire_at", "seo_title", "search_description")


def snapshot_differences(page: Any, request: Any) -> list[str]:
    """The fields in which ``page`` (a NoticePage, or a revision of one) differs from its request's snapshot."""
    from .publishing import notice_snapshot

    expected = {
        **notice_snapshot(request),
        "withdrawn": bool(request.withdrawn_at),
        "withdrawn_reason": request.withdrawn_reason,
    }
    differences = [name for name, value in expected.items() if getattr(page, name) != value]
    return differences + [name for name in EMPTY_FIELDS if getattr(page, name)]


def notice_workflow_finish(workflow_state: Any, user: Any = None) -> None:
    """Publish the revision the moderator approved, as the system, if it is exactly the notice's snapshot."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _
    from wagtail.workflows import publish_workflow_state

    from .models import NoticePage, NoticeRequest

    page = workflow_state.content_object
    if not NoticePage.objects.filter(pk=page.pk).exists():
        publish_workflow_state(workflow_state, user=user)
        return
    revision = workflow_state.current_task_state.revision
    approved = revision.as_object()
    request = NoticeRequest.objects.filter(source_key=approved.source_key).first()
    if request is None:
        raise PermissionDenied(_("该公告没有对应的发布请求，无法核对快照，不能发布。"))
    changed = snapshot_differences(approved, request)
    if changed:
        raise PermissionDenied(
            _("公告是事件的快照，不得修改；以下字段与快照不一致，未予发布：%(fields)s") % {"fields": ", ".join(changed)}
        )
    # The moderator's approval is the permission: Wagtail's check would ask for the page's publish
    # permission, which nobody holds on a notice (cms.models.FrozenPagePermissionTester).
    revision.publish(user=user, skip_permission_checks=True)
