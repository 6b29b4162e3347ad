"""Wagtail pages (home, notices) and the notice outbox."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.template.response import TemplateResponse
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import GroupApprovalTask, Page, PagePermissionTester
from wagtail.search import index

from marketplace.authority import agencies_in_authority, is_credit_office
from marketplace.roles import Role, has_role

from .panels import NoticePreviewPanel
from .text import search_grams

# The list rows never show the snapshot itself: leave the two large columns in the database.
LIST_DEFER = ("payload", "body_text")


def notice_shown(today: datetime.date | None = None) -> Q:
    """Notices on the active lists: not withdrawn, and within their publication period if they have one."""
    today = today or timezone.localdate()
    return Q(withdrawn=False) & (Q(public_until__isnull=True) | Q(public_until__gte=today))


class PublicCachedPageMixin:
    """For pages the public reads often: served whole from the cache to visitors without a session."""

    def serve(self, request, *args, **kwargs):
        from .caching import cached_page, page_cacheable

        if not page_cacheable(request) or request.GET:
            return super().serve(request, *args, **kwargs)  # type: ignore[misc]

        def render():
            context = self.get_context(request, *args, **kwargs)  # type: ignore[attr-defined]
            template = self.get_template(request, *args, **kwargs)  # type: ignore[attr-defined]
            return TemplateResponse(request, template, context)

        return cached_page(request, f"wagtail-page:{self.pk}", render)  # type: ignore[attr-defined]


class HomePage(PublicCachedPageMixin, Page):
    """The public front page of the marketplace (门户首页)."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    subpage_types = ["cms.NoticeIndexPage"]

    class Meta:
        verbose_name = _("门户首页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["latest_html"] = home_latest_html(request)
        return context


class FrozenPagePermissionTester(PagePermissionTester):
    """What anyone — supervisor, operator, superuser — may do to a notice, or to the notice index, in /cms/.

    Nothing that changes one: no edit (content, slug, dates, privacy), unpublish, delete, move, copy,
    lock, publish by hand, resubmission, or new child page. A notice is a frozen snapshot of a domain
    event; it is created by the outbox publisher, approved as it is in the moderation workflow
    (``NoticeApprovalTask``), and withdrawn only through ``cms.services.notice_withdraw`` (the
    「撤回公告」 page of /cms/, ``cms.admin_views``). The index holds every notice: moving, deleting or
    unpublishing it would move or take down all of them, and a page added under it by hand would be a
    notice no domain event asked for. Wagtail's views, bulk actions and its own publish action all ask
    this object; the hooks in ``cms.wagtail_hooks`` refuse the same again.
    """

    def can_add_subpage(self):
        return False

    def can_edit(self):
        return False

    def can_delete(self, ignore_bulk=False):
        return False

    def can_unpublish(self):
        return False

    def can_publish(self):
        return False

    def can_submit_for_moderation(self):
        return False

    def can_set_view_restrictions(self):
        return False

    def can_unschedule(self):
        return False

    def can_lock(self):
        return False

    def can_unlock(self):
        return False

    def can_publish_subpage(self):
        return False

    def can_reorder_children(self):
        return False

    def can_move(self):
        return False

    def can_copy(self):
        return False

    def can_move_to(self, destination):
        return False

    def can_copy_to(self, destination, recursive=False):
        return False


class NoticeIndexPage(Page):
    """The container of every published notice (公告公示).

    Its address is served by the notice list view (``cms.views.notice_list``, URL ``/notices/``,
    matched before Wagtail's catch-all); serving the page itself — a preview in /cms/, or the page
    under another slug — shows the same list, so there is one notice list, not two.
    """

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NoticePage"]
    max_count = 1

    class Meta:
        verbose_name = _("公告栏目")

    def serve(self, request, *args, **kwargs):
        # The view that owns the list's URL serves it; found by URL, so the model imports no view.
        return resolve(reverse("notice-list")).func(request)

    def permissions_for_user(self, user):
        return FrozenPagePermissionTester(user, self)


class NoticePage(PublicCachedPageMixin, Page):
    """A published notice: a snapshot of a domain event, never rewritten by later edits."""

    # Annotated: Wagtail ships no type stubs, so mypy cannot see that a Page subclass is a model.
    kind: models.CharField = models.CharField(_("公告类型"), max_length=20, db_index=True)
    source_key: models.CharField = models.CharField(max_length=120, unique=True)
    payload: models.JSONField = models.JSONField(_("公告内容"))
    subject_name: models.CharField = models.CharField(_("机构名称"), max_length=200, blank=True, db_index=True)
    subject_uscc: models.CharField = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    project_code: models.CharField = models.CharField(_("项目编号"), max_length=40, blank=True, db_index=True)
    body_text: models.TextField = models.TextField(_("正文"), blank=True)
    withdrawn: models.BooleanField = models.BooleanField(_("已撤销"), default=False, db_index=True)
    withdrawn_reason: models.CharField = models.CharField(_("撤销原因"), max_length=200, blank=True)
    # The end of a credit notice's publication period (its class's, by the credit policy); None: no end.
    public_until: models.DateField = models.DateField(_("公示期至"), null=True, blank=True, db_index=True)

    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []
    search_fields = [
        *Page.search_fields,
        index.SearchField("body_text"),
        index.SearchField("subject_name"),
        # Chinese has no spaces between words: the bigram text is what queries match (cms/text.py).
        index.SearchField("search_text"),
        index.FilterField("kind"),
        index.FilterField("withdrawn"),
        index.FilterField("public_until"),
        index.FilterField("subject_uscc"),
        index.AutocompleteField("subject_name"),
    ]
    # A notice is a snapshot: moderators approve or reject it in /cms/, they do not rewrite it.
    # It is shown as the public reads it (cms.panels), never as raw snapshot text or True/False.
    content_panels = [
        FieldPanel("title", read_only=True),
        NoticePreviewPanel(heading=_("公告内容（与公开页面一致）")),
    ]

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")

    @classmethod
    def latest(cls, limit: int = 8) -> list[NoticePage]:
        """The latest live active notices, for the front page."""
        return list(
            cls.objects.live().filter(notice_shown()).defer(*LIST_DEFER).order_by("-first_published_at", "-id")[:limit]
        )

    @property
    def publication_ended(self) -> bool:
        """Its publication period is over: it has left the active lists for the archive."""
        return self.public_until is not None and self.public_until < timezone.localdate()

    def get_kind_display(self) -> str:
        return str(NoticeRequest.Kind(self.kind).label) if self.kind in NoticeRequest.Kind.values else self.kind

    def search_text(self) -> str:
        """Title and text as single characters and bigrams, for Chinese full-text search."""
        return search_grams(f"{self.title}\n{self.body_text}")

    @property
    def summary(self) -> str:
        """One line saying what the notice is about, for feeds: organisation or project, and the matter."""
        p = self.payload or {}
        parts = [self.get_kind_display()]
        agency, project = p.get("agency") or {}, p.get("project") or {}
        if agency.get("name"):
            parts.append(f"{agency['name']}（{agency.get('uscc', '')}）")
        if project.get("name"):
            parts.append(f"{project['name']}（{project.get('code', '')}）")
        if (p.get("buyer") or {}).get("name"):
            parts.append(p["buyer"]["name"])
        if (p.get("winner") or {}).get("name"):
            parts.append(f"{p['winner']['name']}（{p['winner'].get('uscc', '')}）")
        for key in ("repaired_title", "entry_title", "reason"):
            if p.get(key):
                parts.append(str(p[key]))
        return " · ".join(parts)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["body_html"] = notice_body_html(self, request)
        return context

    def permissions_for_user(self, user):
        return FrozenPagePermissionTester(user, self)


# --- who sees and moderates which notice in /cms/ -------------------------------------------------------


def notice_moderator_everywhere(user) -> bool:
    """Platform staff moderate every notice: superusers, operators and the platform credit office."""
    return bool(
        getattr(user, "is_active", False)
        and (user.is_superuser or has_role(user, Role.OPERATOR) or is_credit_office(user))
    )


def notices_visible_to(user) -> models.QuerySet[NoticePage]:
    """The notices a /cms/ user may see and moderate.

    Platform staff: all. Anyone else: the notices whose subject (``subject_uscc``) is an agency in its
    credit authority — for a supervisor, its region and category scope (``supervisor_scope_q``); for
    an account with no authority, none. Notices with no agency as subject (projects) are platform
    staff's only.
    """
    if notice_moderator_everywhere(user):
        return NoticePage.objects.all()
    return NoticePage.objects.exclude(subject_uscc="").filter(
        subject_uscc__in=agencies_in_authority(user).values("uscc")
    )


class NoticeApprovalTask(GroupApprovalTask):
    """The one step of 「措施公告审核」: Wagtail's group approval, limited to the notices in the moderator's scope.

    A plain ``GroupApprovalTask`` lets every member of its groups see and act on every page on the task;
    a supervisor's authority ends at its scope. Here a member sees (dashboard, workflow preview) and
    acts (approve, request changes) only on the notices ``notices_visible_to`` gives it, ``on_action``
    checks again the page the task state belongs to (Wagtail's view checks the page in the URL, not
    the task state's), nobody opens the editor during moderation, and the approved revision is published
    exactly as the snapshot (``cms.moderation.notice_workflow_finish``). A proxy of
    ``GroupApprovalTask``: the task row keeps its groups; its content type says which class acts.
    """

    class Meta:
        proxy = True
        verbose_name = _("公告审核（按监管范围）")
        verbose_name_plural = _("公告审核（按监管范围）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.id:  # Task records its concrete class; this one is the proxy
            self.content_type = ContentType.objects.get_for_model(self, for_concrete_model=False)

    def _covers(self, obj, user) -> bool:
        if notice_moderator_everywhere(user):
            return True
        return isinstance(obj, Page) and notices_visible_to(user).filter(pk=obj.pk).exists()

    def user_can_access_editor(self, obj, user):
        return False  # a notice is a snapshot: approve or request changes, never edit

    def locked_for_user(self, obj, user):
        return True

    def user_can_lock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if not self._covers(obj, user):
            return []
        # Every decision opens the window that shows the notice as the public will read it (with its dates),
        # so nobody approves a notice unseen; an ended measure also asks to confirm there.
        names = {name for name, _label, _modal in super().get_actions(obj, user)}
        decisions = [("reject", _("Request changes")), ("approve", _("Approve"))]
        return [(name, label, True) for name, label in decisions if name in names]

    def get_form_for_action(self, action):
        from .approval import moderation_form_class

        return moderation_form_class() if action == "approve" else super().get_form_for_action(action)

    def get_template_for_action(self, action):
        return "cms/notice_moderation_action.html"

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if notice_moderator_everywhere(user):
            return states
        keys = notices_visible_to(user).annotate(key=Cast("pk", models.CharField())).values("key")
        return states.filter(workflow_state__object_id__in=keys)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        from .approval import ended_refusal, measure_ended_on

        page = task_state.workflow_state.content_object
        if action_name not in {name for name, _label, _modal in self.get_actions(page, user)}:
            raise PermissionDenied(_("该公告不在您的审核范围内。"))
        confirmed = kwargs.pop("confirm_ended", False)
        ended = measure_ended_on(page.specific) if action_name == "approve" else None
        if ended is not None and not confirmed:
            raise PermissionDenied(ended_refusal(ended))
        return super().on_action(task_state, user, action_name, **kwargs)


class NoticeRequest(models.Model):
    """Outbox row: a domain transition asks for a public notice in its own transaction.

    A Celery task turns each request into exactly one published Wagtail page; the unique source
    key makes retries and duplicate deliveries harmless. The payload is a snapshot taken when the
    event happened, so later edits to an agency never rewrite a published notice.
    """

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("采购公告")
        RESULT = "result", _("中选结果公示")
        CONTRACT = "contract", _("合同公告")
        TERMINATION = "termination", _("终止/流标公告")
        WARNING = "warning", _("信用警告")
        SUSPENSION = "suspension", _("暂停公告")
        EXPULSION = "expulsion", _("清退公告")
        REVOCATION = "revocation", _("撤销中选资格公告")
        RED_LIST = "red_list", _("红名单")
        REPAIR = "repair", _("信用修复/撤销公告")
        COMPLAINT_DECISION = "complaint_decision", _("投诉处理决定公告")
        DORMANT_EXIT = "dormant_exit", _("长期无业务退出公告")
        INSPECTION = "inspection", _("双随机抽查公告")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发布")
        MODERATION = "moderation", _("待审核")
        PUBLISHED = "published", _("已发布")
        FAILED = "failed", _("发布失败")

    source_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    payload = models.JSONField()
    moderated = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("公告发布请求")
        verbose_name_plural = _("公告发布请求")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_key}"


def notice_body_html(page: NoticePage, request) -> str:
    """A notice's article, rendered once per version and language; previews are never cached."""
    from django.template.loader import render_to_string

    from .caching import cached_html

    def render() -> str:
        return render_to_string("cms/includes/notice_page_body.html", {"page": page}, request=request)

    if getattr(request, "is_preview", False):
        return render()
    return cached_html("page", [page.pk], render)


def home_latest_html(request) -> str:
    """The front page's latest notices, rendered once per version and language."""
    from django.template.loader import render_to_string

    from .caching import cached_html

    return cached_html(
        "home",
        [],
        lambda: render_to_string("cms/includes/home_latest.html", {"notices": NoticePage.latest()}, request=request),
    )
