"""One buyer project page (项目业主/采购受托人), on which every step of the project is taken — submit,
cancel, relaunch, score, confirm the winner, confirm the contract, extend, accept, rate and pay — and
the project's private files.

Every page needs a signed-in account in the buyer role acting for a buyer unit; a project of another
unit is a 404. Every state change goes through the services; a refusal is shown as a message (or,
for the credit gate, with each reason's rule code and legal basis), never as a server error.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.errors import ApplicationError
from marketplace.models import BuyerUnit

from ..forms.buyer_project import (
    AfterMeasureForm,
    CancelForm,
    ContractForm,
    ExtendForm,
    MarksForm,
    PaymentForm,
    RatingForm,
    ResultReviewForm,
)
from ..forms.confirm import ConfirmationForm, confirmation_token
from ..models import Engagement, Payment
from ..selectors import buyer as sel
from ..services.delivery import engagements as engagement_services
from ..services.delivery import payments as payment_services
from ..services.procurement import award as award_services
from ..services.procurement import projects as project_services
from ..services.procurement import selection as selection_services
from .common import buyer_required, file_response, refusal_redirect, refusal_show, result_show


def project_redirect(code: str) -> HttpResponse:
    """Back to the project page (after every step, refused or done)."""
    return redirect("buyer-project", code=code)


# A step on the project page: a service's refusal is said there as a message.
project_step = refusal_redirect(lambda unit, code, **_kwargs: project_redirect(code))


def _page_render(request: HttpRequest, unit: BuyerUnit, code: str, **extra) -> HttpResponse:
    """The project page with fresh data; ``extra`` carries bound forms with errors or a gate refusal."""
    page = sel.project_page_for_buyer(unit, request.user, code)
    engagement = page.engagement
    forms_ = {
        "marks_form": MarksForm(rows=page.admitted),
        "contract_form": ContractForm(initial={"amount": engagement.amount if engagement else None}),
        "extend_form": ExtendForm(),
        "review_form": ResultReviewForm(),
        "rating_form": RatingForm(),
        "payment_form": PaymentForm(),
        "after_measure_form": AfterMeasureForm(),
    }
    forms_.update({k: v for k, v in extra.items() if k.endswith("_form")})
    marks_form = cast(MarksForm, forms_["marks_form"])
    context = {
        "unit": unit,
        "page": page,
        "project": page.project,
        "marks_rows": [(row, marks_form.field_for(row)) for row in page.admitted],
        **forms_,
    }
    context.update({k: v for k, v in extra.items() if not k.endswith("_form")})
    return render(request, "workflows/buyer_project.html", context)


@buyer_required
def project_detail(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """One project: its data and state, sign-ups (quotes sealed until the deadline), ranking and service."""
    return _page_render(request, unit, code)


@require_POST
@buyer_required
@project_step
def project_submit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Send the draft to the operator for review."""
    project = sel.project_for_buyer(unit, code)
    result = project_services.project_submit(project=project, actor=request.user)
    result_show(request, result, _("项目已提交审核，运营机构审核通过后发布采购公告。"))
    return project_redirect(code)


CANCEL_PURPOSE = "buyer-project-cancel"
AWARD_PURPOSE = "buyer-project-confirm-winner"


