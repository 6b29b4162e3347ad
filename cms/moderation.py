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


def measure_ended_on(page: Any, today: Any = None) -> Any:
    """The day a measure notice's measure ended, when it ended before ``today``; None while it runs (or has no end)."""
    import datetime

    from django.utils import timezone

    payload = getattr(page, "payload", None) or {}
    ends = payload.get("ends_at") or ""
    if not payload.get("agency") or not ends:
        return None
    try:
        ended = datetime.date.fromisoformat(str(ends)[:10])
    except ValueError:
        return None
    return ended if ended < (today or timezone.localdate()) else None


def moderation_form_class() -> Any:
    """The approval form: Wagtail's comment, and the moderator's confirmation that a measure already over may go out."""
    from django import forms
    from django.utils.translation import gettext_lazy as _
    from wagtail.forms import TaskStateCommentForm

    class NoticeModerationForm(TaskStateCommentForm):
        confirm_ended = forms.BooleanField(
            label=_("我已知悉该措施已经结束，仍予发布"),
            required=False,
            help_text=_("措施已结束的公告仍会作为信用记录公示；仅在确有必要时发布。"),
        )
        # The day the measure ended, set by the moderation window when it has (the task checks again).
        measure_ended = forms.CharField(required=False, widget=forms.HiddenInput)

        def clean(self):
            data = super().clean()
            if data.get("measure_ended") and not data.get("confirm_ended"):
                self.add_error(
                    "confirm_ended",
                    _("该措施已于 %(date)s 结束；确需发布的，请勾选确认。") % {"date": data["measure_ended"]},
                )
            data.pop("measure_ended", None)
            return data

    return NoticeModerationForm


def ended_refusal(ended: Any) -> str:
    """Why an approval of a measure that already ended was not carried out."""
    from django.utils.translation import gettext as _

    return _("该措施已于 %(date)s 结束。请在审核窗口中查看公告并勾选确认后再发布。") % {"date": ended.isoformat()}
