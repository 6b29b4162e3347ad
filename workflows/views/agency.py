"""The agency clerk's pages for its life in the market: entry application, 我的信用, credit cases.

Every page needs a signed-in account in the agency role that acts for an agency (guardian object
permission); rows are always looked up within that agency, so another agency's entry or case is a
404. Writes go through the services, which refuse by state or lock their rows, so a re-sent form
never writes twice; the membership page also compares a fingerprint of the state the form was
drawn from (``token``) under a row lock.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.models import Agency

from ..forms.agency import ApplicationForm, CaseResponseForm, ObjectionForm, QualificationForm, RepairForm
from ..models import Membership
from ..selectors import facts
from ..selectors.agency import (
    case_get_for_agency,
    case_list_for_agency_cases,
    entry_get_for_agency,
    ledger_list_for_agency_credit,
    membership_for_agency_page,
    membership_token,
)
from ..selectors.files import file_get_for_agency
from ..selectors.identity import identity_refusal
from ..services import membership as membership_services
from ..services.credit import cases as case_services
from ..services.credit import objections as objection_services
from ..services.credit import repairs as repair_services
from ..services.transitions import TransitionResult
from .common import agency_required, file_response, refusal_show

# --- the entry application ----------------------------------------------------------------------


def _application_form(page, data=None) -> ApplicationForm:
    membership = page.membership
    initial = {
        "statement": membership.statement if membership else "",
        "categories": [c.pk for c in page.categories],
        "token": membership_token(membership),
    }
    return ApplicationForm(data=data, initial=initial)


def _membership_render(
    request: HttpRequest,
    agency: Agency,
    *,
    form: ApplicationForm | None = None,
    qualification_form: QualificationForm | None = None,
    result: TransitionResult | None = None,
    confirm_withdraw: bool = False,
    status: int = 200,
) -> HttpResponse:
    page = membership_for_agency_page(agency)
    context = {
        "page": page,
        "membership": page.membership,
        "form": form or _application_form(page),
        "qualification_form": qualification_form or QualificationForm(),
        "token": membership_token(page.membership),
        "refusals": result.refusals if result is not None else (),
        "confirm_withdraw": confirm_withdraw and page.can_leave_or_renew,
        "identity_problem": identity_refusal(agency, pgettext("identity refusal", "申请入驻")),
    }
    return render(request, "workflows/agency_membership.html", context, status=status)


def _locked(membership: Membership | None) -> Membership | None:
    """The membership row, locked for this transaction (None when there is none)."""
    if membership is None:
        return None
    return Membership.objects.select_for_update().filter(pk=membership.pk).first()


def _stale(locked: Membership | None, token: str) -> bool:
    return membership_token(locked) != token


@require_http_methods(["GET", "POST"])
@agency_required
def membership_page(request: HttpRequest, agency: Agency) -> HttpResponse:
    """入驻申请: fill in, sign and submit the application; once admitted, renew or withdraw."""
    if request.method == "GET":
        return _membership_render(request, agency, confirm_withdraw=request.GET.get("confirm") == "withdraw")

    action = request.POST.get("action", "")
    token = request.POST.get("token", "")
    if action == "start":
        if facts.current_membership(agency) is not None:
            # A second click, or a page left open: the application already exists and is shown.
            messages.info(request, _("贵机构已有进行中的入驻申请。"))
            return redirect("agency-membership")
        try:
            membership_services.membership_start(agency=agency, actor=request.user)
        except ApplicationError as exc:
            refusal_show(request, exc)
            return redirect("agency-membership")
        messages.success(request, _("已创建入驻申请，请填写申请材料并签署信用承诺书。"))
        return redirect("agency-membership")
    if action in ("save", "submit"):
        return _application_post(request, agency, action)
    if action in ("renew", "withdraw"):
        return _membership_change(request, agency, action, token)
    messages.error(request, _("无法识别的操作，请刷新页面后重试。"))
    return redirect("agency-membership")


def _application_post(request: HttpRequest, agency: Agency, action: str) -> HttpResponse:
    """Save the application, and on 提交 submit it: unsigned, incomplete or refused leaves the state as it was."""
    page = membership_for_agency_page(agency)
    form = _application_form(page, data=request.POST)
    if not form.is_valid():
        return _membership_render(request, agency, form=form)
    data = form.cleaned_data
    if action == "submit" and not data["accept_commitment"]:
        form.add_error("accept_commitment", _("须阅读并签署信用承诺书后方可提交。"))
        return _membership_render(request, agency, form=form)

    with transaction.atomic():
        # Lock the row so a second click waits, then finds the state moved and writes nothing.
        locked = _locked(page.membership)
        if locked is None or _stale(locked, data["token"]):
            messages.error(request, _("申请状态已发生变化（可能已提交或已被处理），页面已刷新，请核对后再操作。"))
            return redirect("agency-membership")
        try:
            membership = membership_services.membership_update_application(
                membership=locked, actor=request.user, statement=data["statement"], categories=data["categories"]
            )
        except ApplicationError as exc:
            refusal_show(request, exc)
            return redirect("agency-membership")
        if action == "save":
            messages.success(request, _("申请材料已保存。"))
            return redirect("agency-membership")
        try:
            result = membership_services.membership_submit(
                membership=membership, actor=request.user, accept_commitment=True
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
            messages.error(request, _("申请材料已保存，但尚不能提交，请先补齐下列事项。"))
            return _membership_render(request, agency, form=form)
    if result.ok:
        current = Membership.objects.get(pk=membership.pk)
        if current.state == Membership.State.ACTIVE:
            messages.success(request, _("信用良好，适用绿色通道：已免于人工审核，准予入驻。"))
        else:
            messages.success(request, _("入驻申请已提交，请等待监管部门审核。"))
        return redirect("agency-membership")
    if result.decision is not None and result.refusals:
        messages.error(request, _("信用审查未通过，申请未提交，状态保持不变。"))
        return _membership_render(request, agency, result=result)
    refusal_show(request, result)
    return redirect("agency-membership")


def _membership_change(request: HttpRequest, agency: Agency, action: str, token: str) -> HttpResponse:
    """Renew the term or withdraw from the market (after the confirmation step)."""
    if action == "withdraw" and request.POST.get("confirm") != "yes":
        return _membership_render(request, agency, confirm_withdraw=True)
    with transaction.atomic():
        locked = _locked(facts.current_membership(agency))
        if locked is None or _stale(locked, token):
            messages.error(request, _("入驻状态已发生变化（可能已办理），页面已刷新，请核对后再操作。"))
            return redirect("agency-membership")
        if action == "renew":
            result = membership_services.membership_renew(membership=locked, actor=request.user, as_role="agency")
        else:
            result = membership_services.membership_withdraw(membership=locked, actor=request.user)
    if result.ok:
        after = Membership.objects.get(pk=locked.pk)
        if action == "renew":
            messages.success(
                request,
                _("绿色通道续期成功，入驻有效期延至 %(date)s。") % {"date": after.term_until},
            )
        else:
            messages.success(request, _("已退出平台。如需再次入驻，可重新提交入驻申请。"))
        return redirect("agency-membership")
    if action == "renew" and membership_services.renewal_sent_for_review(result):
        # Not a refusal: without the green channel a supervisor reviews the renewal (in the renewals queue).
        messages.success(request, _("续期申请已提交，请等待监管部门审核；审核通过后入驻有效期将延长。"))
        return redirect("agency-membership")
    if result.decision is not None and result.refusals:
        if action == "renew":
            messages.warning(request, _("未能自动续期，见下方说明。"))
        else:
            messages.error(request, _("暂不能退出，见下方说明。"))
        return _membership_render(request, agency, result=result)
    refusal_show(request, result)
    return redirect("agency-membership")


@require_http_methods(["GET", "POST"])
@agency_required
def qualification_add(request: HttpRequest, agency: Agency) -> HttpResponse:
    """登记资质证书 with its scan; errors are shown on the application page next to the form."""
    if request.method == "GET":
        return render(request, "workflows/agency_qualification_form.html", {"form": QualificationForm()})
    form = QualificationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership_services.qualification_add(
                agency=agency,
                actor=request.user,
                qualification_type=data["qualification_type"],
                level=data["level"],
                certificate_no=data["certificate_no"],
                issued_by=data["issued_by"],
                valid_until=data["valid_until"],
                document=data["document"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("资质证书「%(no)s」已登记。") % {"no": data["certificate_no"]})
            return redirect("agency-membership")
    messages.error(request, _("资质证书未登记，请按提示修改。"))
    if request.POST.get("from") == "standalone":
        return render(request, "workflows/agency_qualification_form.html", {"form": form})
    return _membership_render(request, agency, qualification_form=form)


# --- 我的信用 -------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@agency_required
def credit_page(request: HttpRequest, agency: Agency) -> HttpResponse:
    """我的信用: score, grade, measures in force, every ledger entry and what can be done about it."""
    page = ledger_list_for_agency_credit(agency)
    return render(request, "workflows/agency_credit.html", {"page": page})


def _entry_or_404(agency: Agency, entry_id: int):
    entry = entry_get_for_agency(agency, entry_id)
    if entry is None:
        raise Http404(_("没有找到该信用记录。"))
    return entry


@require_http_methods(["GET", "POST"])
@agency_required
def objection_new(request: HttpRequest, agency: Agency, entry_id: int) -> HttpResponse:
    """提出异议 on one of the agency's ledger entries; the entry is flagged disputed at once."""
    entry = _entry_or_404(agency, entry_id)
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection_services.objection_submit(
                entry=entry,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data["evidence"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("异议已提交，该记录已标注为“异议处理中”。"))
            return redirect("agency-credit")
    return render(request, "workflows/agency_objection_form.html", {"entry": entry, "form": form})


@require_http_methods(["GET", "POST"])
@agency_required
def repair_new(request: HttpRequest, agency: Agency, entry_id: int) -> HttpResponse:
    """申请信用修复 for an eligible entry, with the correction and its proof."""
    entry = _entry_or_404(agency, entry_id)
    problem = repair_services.repair_problem(entry)
    form = RepairForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            repair_services.repair_submit(
                entry=entry,
                actor=request.user,
                correction=form.cleaned_data["correction"],
                evidence=form.cleaned_data["evidence"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("信用修复申请已提交，请等待监管部门审核。"))
            return redirect("agency-credit")
        problem = repair_services.repair_problem(entry)
    return render(request, "workflows/agency_repair_form.html", {"entry": entry, "form": form, "problem": problem})


# --- credit cases -------------------------------------------------------------------------------


@require_http_methods(["GET"])
@agency_required
def cases_page(request: HttpRequest, agency: Agency) -> HttpResponse:
    """信用惩戒案件: proposed measures the agency was told of, its responses, the decisions."""
    return render(request, "workflows/agency_cases.html", {"rows": case_list_for_agency_cases(agency)})


@require_http_methods(["GET", "POST"])
@agency_required
def case_respond(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """陈述申辩: the agency states its case before the response due date."""
    row = case_get_for_agency(agency, pk)
    if row is None:
        raise Http404(_("没有找到该案件。"))
    case = row.case
    form = CaseResponseForm(request.POST or None, initial={"response": case.agency_response})
    if request.method == "POST" and form.is_valid():
        try:
            case_services.case_respond(case=case, actor=request.user, response=form.cleaned_data["response"])
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("陈述申辩意见已提交。"))
            return redirect("agency-cases")
    return render(request, "workflows/agency_case_respond.html", {"row": row, "case": case, "form": form})


# --- the agency's own uploads (never under a public URL) ---------------------------------------------


@agency_required
def private_file(request: HttpRequest, agency: Agency, kind: str, pk: int):
    """Download one of the agency's own uploads, or its engagement's contract and result."""
    return file_response(file_get_for_agency(agency, kind, pk))
