"""The buyer's pages (项目业主/采购受托人): the unit's projects, the project form, and one page per project
on which every step of the project is taken — submit, cancel, relaunch, score, confirm the winner,
confirm the contract, extend, accept, rate and pay.

Every page needs a signed-in account in the buyer role acting for a buyer unit; a project of another
unit is a 404. Every state change goes through the services; a refusal is shown as a message (or,
for the credit gate, with each reason's rule code and legal basis), never as a server error.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from functools import wraps
from importlib import import_module
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import BuyerUnit
from marketplace.roles import Role, has_role
from marketplace.selectors import buyer_unit_for_user
from workflows.services.delivery import engagements as engagement_services
from workflows.services.delivery import payments as payment_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import selection as selection_services

from ..forms.buyer import (
    AvoidFormSet,
    CancelForm,
    Catalogue,
    ContractForm,
    ExtendForm,
    MarksForm,
    PaymentForm,
    ProjectForm,
    RatingForm,
    RequirementFormSet,
    ResultReviewForm,
    project_initial,
)
from ..models import Engagement, Payment, Project
from ..selectors import buyer as sel
from ..services.transitions import TransitionResult

FORM_TOKENS = "buyer_project_form_tokens"
OPEN_FORMS_KEPT = 20


def buyer_required(view):
    """Signed in, in the buyer role, acting for a buyer unit: the view receives that unit."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_role(request.user, Role.BUYER):
            raise PermissionDenied(_("该页面仅供项目业主账号使用。"))
        unit = buyer_unit_for_user(request.user)
        if unit is None or not request.user.has_perm("marketplace.act_for_buyerunit", unit):
            raise PermissionDenied(_("您的账号尚未关联项目业主单位。"))
        try:
            return view(request, unit, *args, **kwargs)
        except NotPermitted as exc:  # a service's own permission check: a 403, never a 500
            raise PermissionDenied(str(exc)) from exc

    return login_required(wrapper)


def _error_texts(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _show_result(request: HttpRequest, result: TransitionResult | None, success: str) -> bool:
    """A transition's outcome as messages; True when done. Credit refusals are left to the page."""
    if result is None or result.ok:
        messages.success(request, success)
        return True
    if not result.refusals:
        for message in result.messages:
            messages.error(request, message)
    return False


def _to_project(code: str) -> HttpResponse:
    return redirect("buyer-project", code=code)


# --- the list ---------------------------------------------------------------------------------------


@buyer_required
def project_list(request: HttpRequest, unit: BuyerUnit) -> HttpResponse:
    """The unit's projects with state, sign-up deadline, sign-up count and the next step."""
    state = request.GET.get("state", "")
    if state not in Project.State.values:
        state = ""
    page = Paginator(sel.project_list_for_buyer_projects(request.user, state), 50).get_page(request.GET.get("page"))
    rows = [(p, sel.next_action(p)) for p in page.object_list]
    context = {"unit": unit, "page": page, "rows": rows, "state": state, "states": Project.State.choices}
    return render(request, "workflows/buyer_projects.html", context)


# --- the project form -------------------------------------------------------------------------------


def _catalogue() -> Catalogue:
    return Catalogue.load(sel.leaf_categories_grouped(), sel.qualification_types_with_categories())


def _form_set(request: HttpRequest, catalogue: Catalogue, *, initial=None, requirements=None, avoid=None):
    """The project form with its requirement rows and avoid rows, bound on POST."""
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, initial=initial or {}, catalogue=catalogue)
    req_formset = RequirementFormSet(
        data,
        prefix="req",
        initial=requirements,
        form_kwargs={"catalogue": catalogue, "category_id": form.category_id()},
    )
    avoid_formset = AvoidFormSet(data, prefix="avoid", initial=avoid)
    return form, req_formset, avoid_formset


def _service_errors(exc: ValidationError, form: ProjectForm) -> dict[str, list[str]]:
    """Put the service's field errors on the form; requirement and avoid errors go to their sections."""
    sections: dict[str, list[str]] = {}
    if not exc.field_errors:
        for text in exc.messages:
            form.add_error(None, text)
        return sections
    for name, errors in exc.field_errors.items():
        if name in ("requirements", "avoid"):
            sections.setdefault(name, []).extend(errors)
        elif name in form.fields:
            for error in errors:
                form.add_error(name, error)
        else:
            for error in errors:
                form.add_error(None, error)
    return sections


def _form_render(request, unit, form, req_formset, avoid_formset, *, project=None, sections=None):
    context = {
        "unit": unit,
        "project": project,
        "form": form,
        "req_formset": req_formset,
        "avoid_formset": avoid_formset,
        "sections": sections or {},
        "direct_max": project_services.direct_max_amount(),
        "direct_suggestions": sel.direct_choice_suggestions(form.category_id()),
    }
    return render(request, "workflows/buyer_project_form.html", context)


