"""Identity verification (身份核验): registration with the business licence, the agency's own verification page
(state, reason, resubmission), and the operator's queue and review (the licence beside the registered data).

Writes go through ``services.identity``; the licence is served only here and by the agency file view, after
the party asking was checked (never under a public media URL).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.forms import AgencyRegistrationForm
from marketplace.models import Agency

from ..forms.agency import LicenceResubmitForm
from ..forms.confirm import ConfirmationForm, confirmation_token
from ..forms.operator import IdentityDecisionForm
from ..identity import method_label, verifier_current
from ..models import IdentityVerification
from ..selectors.identity import (
    OperatorIdentityPage,
    verification_for_agency,
    verification_get_for_operator,
    verification_list_for_operator_queue,
)
from ..services import identity as identity_services
from .common import agency_required, file_response, operator_required, refusal_show, result_show

DECIDE_PURPOSE = "identity_decide"


@require_http_methods(["GET", "POST"])
def agency_register(request: HttpRequest) -> HttpResponse:
    """An agency opens its account with a valid USCC and its business licence; it is verified before it is listed."""
    verifier = verifier_current()
    form = AgencyRegistrationForm(request.POST or None, request.FILES or None)
    if not verifier.needs_licence:
        del form.fields["licence"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            verification = identity_services.agency_register(
                uscc=data["uscc"],
                name=data["name"],
                region=data["region"],
                password=data["password1"],
                licence=data.get("licence"),
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                address=data["address"],
                legal_representative=data["legal_representative"],
                categories=data["categories"],
            )
        except ApplicationError as exc:
            exc.form_add(form)
        else:
            agency = verification.agency
            login(request, agency.staff.get().user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "机构账号已开通，登录名为本机构的统一社会信用代码 %(uscc)s。下一步：等待运营机构核验营业执照，"
                    "核验通过后机构列入公开名录，即可填写入驻申请并签署信用承诺书。"
                )
                % {"uscc": agency.uscc},
            )
            return redirect(verifier.next_url(verification) or "agency-identity")
    return render(request, "workflows/public_agency_register.html", {"form": form})


@require_http_methods(["GET", "POST"])
@agency_required
def agency_identity(request: HttpRequest, agency: Agency) -> HttpResponse:
    """身份核验: the state of the agency's verification, the reason it was not passed, and a new licence scan."""
    verification = verification_for_agency(agency)
    if verification is None:
        raise Http404(_("贵机构没有身份核验记录，请联系平台运营机构。"))
    form = LicenceResubmitForm()
    if request.method == "POST":
        form = LicenceResubmitForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = identity_services.identity_resubmit(
                    verification=verification, actor=request.user, licence=form.cleaned_data["licence"]
                )
            except ApplicationError as exc:
                refusal_show(request, exc, form=form, field="licence")
            else:
                result_show(request, result, _("已重新提交营业执照，请等待运营机构核验。"))
                return redirect("agency-identity")
    context = {
        "agency": agency,
        "verification": verification,
        "method": method_label(verification.method),
        "form": form,
        "can_resubmit": verification.state == IdentityVerification.State.REJECTED,
    }
    return render(request, "workflows/agency_identity.html", context)


@require_http_methods(["GET"])
@operator_required
def operator_identity_queue(request: HttpRequest) -> HttpResponse:
    """身份核验: registrations waiting for the licence to be compared with the registered data, oldest first."""
    verifications = list(verification_list_for_operator_queue())
    return render(request, "workflows/operator_identity_queue.html", {"verifications": verifications})


def _review_render(
    request: HttpRequest, page: OperatorIdentityPage, form: IdentityDecisionForm | None = None
) -> HttpResponse:
    context = {"page": page, "form": form or IdentityDecisionForm(), "method": method_label(page.verification.method)}
    return render(request, "workflows/operator_identity.html", context)


@require_http_methods(["GET", "POST"])
@operator_required
def operator_identity(request: HttpRequest, pk: int) -> HttpResponse:
    """One verification: the licence beside the registered name, USCC and legal representative; the verdict is
    checked on a confirmation page before it is recorded and told to the agency."""
    page = verification_get_for_operator(pk)
    if page is None:
        raise Http404(_("没有找到该身份核验。"))
    if request.method == "GET":
        return _review_render(request, page)
    if request.POST.get("step") == "confirm":
        confirm = ConfirmationForm(request.POST, purpose=DECIDE_PURPOSE, user=request.user)
        payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
        if payload is None or payload.get("verification") != page.verification.pk:
            for error in confirm.problems():
                messages.error(request, error)
            return redirect("operator-identity", pk=pk)
        try:
            result = identity_services.identity_decide(
                verification=page.verification,
                actor=request.user,
                verified=payload["decision"] == "verify",
                reason=payload.get("reason", ""),
            )
        except ApplicationError as exc:
            refusal_show(request, exc)
            return redirect("operator-identity", pk=pk)
        done = (
            _("已核验通过：%(name)s 列入公开名录，可以申请入驻。")
            if payload["decision"] == "verify"
            else _("已告知 %(name)s 核验未通过及理由，待其重新上传营业执照。")
        ) % {"name": page.agency.name}
        if result_show(request, result, done):
            return redirect("operator-identity-queue")
        return redirect("operator-identity", pk=pk)
    form = IdentityDecisionForm(request.POST)
    if not page.reviewable or not form.is_valid():
        if not page.reviewable:
            messages.error(request, _("该身份核验已有结论（可能已被他人处理），请刷新页面。"))
        return _review_render(request, page, form)
    data = {
        "verification": page.verification.pk,
        "decision": form.cleaned_data["decision"],
        "reason": form.cleaned_data.get("reason", "").strip(),
    }
    context = {
        "page": page,
        "decision": data["decision"],
        "reason": data["reason"],
        "confirmation": confirmation_token(purpose=DECIDE_PURPOSE, user=request.user, data=data),
    }
    return render(request, "workflows/operator_identity_confirm.html", context)


@require_http_methods(["GET"])
@operator_required
def operator_identity_licence(request: HttpRequest, pk: int) -> FileResponse:
    """The licence scan for the operator's review page (shown inline beside the registered data)."""
    verification = IdentityVerification.objects.filter(pk=pk).only("pk", "licence").first()
    if verification is None:
        raise Http404(_("没有找到该身份核验。"))
    return file_response(verification.licence)
