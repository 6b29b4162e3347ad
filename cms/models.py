"""Wagtail pages (home, notices) and the notice outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The public front page of the marketplace (门户首页)."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    subpage_types = ["cms.NoticeIndexPage"]

    class Meta:
        verbose_name = _("门户首页")


class NoticeIndexPage(Page):
    """The container of every published notice (公告公示)."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NoticePage"]
    max_count = 1

    class Meta:
        verbose_name = _("公告栏目")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["notices"] = (
            NoticePage.objects.child_of(self).live().filter(withdrawn=False).order_by("-first_published_at")[:50]
        )
        return context


class NoticePage(Page):
    """A published notice: a snapshot of a domain event, never rewritten by later edits."""

    kind = models.CharField(_("公告类型"), max_length=20, db_index=True)
    source_key = models.CharField(max_length=120, unique=True)
    payload = models.JSONField(_("公告内容"))
    subject_name = models.CharField(_("机构名称"), max_length=200, blank=True, db_index=True)
    subject_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True, db_index=True)
    body_text = models.TextField(_("正文"), blank=True)
    withdrawn = models.BooleanField(_("已撤销"), default=False, db_index=True)
    withdrawn_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []
    search_fields = [
        *Page.search_fields,
        index.SearchField("body_text"),
        index.SearchField("subject_name"),
        index.FilterField("kind"),
        index.FilterField("withdrawn"),
        index.AutocompleteField("subject_name"),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("body_text"),
        FieldPanel("withdrawn"),
        FieldPanel("withdrawn_reason"),
    ]

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")

    def get_kind_display(self) -> str:
        return str(NoticeRequest.Kind(self.kind).label) if self.kind in NoticeRequest.Kind.values else self.kind


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
