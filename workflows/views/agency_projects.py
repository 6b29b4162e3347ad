"""The agency clerk's procurement pages: open projects it may sign up for, one project (sign up,
withdraw, confirm or decline a win), its sign-ups and engagements, one engagement (contract, result,
payment receipt).

Every page needs a signed-in account in the agency role acting for an agency (guardian); sign-ups and
engagements are looked up within that agency, so anyone else's is a 404. Writes go through the
services, which lock their rows and refuse by state, so a re-sent form never writes twice; payment
confirmation carries an idempotency key in the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.models import Agency

from ..forms.agency_projects import (
    ContractUploadForm,
    DeclineForm,
    PaymentConfirmForm,
    ResultSubmitForm,
    SignupForm,
)
from ..models import Engagement
from ..selectors.agency_projects import (
    AgencyProjectPage,
    EngagementPage,
    engagement_get_for_agency_engagement,
    project_get_for_agency_project,
    project_list_for_agency_projects,
    signup_list_for_agency_signups,
)
from ..selectors.identity import identity_refusal
from ..services.delivery import engagements as engagement_services
from ..services.delivery import payments as payment_services
from ..services.procurement import award as award_services
from ..services.procurement import signups as signup_services
from .common import agency_required, refusal_show, result_show

# --- agency-projects ------------------------------------------------------------------------------


@require_http_methods(["GET"])
@agency_required
def project_list(request: HttpRequest, agency: Agency) -> HttpResponse:
    """可报名项目: open projects before their deadline the agency is eligible for; or all, with why not."""
    show_all = request.GET.get("all") == "1"
    page = project_list_for_agency_projects(agency, show_all=show_all, page_number=request.GET.get("page"))
    return render(request, "workflows/agency_project_list.html", {"page": page})


# --- agency-project -------------------------------------------------------------------------------


def _project_page(agency: Agency, code: str) -> AgencyProjectPage:
    page = project_get_for_agency_project(agency, code)
    if page is None:
        raise Http404(_("没有找到该项目。"))
    return page


def _project_render(
    request: HttpRequest,
    page: AgencyProjectPage,
    *,
    form: SignupForm | None = None,
    decline_form: DeclineForm | None = None,
    refusals=(),
) -> HttpResponse:
    context = {
        "page": page,
        "project": page.project,
        "signup": page.signup,
        "form": form or SignupForm(project=page.project),
        "decline_form": decline_form or DeclineForm(),
        "refusals": refusals,
        "identity_problem": identity_refusal(page.agency, pgettext("identity refusal", "报名"))
        if page.may_try_sign_up
        else None,
    }
    return render(request, "workflows/agency_project_detail.html", context)


@require_http_methods(["GET", "POST"])
@agency_required
def project_detail(request: HttpRequest, agency: Agency, code: str) -> HttpResponse:
    """项目详情: the announcement, and the agency's sign-up — submit, withdraw, confirm or decline the win."""
    page = _project_page(agency, code)
    if request.method == "GET":
        return _project_render(request, page)
    action = request.POST.get("action", "")
    if action == "signup":
        return _signup_post(request, agency, page)
    if action == "withdraw":
        return _withdraw_post(request, page)
    if action == "confirm":
        return _confirm_post(request, page)
    if action == "decline":
        return _decline_post(request, page)
    messages.error(request, _("无法识别的操作，请刷新页面后重试。"))
    return redirect("agency-project", code=code)


def _signup_post(request: HttpRequest, agency: Agency, page: AgencyProjectPage) -> HttpResponse:
    """Sign up; a gate refusal shows every reason with its rule and basis, and nothing is written."""
    form = SignupForm(request.POST, request.FILES, project=page.project)
    if not form.is_valid():
        messages.error(request, _("报名未提交，请按提示修改。"))
        return _project_render(request, page, form=form)
    try:
        outcome = signup_services.signup_submit(
            project=page.project,
            agency=agency,
            actor=request.user,
            quote=form.cleaned_data["quote"],
            proposal=form.cleaned_data.get("proposal"),
        )
    except ApplicationError as exc:
        # Out of band, after the deadline, a duplicate: said at the top, since the form may no longer show.
        refusal_show(request, exc)
        refusal_show(request, exc, form=form)
        return _project_render(request, _project_page(agency, page.project.code), form=form)
    if not outcome.ok:
        messages.error(request, _("信用审查未通过，未能报名。"))
        return _project_render(request, page, form=form, refusals=outcome.refusals)
    messages.success(request, _("报名成功。报价已密封保存，报名截止后方可开启。"))
    return redirect("agency-project", code=page.project.code)


def _withdraw_post(request: HttpRequest, page: AgencyProjectPage) -> HttpResponse:
    """Withdraw the sign-up before the deadline."""
    signup = page.live_signup
    if signup is None:
        messages.error(request, _("贵机构在该项目没有可撤回的报名。"))
        return redirect("agency-project", code=page.project.code)
    try:
        result = signup_services.signup_withdraw(signup=signup, actor=request.user)
    except ApplicationError as exc:
        refusal_show(request, exc)
    else:
        result_show(request, result, _("报名已撤回。截止前仍可重新报名。"))
    return redirect("agency-project", code=page.project.code)


def _confirm_post(request: HttpRequest, page: AgencyProjectPage) -> HttpResponse:
    """The winner confirms it will sign the contract."""
    signup = page.live_signup
    if signup is None:
        messages.error(request, _("贵机构在该项目没有中选记录。"))
        return redirect("agency-project", code=page.project.code)
    result = award_services.winner_confirm(signup=signup, actor=request.user)
    result_show(request, result, _("已确认中选。公示期满后进入签约，请按时上传合同。"))
    return redirect("agency-project", code=page.project.code)


