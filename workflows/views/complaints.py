"""Challenge (质疑) and complaint (投诉) pages of every role: the agency files and escalates, the buyer answers,
the supervisor decides, anyone signed in complains about an agency's service. Writes go through
``workflows.services.complaints``; reads through ``workflows.selectors.complaints``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.models import Agency, BuyerUnit, SupervisorProfile
from marketplace.roles import Role, has_role
from marketplace.selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of

from ..forms.complaints import (
    ChallengeAnswerForm,
    ChallengeForm,
    ComplaintDecisionForm,
    ComplaintEscalateForm,
    ServiceComplaintForm,
    ServiceResponseForm,
)
from ..forms.confirm import ConfirmationForm, confirmation_token
from ..models import Challenge, ServiceComplaint
from ..selectors import complaints as sel
from ..services.complaints import challenges as challenge_services
from ..services.complaints import service as service_services
from .common import agency_required, buyer_required, file_response, refusal_show, result_show, supervisor_required

# --- the agency --------------------------------------------------------------------------------------


@agency_required
def agency_complaints(request: HttpRequest, agency: Agency) -> HttpResponse:
    """我的质疑/投诉: the agency's challenges and the complaints about its service."""
    return render(request, "workflows/agency_complaints.html", {"page": sel.complaints_for_agency_page(agency)})


