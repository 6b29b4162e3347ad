"""The /cms/ pages of the credit authorities: the notices within one's authority, and withdrawing one.

A supervisor sees here the notices of agencies in its region and category scope, the platform credit
office those of every agency; nobody else reaches these pages (403). A notice is never edited or
unpublished in Wagtail (``cms.models.FrozenPagePermissionTester``): it is withdrawn, with a reason,
through the domain service ``cms.services.notice_withdraw`` — the same path an overturned record or
an approved repair takes — so the notice stays in the archive marked withdrawn and its
``NoticeRequest`` says so. Who withdrew it and why goes to Wagtail's history of the page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from marketplace.authority import agencies_in_authority, is_credit_office
from marketplace.forms import PlainForm
from marketplace.personal_data import validate_public_text
from marketplace.selectors import supervisor_profile_of

from .models import LIST_DEFER, NoticePage, NoticeRequest
from .services import notice_withdraw

WITHDRAW_ACTION = "cms.notice_withdraw"
PER_PAGE = 50


def has_notice_authority(user) -> bool:
    """Whether the account withdraws notices at all: the platform credit office, or a supervisor."""
    return is_credit_office(user) or supervisor_profile_of(user) is not None


def notices_in_authority(user) -> QuerySet[NoticePage]:
    """Notices whose subject agency is in the account's credit authority (projects' notices are nobody's here)."""
    notices = NoticePage.objects.exclude(subject_uscc="")
    if is_credit_office(user):
        return notices
    return notices.filter(subject_uscc__in=agencies_in_authority(user).values("uscc"))


class WithdrawForm(PlainForm):
    reason = forms.CharField(
        label=gettext_lazy("撤回原因"),
        max_length=200,
        validators=[validate_public_text],
        help_text=gettext_lazy("将显示在公告上，例如「异议成立，已撤销」或「信用修复，停止公示」。"),
    )


def _authority_check(request) -> None:
    if not has_notice_authority(request.user):
        raise PermissionDenied(_("仅监管部门或平台信用管理部门可以撤回公告。"))


def notice_authority_list(request):
    """The notices of agencies in the account's authority, newest first, each with its withdrawal."""
    _authority_check(request)
    query = request.GET.get("q", "").strip()[:100]  # a search term is a title or a USCC, never longer
    notices = notices_in_authority(request.user).defer(*LIST_DEFER).order_by("-first_published_at", "-pk")
    if query:
        notices = notices.filter(
            Q(subject_uscc=query.upper()) | Q(subject_name__contains=query) | Q(title__contains=query)
        )
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("p"))
    with_request = set(NoticeRequest.objects.filter(page_id__in=[n.pk for n in page]).values_list("page_id", flat=True))
    context = {
        "page_title": _("本监管范围内的公告"),
        "header_icon": "doc-full",
        "notices": page,
        "with_request": with_request,
        "query": query,
        "platform": is_credit_office(request.user),
    }
    return TemplateResponse(request, "cms/supervisor_notices.html", context)


def notice_authority_withdraw(request, page_id: int):
    """Withdraw one notice in the account's authority through the notice service, with a reason."""
    _authority_check(request)
    page = get_object_or_404(NoticePage, pk=page_id)
    if not notices_in_authority(request.user).filter(pk=page.pk).exists():
        raise PermissionDenied(_("该公告所涉机构不在您的监管范围内。"))
    notice_request = NoticeRequest.objects.filter(source_key=page.source_key).first()
    if notice_request is None or page.withdrawn or notice_request.withdrawn_at:
        messages.error(request, _("该公告已撤回，或不是由本平台发布请求生成的公告，不能在此撤回。"))
        return redirect("cms_notice_authority_list")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        with transaction.atomic():
            notice_withdraw(source_key=page.source_key, reason=reason)
            log(instance=page, action=WITHDRAW_ACTION, user=request.user, data={"reason": reason})
        messages.success(request, _("公告「%(title)s」已撤回。") % {"title": page.title})
        return redirect("cms_notice_authority_list")
    context = {
        "page_title": _("撤回公告"),
        "header_icon": "doc-full",
        "notice": page,
        "form": form,
    }
    return TemplateResponse(request, "cms/supervisor_notice_withdraw.html", context)