def _session_fresh(request: HttpRequest):
    """The session as stored now (another submission may have changed it since this request began)."""
    key = request.session.session_key
    if not key:
        return request.session
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def _token_issue(request: HttpRequest) -> str:
    """A one-time key for a fresh create form, remembered in the session."""
    token = uuid.uuid4().hex
    tokens = dict(request.session.get(FORM_TOKENS, {}))
    tokens[token] = ""
    request.session[FORM_TOKENS] = dict(list(tokens.items())[-OPEN_FORMS_KEPT:])
    return token


class _AlreadyCreated(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@require_http_methods(["GET", "POST"])
@buyer_required
def project_new(request: HttpRequest, unit: BuyerUnit) -> HttpResponse:
    """Draft a new project; the form's one-time key makes a double submit create one project only."""
    catalogue = _catalogue()
    if request.method == "GET":
        form, req_formset, avoid_formset = _form_set(request, catalogue, initial={"token": _token_issue(request)})
        return _form_render(request, unit, form, req_formset, avoid_formset)

    token = request.POST.get("token", "")
    known = request.session.get(FORM_TOKENS, {})
    if token not in known:
        messages.error(request, _("表单已失效，请重新填写。"))
        return redirect("buyer-project-new")
    if known[token]:
        messages.info(request, _("该项目已创建，请勿重复提交。"))
        return _to_project(known[token])
    form, req_formset, avoid_formset = _form_set(request, catalogue)
    if not (form.is_valid() and req_formset.is_valid() and avoid_formset.is_valid()):
        return _form_render(request, unit, form, req_formset, avoid_formset)
    try:
        with transaction.atomic():
            # The unit row orders this unit's creations: a second copy of the form waits here for the
            # first, then finds its key used in the stored session and creates nothing.
            BuyerUnit.objects.select_for_update().get(pk=unit.pk)
            store = _session_fresh(request)
            tokens = dict(store.get(FORM_TOKENS, {}))
            if tokens.get(token):
                raise _AlreadyCreated(tokens[token])
            project = project_services.project_create(
                buyer=unit,
                actor=request.user,
                data=form.service_data(),
                requirements=req_formset.requirements(),
                avoid=avoid_formset.entries(),
            )
            tokens[token] = project.code
            if store is not request.session:
                store[FORM_TOKENS] = tokens
                store.save()
    except _AlreadyCreated as done:
        messages.info(request, _("该项目已创建，请勿重复提交。"))
        return _to_project(done.code)
    except ApplicationError as exc:
        sections = _service_errors(exc, form)
        return _form_render(request, unit, form, req_formset, avoid_formset, sections=sections)
    request.session[FORM_TOKENS] = tokens
    messages.success(request, _("项目 %(code)s 已保存为草稿。核对无误后请提交审核。") % {"code": project.code})
    return _to_project(project.code)


@require_http_methods(["GET", "POST"])
@buyer_required
def project_edit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Edit a draft or returned project; a submitted or closed one is refused with a message."""
    project = sel.project_for_buyer(request.user, code)
    if project.state not in Project.EDITABLE:
        messages.error(request, _("项目当前状态为「%(state)s」，不能再修改。") % {"state": project.get_state_display()})
        return _to_project(code)
    catalogue = _catalogue()
    requirements = [
        {"qualification_type": r.qualification_type_id, "min_level": r.min_level_id}
        for r in project.requirements.order_by("qualification_type__code")
    ]
    avoid = [{"uscc": a.agency.uscc, "reason": a.reason} for a in project.avoid_list.select_related("agency")]
    form, req_formset, avoid_formset = _form_set(
        request, catalogue, initial=project_initial(project), requirements=requirements, avoid=avoid
    )
    if request.method == "POST" and form.is_valid() and req_formset.is_valid() and avoid_formset.is_valid():
        try:
            project_services.project_update(
                project=project,
                actor=request.user,
                data=form.service_data(),
                requirements=req_formset.requirements(),
                avoid=avoid_formset.entries(),
            )
        except ApplicationError as exc:
            if not exc.field_errors:  # the project moved on meanwhile (submitted, cancelled)
                for text in _error_texts(exc):
                    messages.error(request, text)
                return _to_project(code)
            sections = _service_errors(exc, form)
            return _form_render(request, unit, form, req_formset, avoid_formset, project=project, sections=sections)
        messages.success(request, _("项目信息已保存。"))
        return _to_project(code)
    return _form_render(request, unit, form, req_formset, avoid_formset, project=project)


# --- the project page -------------------------------------------------------------------------------


def _page_render(request: HttpRequest, unit: BuyerUnit, code: str, **extra) -> HttpResponse:
    """The project page with fresh data; ``extra`` carries bound forms with errors or a gate refusal."""
    page = sel.project_page_for_buyer(request.user, code)
    engagement = page.engagement
    forms_ = {
        "marks_form": MarksForm(rows=page.admitted),
        "contract_form": ContractForm(initial={"amount": engagement.amount if engagement else None}),
        "extend_form": ExtendForm(),
        "review_form": ResultReviewForm(),
        "rating_form": RatingForm(),
        "payment_form": PaymentForm(),
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
def project_submit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Send the draft to the operator for review."""
    project = sel.project_for_buyer(request.user, code)
    result = project_services.project_submit(project=project, actor=request.user)
    _show_result(request, result, _("项目已提交审核，运营机构审核通过后发布采购公告。"))
    return _to_project(code)


@require_http_methods(["GET", "POST"])
@buyer_required
def project_cancel(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Cancel the project after a confirmation; the reason is published (终止公告)."""
    project = sel.project_for_buyer(request.user, code)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = project_services.project_cancel(
                project=project, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error("reason", exc.messages)
        else:
            text = (
                _("项目已终止，终止公告将公开发布终止原因。")
                if project.published_at
                else _("项目已终止（尚未发布，无需公告）。")
            )
            _show_result(request, result, text)
            return _to_project(code)
    return render(request, "workflows/buyer_project_cancel.html", {"unit": unit, "project": project, "form": form})


@require_POST
@buyer_required
def project_relaunch(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Start a failed or cancelled project again as a new draft with the same terms."""
    project = sel.project_for_buyer(request.user, code)
    try:
        fresh = project_services.project_relaunch(project=project, actor=request.user)
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    messages.success(request, _("已重新发起为新项目 %(code)s（草稿），请核对后提交审核。") % {"code": fresh.code})
    return redirect("buyer-project-edit", code=fresh.code)


@require_POST
@buyer_required
def project_marks(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Record the buyer's proposal marks (0–100) for every admitted sign-up; all or nothing."""
    page = sel.project_page_for_buyer(request.user, code)
    form = MarksForm(request.POST, rows=page.admitted)
    if not page.admitted:
        messages.error(request, _("该项目当前不在比选评分阶段。"))
        return _to_project(code)
    if not form.is_valid():
        return _page_render(request, unit, code, marks_form=form)
    try:
        with transaction.atomic():
            for signup, mark in form.marks():
                selection_services.proposal_mark(signup=signup, actor=request.user, mark=mark)
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    messages.success(request, _("方案评分已保存。全部评分完成后请点击“完成比选”。"))
    return _to_project(code)


@require_POST
@buyer_required
def project_scoring_finish(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Close the scored comparison: the ranking is computed and the result published."""
    project = sel.project_for_buyer(request.user, code)
    try:
        result = selection_services.scored_finish(project=project, actor=request.user)
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    _show_result(request, result, _("比选已完成，中选结果进入公示。"))
    return _to_project(code)


@require_POST
@buyer_required
def project_confirm_winner(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """After the publicity period, with the winner's confirmation, start contracting."""
    project = sel.project_for_buyer(request.user, code)
    try:
        result = award_services.project_confirm_winner(project=project, actor=request.user)
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    _show_result(request, result, _("已确认中选结果，进入签约阶段。"))
    return _to_project(code)


def _engagement(request: HttpRequest, code: str) -> Engagement:
    project = sel.project_for_buyer(request.user, code)
    engagement = sel.current_engagement(project)
    if engagement is None:
        raise Http404(_("该项目尚无服务记录。"))
    return engagement


@require_POST
@buyer_required
def contract_sign(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Confirm the contract; a credit refusal (CR-CON-001) revokes the win and the alternate steps up."""
    engagement = _engagement(request, code)
    form = ContractForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, contract_form=form)
    try:
        result = engagement_services.contract_sign(
            engagement=engagement, actor=request.user, amount=form.cleaned_data["amount"]
        )
    except ApplicationError as exc:
        for text in _error_texts(exc):
            form.add_error(None, text)
        return _page_render(request, unit, code, contract_form=form)
    if _show_result(request, result, _("合同已确认，服务开始；合同公告将公开发布。")):
        return _to_project(code)
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
    return _to_project(code)


@require_POST
@buyer_required
def service_extend(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Extend the service end date once, with a reason."""
    engagement = _engagement(request, code)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, extend_form=form)
    try:
        engagement_services.service_extend(
            engagement=engagement,
            actor=request.user,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    messages.success(request, _("服务期限已延长。"))
    return _to_project(code)


@require_POST
@buyer_required
def result_review(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Accept the delivered result, or return it for rework with a note."""
    engagement = _engagement(request, code)
    form = ResultReviewForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, review_form=form)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        result = engagement_services.result_review(
            engagement=engagement, actor=request.user, accept=accept, note=form.cleaned_data["note"]
        )
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    _show_result(
        request,
        result,
        _("成果已验收通过，请在评价期限内评价并按期付款。")
        if accept
        else _("成果已退回整改，整改意见已告知中选机构。"),
    )
    return _to_project(code)


@require_POST
@buyer_required
def rating_submit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Rate the service (five marks 1–5 and a comment); the average may write a credit event."""
    engagement = _engagement(request, code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, rating_form=form)
    try:
        engagement_services.rating_submit(
            engagement=engagement, actor=request.user, marks=form.marks(), comment=form.cleaned_data["comment"]
        )
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    messages.success(request, _("评价已提交。"))
    return _to_project(code)


@require_POST
@buyer_required
def payment_record(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Record the payment; the form's idempotency key makes a double submit record once."""
    engagement = _engagement(request, code)
    payment = Payment.objects.filter(engagement=engagement).first()
    if payment is None:
        messages.error(request, _("成果验收通过后才需要付款。"))
        return _to_project(code)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _page_render(request, unit, code, payment_form=form)
    try:
        payment = payment_services.payment_record(
            payment=payment,
            actor=request.user,
            reference=form.cleaned_data["reference"],
            provider=form.cleaned_data["provider"],
            key=form.cleaned_data["key"],
        )
    except ApplicationError as exc:
        for text in _error_texts(exc):
            messages.error(request, text)
        return _to_project(code)
    if payment.state == Payment.State.PAID:
        messages.success(request, _("付款已完成。"))
    else:
        messages.success(request, _("转账信息已登记，待中选机构确认到账。"))
    return _to_project(code)


def _file_response(field_file) -> FileResponse:
    name = getattr(field_file, "name", "") or ""
    if not name or not default_storage.exists(name):
        raise Http404(_("文件不存在。"))
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(default_storage.open(name, "rb"), content_type=content_type, filename=os.path.basename(name))


@buyer_required
def engagement_file(request: HttpRequest, unit: BuyerUnit, code: str, pk: int, kind: str) -> HttpResponseBase:
    """The contract or the delivered result of one of the unit's engagements (never public)."""
    engagement = sel.engagement_for_buyer(request.user, code, pk)
    if kind == "contract":
        return _file_response(engagement.contract_file)
    if kind == "result":
        return _file_response(engagement.result_file)
    raise Http404


@buyer_required
def proposal_file(request: HttpRequest, unit: BuyerUnit, code: str, pk: int) -> HttpResponseBase:
    """A sign-up's proposal, readable by the buyer only after the sign-up deadline (like the quotes)."""
    signup = sel.signup_for_buyer(request.user, code, pk)
    if sel.signups_sealed(signup.project):
        raise Http404(_("报名截止前不能查看报名材料。"))
    return _file_response(signup.proposal)


urlpatterns = [
    path("projects/", project_list, name="buyer-projects"),
    path("projects/new/", project_new, name="buyer-project-new"),
    path("projects/<str:code>/", project_detail, name="buyer-project"),
    path("projects/<str:code>/edit/", project_edit, name="buyer-project-edit"),
    path("projects/<str:code>/submit/", project_submit, name="buyer-project-submit"),
    path("projects/<str:code>/cancel/", project_cancel, name="buyer-project-cancel"),
    path("projects/<str:code>/relaunch/", project_relaunch, name="buyer-project-relaunch"),
    path("projects/<str:code>/marks/", project_marks, name="buyer-project-marks"),
    path("projects/<str:code>/scoring/finish/", project_scoring_finish, name="buyer-project-scoring-finish"),
    path("projects/<str:code>/confirm-winner/", project_confirm_winner, name="buyer-project-confirm-winner"),
    path("projects/<str:code>/contract/", contract_sign, name="buyer-contract-sign"),
    path("projects/<str:code>/extend/", service_extend, name="buyer-service-extend"),
    path("projects/<str:code>/result/", result_review, name="buyer-result-review"),
    path("projects/<str:code>/rating/", rating_submit, name="buyer-rating"),
    path("projects/<str:code>/payment/", payment_record, name="buyer-payment"),
    path("projects/<str:code>/engagements/<int:pk>/<str:kind>/", engagement_file, name="buyer-engagement-file"),
    path("projects/<str:code>/signups/<int:pk>/proposal/", proposal_file, name="buyer-proposal-file"),
]