def _decline_post(request: HttpRequest, page: AgencyProjectPage) -> HttpResponse:
    """The winner gives up the win with a reason; the credit event and the alternate follow."""
    signup = page.live_signup
    form = DeclineForm(request.POST)
    if signup is None:
        messages.error(request, _("贵机构在该项目没有中选记录。"))
        return redirect("agency-project", code=page.project.code)
    if not form.is_valid():
        messages.error(request, _("放弃中选资格须说明理由。"))
        return _project_render(request, page, decline_form=form)
    try:
        result = award_services.winner_decline(signup=signup, actor=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        refusal_show(request, exc, form=form, field="reason")
        return _project_render(request, page, decline_form=form)
    result_show(request, result, _("已放弃中选资格，已记录相应信用事件，由排名下一位的备选机构递补。"))
    return redirect("agency-project", code=page.project.code)


# --- agency-signups -------------------------------------------------------------------------------


@require_http_methods(["GET"])
@agency_required
def signup_list(request: HttpRequest, agency: Agency) -> HttpResponse:
    """我的报名与服务: every sign-up and engagement with its state and the next thing to do."""
    page = signup_list_for_agency_signups(agency)
    return render(request, "workflows/agency_project_mine.html", {"page": page})


# --- agency-engagement ----------------------------------------------------------------------------


def _engagement_page(agency: Agency, pk: int) -> EngagementPage:
    page = engagement_get_for_agency_engagement(agency, pk)
    if page is None:
        raise Http404(_("没有找到该服务项目。"))
    return page


def _engagement_render(
    request: HttpRequest,
    page: EngagementPage,
    *,
    contract_form: ContractUploadForm | None = None,
    result_form: ResultSubmitForm | None = None,
    payment_form: PaymentConfirmForm | None = None,
    refusals=(),
) -> HttpResponse:
    context = {
        "page": page,
        "engagement": page.engagement,
        "project": page.engagement.project,
        "contract_form": contract_form or ContractUploadForm(),
        "result_form": result_form or ResultSubmitForm(),
        "payment_form": payment_form or PaymentConfirmForm.fresh(),
        "refusals": refusals,
    }
    return render(request, "workflows/agency_project_engagement.html", context)


@require_http_methods(["GET", "POST"])
@agency_required
def engagement_detail(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """服务项目: upload the contract, deliver the result, confirm the payment received."""
    page = _engagement_page(agency, pk)
    if request.method == "GET":
        return _engagement_render(request, page)
    action = request.POST.get("action", "")
    if action == "contract":
        return _contract_post(request, page)
    if action == "result":
        return _result_post(request, page)
    if action == "payment":
        return _payment_post(request, page)
    messages.error(request, _("无法识别的操作，请刷新页面后重试。"))
    return redirect("agency-engagement", pk=pk)


def _contract_post(request: HttpRequest, page: EngagementPage) -> HttpResponse:
    """Upload the signed contract before the contract deadline."""
    engagement = page.engagement
    if page.contract_deadline_passed:
        messages.error(
            request,
            _("签约期限已于 %(due)s 届满，不能再上传合同。")
            % {"due": timezone.localtime(engagement.contract_due).strftime("%Y-%m-%d %H:%M")},
        )
        return redirect("agency-engagement", pk=engagement.pk)
    form = ContractUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("合同未上传，请按提示修改。"))
        return _engagement_render(request, page, contract_form=form)
    try:
        engagement_services.contract_upload(engagement=engagement, actor=request.user, file=form.cleaned_data["file"])
    except ApplicationError as exc:
        refusal_show(request, exc)
    else:
        messages.success(request, _("合同已上传，等待项目业主确认签约。"))
    return redirect("agency-engagement", pk=engagement.pk)


def _result_post(request: HttpRequest, page: EngagementPage) -> HttpResponse:
    """Deliver the result; a late delivery is recorded as a credit event and the page says so."""
    engagement = page.engagement
    form = ResultSubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("成果未提交，请按提示修改。"))
        return _engagement_render(request, page, result_form=form)
    # Judged before the service runs: the runner updates ``engagement`` in place to its new state.
    was_late = page.is_late
    result = engagement_services.result_submit(
        engagement=engagement, actor=request.user, file=form.cleaned_data["file"]
    )
    if result_show(request, result, _("服务成果已提交，等待项目业主验收。")):
        late = Engagement.objects.filter(pk=engagement.pk, late_recorded=True).exists()
        if late and was_late:
            messages.warning(request, _("成果提交时已超过服务截止时间，平台已记录逾期交付（DELIVERY_LATE）信用事件。"))
    elif result.refusals:
        # The gate refused (an expelled agency the buyer did not keep on): each reason with its rule and basis.
        messages.error(request, _("信用审查未通过，成果未提交。"))
        return _engagement_render(
            request, _engagement_page(page.engagement.agency, engagement.pk), refusals=result.refusals
        )
    return redirect("agency-engagement", pk=engagement.pk)


def _payment_post(request: HttpRequest, page: EngagementPage) -> HttpResponse:
    """Confirm receipt of the transfer; the same key confirms once however often it is sent."""
    engagement = page.engagement
    form = PaymentConfirmForm(request.POST)
    if page.payment is None or not form.is_valid():
        messages.error(request, _("没有待确认的付款，或表单已失效，请刷新页面后重试。"))
        return redirect("agency-engagement", pk=engagement.pk)
    try:
        payment_services.payment_confirm(payment=page.payment, actor=request.user, key=form.cleaned_data["key"])
    except ApplicationError as exc:
        refusal_show(request, exc)
    else:
        messages.success(request, _("已确认收款。"))
    return redirect("agency-engagement", pk=engagement.pk)
