"""Wagtail hooks: notices are frozen snapshots, and a supervisor's /cms/ ends at its scope.

Who may do what to a notice in /cms/ is decided in three places, each a Wagtail extension point:

* ``cms.models.FrozenPagePermissionTester`` (``NoticePage.permissions_for_user``, and the notice
  index's): nobody — supervisor, operator or superuser — edits, unpublishes, moves, deletes, copies,
  locks or publishes a notice by hand. Wagtail's views, bulk actions and publish action ask it first.
* ``cms.models.NoticeApprovalTask`` (the task of 「措施公告审核」): a moderator sees and acts on the
  notices in its scope only; ``cms.moderation`` publishes the approved revision if it is the snapshot.
* the hooks below: the same refusals again at each view's own hook (so a change of the permission
  tester alone does not open them), a refusal to delete or move any page that holds notices (the
  home page), and the scope applied to the page explorer and the page chooser, which list pages
  Wagtail does not filter by task.

They also add the 「公告撤回」 pages (``cms.admin_views``) to the /cms/ menu of supervisors and the
platform credit office, and start Wagtail's date choosers without its inline scripts (the
Content-Security-Policy refuses them).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models import Page

from . import admin_views
from .models import NoticeIndexPage, NoticePage, notice_moderator_everywhere, notices_visible_to


def _is_frozen(page) -> bool:
    """Whether the page is a notice or the notice index."""
    return page.specific_class in (NoticePage, NoticeIndexPage)


def _holds_notices(page) -> bool:
    """Whether the page is a notice or the notice index, or has either below it (deleting, moving or
    copying it would delete, move or duplicate notices)."""
    if _is_frozen(page):
        return True
    return NoticePage.objects.descendant_of(page).exists() or NoticeIndexPage.objects.descendant_of(page).exists()


def _refused():
    return PermissionDenied(_("公告是事件的快照，任何人不得修改、下线、移动、复制或删除；撤回请使用「公告撤回」。"))


@hooks.register("before_edit_page")
@hooks.register("before_convert_alias_page")
def refuse_editing_notices(request, page):
    if _is_frozen(page):
        raise _refused()


@hooks.register("before_delete_page")
@hooks.register("before_copy_page")
def refuse_deleting_or_copying_notices(request, page):
    if _holds_notices(page):
        raise _refused()


@hooks.register("before_move_page")
def refuse_moving_notices(request, page, destination):
    if _holds_notices(page):
        raise _refused()


@hooks.register("before_create_page")
def refuse_notices_by_hand(request, parent_page, page_class):
    if page_class is NoticePage or _is_frozen(parent_page):
        raise PermissionDenied(_("公告只能由业务事件经公告服务生成，不能在后台手工添加。"))


@hooks.register("before_bulk_action")
def refuse_bulk_actions_on_notices(request, action_type, objects, action_class_instance):
    if any(isinstance(obj, Page) and _holds_notices(obj) for obj in objects):
        raise PermissionDenied(_("公告是事件的快照，不能批量修改、下线、移动或删除。"))


def _in_scope(pages, request):
    """Drop the notices outside the user's scope from a page listing (platform staff see every notice)."""
    if notice_moderator_everywhere(request.user):
        return pages
    outside = NoticePage.objects.exclude(pk__in=notices_visible_to(request.user).values("pk")).values("pk")
    return pages.exclude(pk__in=outside)


@hooks.register("construct_explorer_page_queryset")
def explorer_in_scope(parent_page, pages, request):
    return _in_scope(pages, request)


@hooks.register("construct_page_chooser_queryset")
def chooser_in_scope(pages, request):
    return _in_scope(pages, request)


@hooks.register("register_admin_urls")
def notice_authority_urls():
    return [
        path("notice-authority/", admin_views.notice_authority_list, name="cms_notice_authority_list"),
        path(
            "notice-authority/<int:page_id>/withdraw/",
            admin_views.notice_authority_withdraw,
            name="cms_notice_authority_withdraw",
        ),
    ]


class NoticeAuthorityMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.has_notice_authority(request.user)


@hooks.register("register_admin_menu_item")
def notice_authority_menu_item():
    return NoticeAuthorityMenuItem(
        gettext_lazy("公告撤回"), reverse("cms_notice_authority_list"), icon_name="doc-full", order=250
    )


@hooks.register("register_log_actions")
def notice_log_actions(actions):
    actions.register_action(admin_views.WITHDRAW_ACTION, gettext_lazy("撤回公告"), gettext_lazy("公告已撤回"))


@hooks.register("insert_global_admin_js")
def csp_safe_widgets_js():
    """Start the date and time choosers that cms/templates/wagtailadmin/widgets mark (no inline script)."""
    return format_html('<script src="{}" defer></script>', static("js/wagtail-widgets.js"))
