"""Wagtail pages (home, notices) and the notice outbox."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

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
    content_panels = [
        FieldPanel("title", read_only=True),
        FieldPanel("body_text", read_only=True),
        FieldPanel("withdrawn", read_only=True),
        FieldPanel("withdrawn_reason", read_only=True),
        FieldPanel("public_until", read_only=True),
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