@require_http_methods(["GET", "POST"])
@agency_required
def agency_challenge_new(request: HttpRequest, agency: Agency, code: str) -> HttpResponse:
    """提出质疑 against a project's result during publicity, with grounds and evidence."""
    page = sel.project_for_challenge_form(agency, code)
    form = ChallengeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = challenge_services.challenge_file(
                project=page.project,
                agency=agency,
                actor=request.user,
                grounds=form.cleaned_data["grounds"],
                evidence=form.cleaned_data["evidence"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("质疑已提交，项目业主将在答复期限内答复。"))
            return redirect("agency-challenge", pk=challenge.pk)
    return render(request, "workflows/agency_challenge_form.html", {"page": page, "form": form})


def _form_step(request: HttpRequest, form, act, success: str, done: tuple[str, int], template: str, context: dict):
    """One form, one service call: a refusal is shown on the form, a success redirects to ``done``."""
    if request.method == "POST" and form.is_valid():
        try:
            result = act(form.cleaned_data)
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            if result_show(request, result, success):
                return redirect(done[0], pk=done[1])
    return render(request, template, {**context, "form": form})


@require_http_methods(["GET", "POST"])
@agency_required
def agency_challenge(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """One challenge: the answer, and the complaint to the supervisor when the agency is not satisfied."""
    challenge = sel.challenge_get_for_agency(agency, pk)
    form = ComplaintEscalateForm(request.POST or None, request.FILES or None)

    def act(data):
        return challenge_services.challenge_escalate(
            challenge=challenge, actor=request.user, grounds=data["grounds"], evidence=data["evidence"]
        )

    return _form_step(
        request,
        form,
        act,
        _("投诉已提交，监管部门将在处理期限内作出决定。"),
        ("agency-challenge", pk),
        "workflows/agency_challenge.html",
        {"challenge": challenge},
    )


@require_http_methods(["GET", "POST"])
@agency_required
def agency_service_complaint(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """A complaint about the agency's service: its statement."""
    complaint = sel.service_complaint_get_for_agency(agency, pk)

    def act(data):
        return service_services.service_complaint_respond(
            complaint=complaint, actor=request.user, text=data["response"]
        )

    return _form_step(
        request,
        ServiceResponseForm(request.POST or None),
        act,
        _("说明已提交。"),
        ("agency-service-complaint", pk),
        "workflows/agency_service_complaint.html",
        {"complaint": complaint},
    )


# --- the buyer ---------------------------------------------------------------------------------------


@buyer_required
def buyer_challenges(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """The challenges to one of the buyer's projects."""
    return render(request, "workflows/buyer_challenges.html", {"page": sel.challenges_for_buyer_project(unit, code)})


@require_http_methods(["GET", "POST"])
@buyer_required
def buyer_challenge(request: HttpRequest, unit: BuyerUnit, pk: int) -> HttpResponse:
    """One challenge to the buyer's project: the answer, within the deadline."""
    challenge = sel.challenge_get_for_buyer(unit, pk)

    def act(data):
        return challenge_services.challenge_answer(challenge=challenge, actor=request.user, text=data["answer"])

    return _form_step(
        request,
        ChallengeAnswerForm(request.POST or None),
        act,
        _("答复已提交。"),
        ("buyer-challenge", pk),
        "workflows/buyer_challenge.html",
        {"challenge": challenge},
    )


# --- the supervisor ----------------------------------------------------------------------------------


def _decide(request: HttpRequest, decide, obj, template: str, context_name: str, url_name: str) -> HttpResponse:
    """The supervisor's decision on a complaint, in two POSTs: the form, then a page stating exactly which
    organisation is affected and what will follow and be published, confirmed with a signed token."""
    purpose = f"{url_name}:{obj.pk}"
    if request.POST.get("step") == "confirm":
        confirm = ConfirmationForm(request.POST, purpose=purpose, user=request.user)
        payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
        if payload is None:
            for error in confirm.problems():
                messages.error(request, error)
            return redirect(url_name, pk=obj.pk)
        try:
            result = decide(obj, payload["decision"] == "upheld", payload["reasons"])
        except ApplicationError as exc:
            refusal_show(request, exc)
            return redirect(url_name, pk=obj.pk)
        result_show(request, result, _("处理决定已作出，决定公告将在公告公示栏目发布。"))
        return redirect(url_name, pk=obj.pk)
    form = ComplaintDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {"decision": form.cleaned_data["decision"], "reasons": form.cleaned_data["reasons"]}
        context = {
            "obj": obj,
            "kind": context_name,
            "agency": obj.winner.agency if isinstance(obj, Challenge) else obj.agency,
            "upheld": data["decision"] == "upheld",
            "reasons": data["reasons"],
            "back_url": url_name,
            "confirmation": confirmation_token(purpose=purpose, user=request.user, data=data),
        }
        return render(request, "workflows/supervisor_complaint_confirm.html", context)
    return render(request, template, {context_name: obj, "form": form})


@require_http_methods(["GET", "POST"])
@supervisor_required
def supervisor_challenge(request: HttpRequest, profile: SupervisorProfile, pk: int) -> HttpResponse:
    """A complaint about a selection result: the challenge, the answer, the complaint; the decision."""
    challenge = sel.challenge_get_for_supervisor(profile, pk)

    def decide(obj: Challenge, uphold: bool, reasons: str):
        return challenge_services.challenge_decide(challenge=obj, actor=request.user, uphold=uphold, reasons=reasons)

    return _decide(
        request, decide, challenge, "workflows/supervisor_challenge.html", "challenge", "supervisor-challenge"
    )


@require_http_methods(["GET", "POST"])
@supervisor_required
def supervisor_service_complaint(request: HttpRequest, profile: SupervisorProfile, pk: int) -> HttpResponse:
    """A complaint about an agency's service: the grounds, the agency's statement; the decision."""
    complaint = sel.service_complaint_get_for_supervisor(profile, pk)

    def decide(obj: ServiceComplaint, uphold: bool, reasons: str):
        return service_services.service_complaint_decide(
            complaint=obj, actor=request.user, uphold=uphold, reasons=reasons
        )

    return _decide(
        request,
        decide,
        complaint,
        "workflows/supervisor_service_complaint.html",
        "complaint",
        "supervisor-service-complaint",
    )


# --- anyone signed in --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def service_complaint_new(request: HttpRequest, uscc: str) -> HttpResponse:
    """投诉 about an agency's service, by a buyer or a member of the public (signed in)."""
    agency = sel.agency_for_complaint_form(uscc)
    form = ServiceComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_services.service_complaint_file(
                agency=agency,
                actor=request.user,
                grounds=form.cleaned_data["grounds"],
                evidence=form.cleaned_data["evidence"],
                project_code=form.cleaned_data["project_code"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("投诉已提交，监管部门将在处理期限内作出决定并公告。"))
            return redirect("agency-profile", uscc=agency.uscc)
    return render(request, "workflows/account_service_complaint_form.html", {"agency": agency, "form": form})


@login_required
def complaint_file(request: HttpRequest, kind: str, pk: int) -> HttpResponseBase:
    """Evidence of a challenge, its complaint or a service complaint, to those who handle it only."""
    user = request.user
    # The role is asked as well as the organisation: guardian lets a superuser act for every organisation.
    agency = agency_acted_for(user) if has_role(user, Role.AGENCY) else None
    unit = buyer_unit_acted_for(user) if has_role(user, Role.BUYER) else None
    profile = supervisor_profile_of(user)
    if kind in ("challenge", "complaint"):
        challenge = sel.challenge_for_evidence(agency, unit, profile, pk)
        return file_response(challenge.evidence if kind == "challenge" else challenge.complaint_evidence)
    if kind == "service":
        return file_response(sel.service_complaint_for_evidence(agency, profile, pk).evidence)
    raise Http404