@require_http_methods(["GET", "POST"])
@buyer_required
def project_cancel(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Terminate a published project (终止): the reason, then a confirmation page of what is published, then done.

    A project never published is not terminated: it is discarded (``project_discard``), with nothing published.
    """
    project = sel.project_for_buyer(unit, code)
    if not project.published_at:
        return redirect("buyer-project-discard", code=code)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    form = CancelForm(None if step else (request.POST or None))
    if step:
        confirm = ConfirmationForm(request.POST, purpose=CANCEL_PURPOSE, user=request.user)
        payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
        if payload is None or payload.get("project") != project.code:
            for error in confirm.problems():
                messages.error(request, error)
        elif step == "edit":
            form = CancelForm(initial={"reason": payload["reason"]})
        else:
            result = project_services.project_cancel(project=project, actor=request.user, reason=payload["reason"])
            result_show(request, result, _("项目已终止，终止公告将公开发布终止原因。"))
            return project_redirect(code)
    elif request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        context = {
            "unit": unit,
            "project": project,
            "reason": reason,
            "confirmation": confirmation_token(
                purpose=CANCEL_PURPOSE, user=request.user, data={"project": project.code, "reason": reason}
            ),
        }
        return render(request, "workflows/buyer_project_cancel_confirm.html", context)
    return render(request, "workflows/buyer_project_cancel.html", {"unit": unit, "project": project, "form": form})


@require_http_methods(["GET", "POST"])
@buyer_required
def project_discard(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Discard a project never published (放弃草稿) after a confirmation; nothing is published."""
    project = sel.project_for_buyer(unit, code)
    if request.method == "POST":
        result = project_services.project_discard(project=project, actor=request.user)
        if result_show(request, result, _("草稿已放弃：该项目未发布，不发布任何公告。")):
            return redirect("buyer-projects")
        return project_redirect(code)
    return render(request, "workflows/buyer_project_discard.html", {"unit": unit, "project": project})


@require_POST
@buyer_required
@project_step
def project_relaunch(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Start a failed or cancelled project again as a new draft with the same terms."""
    project = sel.project_for_buyer(unit, code)
    fresh = project_services.project_relaunch(project=project, actor=request.user)
    messages.success(request, _("已重新发起为新项目 %(code)s（草稿），请核对后提交审核。") % {"code": fresh.code})
    return redirect("buyer-project-edit", code=fresh.code)


@require_POST
@buyer_required
@project_step
def project_marks(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Record the buyer's proposal marks (0–100) for every admitted sign-up; all or nothing."""
    page = sel.project_page_for_buyer(unit, request.user, code)
    form = MarksForm(request.POST, rows=page.admitted)
    if not page.admitted:
        messages.error(request, _("该项目当前不在比选评分阶段。"))
        return project_redirect(code)
    if not form.is_valid():
        return _page_render(request, unit, code, marks_form=form)
    with transaction.atomic():
        for signup, mark in form.marks():
            selection_services.proposal_mark(signup=signup, actor=request.user, mark=mark)
    messages.success(request, _("方案评分已保存。全部评分完成后请点击“完成比选”。"))
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def project_scoring_finish(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Close the scored comparison: the ranking is computed and the result published."""
    project = sel.project_for_buyer(unit, code)
    result = selection_services.scored_finish(project=project, actor=request.user)
    result_show(request, result, _("比选已完成，中选结果进入公示。"))
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def project_confirm_winner(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """After the publicity period, with the winner's confirmation, start contracting — once the buyer has checked
    the winner (full name, USCC, region, quote) on a confirmation page. Before it can be confirmed at all, the
    service's own refusal is shown at once."""
    project = sel.project_for_buyer(unit, code)
    winner = sel.winner_for_confirmation(project)
    step = request.POST.get("step", "")
    if step == "confirm":
        confirm = ConfirmationForm(request.POST, purpose=AWARD_PURPOSE, user=request.user)
        payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
        if payload is None or winner is None or payload != {"project": project.code, "winner": winner.pk}:
            for error in confirm.problems():
                messages.error(request, error)
            return project_redirect(code)
    elif winner is not None and project.publicity_over_at(timezone.now()):
        data = {"project": project.code, "winner": winner.pk}
        context = {
            "unit": unit,
            "project": project,
            "winner": winner,
            "confirmation": confirmation_token(purpose=AWARD_PURPOSE, user=request.user, data=data),
        }
        return render(request, "workflows/buyer_project_award_confirm.html", context)
    result = award_services.project_confirm_winner(project=project, actor=request.user)
    result_show(request, result, _("已确认中选结果，进入签约阶段。"))
    return project_redirect(code)


def _engagement(unit: BuyerUnit, code: str) -> Engagement:
    project = sel.project_for_buyer(unit, code)
    engagement = sel.current_engagement(project)
    if engagement is None:
        raise Http404(_("该项目尚无服务记录。"))
    return engagement


@require_POST
@buyer_required
@project_step
def contract_sign(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Confirm the contract; a credit refusal revokes the win and the next eligible alternate steps up."""
    engagement = _engagement(unit, code)
    form = ContractForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, contract_form=form)
    try:
        result = engagement_services.contract_sign(
            engagement=engagement, actor=request.user, amount=form.cleaned_data["amount"]
        )
    except ApplicationError as exc:
        refusal_show(request, exc, form=form)
        return _page_render(request, unit, code, contract_form=form)
    if result_show(request, result, _("合同已确认，服务开始；合同公告将公开发布。")):
        return project_redirect(code)
    if result.refusals:
        # Stay on the page: the reasons with rule codes and basis, and the project as it is now.
        return _page_render(
            request,
            unit,
            code,
            refusals=list(result.refusals),
            refused_agency=engagement.agency,
            refused_action=_("确认合同"),
        )
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def service_after_measure(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Decide whether the agency a measure reached mid-service finishes the service, or it stops here."""
    engagement = _engagement(unit, code)
    form = AfterMeasureForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, after_measure_form=form)
    continuing = form.cleaned_data["decision"] == "continue"
    engagement_services.service_after_measure_decide(
        engagement=engagement, actor=request.user, continue_service=continuing, note=form.cleaned_data["note"]
    )
    messages.success(
        request,
        _("已决定由该机构继续完成本服务。") if continuing else _("已中止服务并撤销其中选资格；项目流标，可重新发起。"),
    )
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def service_extend(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Extend the service end date once, with a reason."""
    engagement = _engagement(unit, code)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, extend_form=form)
    engagement_services.service_extend(
        engagement=engagement,
        actor=request.user,
        days=form.cleaned_data["days"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("服务期限已延长。"))
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def result_review(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Accept the delivered result, or return it for rework with a note."""
    engagement = _engagement(unit, code)
    form = ResultReviewForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, review_form=form)
    accept = form.cleaned_data["decision"] == "accept"
    result = engagement_services.result_review(
        engagement=engagement, actor=request.user, accept=accept, note=form.cleaned_data["note"]
    )
    result_show(
        request,
        result,
        _("成果已验收通过，请在评价期限内评价并按期付款。")
        if accept
        else _("成果已退回整改，整改意见已告知中选机构。"),
    )
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def rating_submit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Rate the service (five marks 1–5 and a comment); the average may write a credit event."""
    engagement = _engagement(unit, code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, rating_form=form)
    engagement_services.rating_submit(
        engagement=engagement, actor=request.user, marks=form.marks(), comment=form.cleaned_data["comment"]
    )
    messages.success(request, _("评价已提交。"))
    return project_redirect(code)


@require_POST
@buyer_required
@project_step
def payment_record(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Record the payment; the form's idempotency key makes a double submit record once."""
    engagement = _engagement(unit, code)
    payment = Payment.objects.filter(engagement=engagement).first()
    if payment is None:
        messages.error(request, _("成果验收通过后才需要付款。"))
        return project_redirect(code)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, payment_form=form)
    payment = payment_services.payment_record(
        payment=payment,
        actor=request.user,
        reference=form.cleaned_data["reference"],
        provider=form.cleaned_data["provider"],
        key=form.cleaned_data["key"],
    )
    if payment.state == Payment.State.PAID:
        messages.success(request, _("付款已完成。"))
    else:
        messages.success(request, _("转账信息已登记，待中选机构确认到账。"))
    return project_redirect(code)


@buyer_required
def engagement_file(request: HttpRequest, unit: BuyerUnit, code: str, pk: int, kind: str) -> HttpResponseBase:
    """The contract or the delivered result of one of the unit's engagements (never public)."""
    engagement = sel.engagement_for_buyer(unit, code, pk)
    if kind == "contract":
        return file_response(engagement.contract_file)
    if kind == "result":
        return file_response(engagement.result_file)
    raise Http404


@buyer_required
def proposal_file(request: HttpRequest, unit: BuyerUnit, code: str, pk: int) -> HttpResponseBase:
    """A sign-up's proposal, readable by the buyer only after the sign-up deadline (like the quotes)."""
    signup = sel.signup_for_buyer(unit, code, pk)
    if sel.signups_sealed(signup.project):
        raise Http404(_("报名截止前不能查看报名材料。"))
    return file_response(signup.proposal)
