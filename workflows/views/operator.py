"""The operator's (运营机构) pages: the queue of projects waiting for review, and one project to publish
or return with a note.

Every page needs a signed-in account in the operator role; writes go through
``workflows.services.procurement.projects.project_review``, whose transition refuses a second publish or return
by state, so a re-sent form never writes twice.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.lockouts import lockout_clear, lockout_list

from ..forms.operator import ReturnForm
from ..models import Project
from ..selectors.operator import OperatorProjectPage, project_get_for_operator_project, project_list_for_operator_queue
from ..services.procurement.projects import project_review
from .common import operator_required, refusal_show


@require_http_methods(["GET"])
@operator_required
def queue(request: HttpRequest) -> HttpResponse:
    """项目审核: projects waiting for review, oldest first."""
    projects = list(project_list_for_operator_queue())
    return render(request, "workflows/operator_queue.html", {"projects": projects})


def _project_render(request: HttpRequest, page: OperatorProjectPage, form: ReturnForm | None = None) -> HttpResponse:
    return render(
        request,
        "workflows/operator_project.html",
        {"page": page, "project": page.project, "return_form": form or ReturnForm()},
    )


@require_http_methods(["GET", "POST"])
@operator_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    """项目审核详情: every term of the project; publish it (sign-up opens) or return it with a note."""
    page = project_get_for_operator_project(code)
    if page is None:
        raise Http404(_("没有找到该项目。"))
    if request.method == "GET":
        return _project_render(request, page)
    action = request.POST.get("action", "")
    if action == "publish":
        result = project_review(project=page.project, actor=request.user, publish=True)
        if result.ok:
            project = Project.objects.get(pk=page.project.pk)
            deadline = timezone.localtime(project.signup_deadline).strftime("%Y-%m-%d %H:%M")
            if project.method == Project.Method.DIRECT:
                messages.success(request, _("项目已发布，报名截止时间 %(deadline)s。") % {"deadline": deadline})
            else:
                # The commitment fixes the draw (or the tie-break draw) before anyone signs up.
                messages.success(
                    request,
                    _("项目已发布，报名截止时间 %(deadline)s；抽取承诺值 %(commitment)s 已随公告公开。")
                    % {"deadline": deadline, "commitment": project.draw_commitment},
                )
        else:
            refusal_show(request, result)
        return redirect("operator-project", code=code)
    if action == "return":
        form = ReturnForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("退回须填写修改意见。"))
            return _project_render(request, page, form)
        try:
            result = project_review(
                project=page.project, actor=request.user, publish=False, note=form.cleaned_data["note"]
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form, field="note")
            return _project_render(request, page, form)
        if result.ok:
            messages.success(request, _("项目「%(code)s」已退回项目业主修改。") % {"code": code})
            return redirect("operator-queue")
        refusal_show(request, result)
        return redirect("operator-project", code=code)
    messages.error(request, _("无法识别的操作，请刷新页面后重试。"))
    return redirect("operator-project", code=code)


@require_http_methods(["GET", "POST"])
@operator_required
def lockouts(request: HttpRequest) -> HttpResponse:
    """登录锁定: sign-ins locked after repeated wrong passwords; the operator unlocks one on request."""
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        if username and lockout_clear(username=username, actor=request.user):
            messages.success(request, _("已解除用户名「%(username)s」的登录锁定。") % {"username": username})
        else:
            messages.error(request, _("用户名「%(username)s」当前没有登录锁定。") % {"username": username})
        return redirect("operator-lockouts")
    return render(request, "workflows/operator_lockouts.html", {"lockouts": lockout_list()})
