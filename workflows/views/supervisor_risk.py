"""The supervisor's risk flags (风险提示): the list in scope, one flag with its evidence, dismiss it with a reason
or open a credit case from it (checked on a confirmation page first). A flag never acts on credit by itself."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace.errors import ApplicationError

from ..forms.confirm import ConfirmationForm, confirmation_token
from ..forms.supervisor import catalogue_label
from ..forms.supervisor_risk import DismissForm, RiskCaseForm
from ..models import RiskFlag
from ..selectors import risk_pages as sel
from ..services.risk import risk_flag_case_open, risk_flag_dismiss
from .common import refusal_show, result_show, supervisor_required

PAGE_SIZE = 50
CASE_PURPOSE = "supervisor-risk-case"


@require_GET
@supervisor_required
def flag_list(request, profile):
    """Flags in scope, open ones by default; filter by kind and state."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in RiskFlag.Kind.values else ""
    state = request.GET.get("state", RiskFlag.State.OPEN)
    state = state if state in RiskFlag.State.values else ""
    flags = sel.risk_flag_list_for_supervisor(profile, kind=kind, state=state)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "state": state,
        "kinds": RiskFlag.Kind.choices,
        "states": RiskFlag.State.choices,
    }
    return render(request, "workflows/supervisor_risk_flags.html", context)


def _facts(flag: RiskFlag) -> str:
    """The case's facts as first proposed: what the flag found, for the supervisor to complete."""
    return _("风险提示 #%(pk)s（%(kind)s）：经核查，") % {"pk": flag.pk, "kind": flag.get_kind_display()}


@supervisor_required
def flag_detail(request, profile, pk: int):
    """One flag: its evidence with links to the projects and organisations; dismiss it or open a case."""
    flag = sel.risk_flag_get_for_supervisor(profile, pk)
    in_scope = sel.risk_flag_agencies_in_scope(profile, flag)
    dismiss_form = DismissForm()
    case_form = RiskCaseForm(profile=profile, agencies=in_scope, initial={"facts": _facts(flag)})
    if request.method == "POST" and flag.state == RiskFlag.State.OPEN:
        action, step = request.POST.get("action", ""), request.POST.get("step", "")
        if action == "dismiss":
            dismiss_form = DismissForm(request.POST)
            if dismiss_form.is_valid():
                try:
                    result = risk_flag_dismiss(
                        flag=flag, actor=request.user, reason=dismiss_form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    refusal_show(request, exc, form=dismiss_form, field="reason")
                else:
                    result_show(request, result, _("已排除该风险提示。"))
                    return redirect("supervisor-risk-flag", pk=pk)
        elif step:
            outcome = _case_confirmed(request, flag, step)
            if not isinstance(outcome, dict):
                return outcome
            case_form = RiskCaseForm(profile=profile, agencies=in_scope, initial=outcome)
        elif action == "case":
            case_form = RiskCaseForm(request.POST, profile=profile, agencies=in_scope)
            if case_form.is_valid():
                return _case_check(request, flag, case_form.cleaned_data)
    context = {
        "flag": flag,
        "evidence": sel.risk_evidence_for_page(flag),
        "dismiss_form": dismiss_form,
        "case_form": case_form,
        "can_case": flag.state == RiskFlag.State.OPEN and bool(in_scope),
    }
    return render(request, "workflows/supervisor_risk_flag.html", context)


def _case_check(request, flag: RiskFlag, data: dict):
    """Check your answers before the case is opened: the agency, the measure proposed, the facts."""
    agency = data["agency"]
    payload = {
        "flag": flag.pk,
        "agency": agency.uscc,
        "measure": data["measure"],
        "months": data["months"],
        "ground_code": data["ground_code"],
        "facts": data["facts"],
    }
    context = {
        "flag": flag,
        "agency": agency,
        "data": payload,
        "measure_label": dict(RiskCaseForm.MEASURES).get(data["measure"], ""),
        "ground_label": catalogue_label(data["ground_code"]) if data["ground_code"] else "",
        "confirmation": confirmation_token(purpose=CASE_PURPOSE, user=request.user, data=payload),
    }
    return render(request, "workflows/supervisor_risk_case_confirm.html", context)


def _case_confirmed(request, flag: RiskFlag, step: str) -> HttpResponse | dict:
    """The confirmation page's answer: open the case (a redirect), or the answers to show on the form again."""
    confirm = ConfirmationForm(request.POST, purpose=CASE_PURPOSE, user=request.user)
    payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
    if payload is None or payload.get("flag") != flag.pk:
        for error in confirm.problems():
            messages.error(request, error)
        return {"facts": _facts(flag)}
    agency = next((a for a in flag.agencies.all() if a.uscc == payload["agency"]), None)
    if step == "edit" or agency is None:
        return {k: v for k, v in payload.items() if k != "flag"}
    try:
        result = risk_flag_case_open(
            flag=flag,
            actor=request.user,
            agency=agency,
            facts=payload["facts"],
            measure=payload["measure"],
            months=payload["months"],
            ground_code=payload["ground_code"],
        )
    except ApplicationError as exc:
        refusal_show(request, exc)
        return redirect("supervisor-risk-flag", pk=flag.pk)
    if result_show(request, result, _("已立案，请告知机构并给予陈述申辩的机会。")):
        return redirect("supervisor-case", pk=RiskFlag.objects.values_list("case_id", flat=True).get(pk=flag.pk))
    return redirect("supervisor-risk-flag", pk=flag.pk)
