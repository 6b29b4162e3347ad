"""Supervisor pages (监管部门): the work queue, entry review, credit events, cases, objections, repairs, lists.

Every page needs a signed-in supervisor; every object is looked up within the supervisor's region and
category scope (outside it: 404). The external list import also admits the platform credit office,
which imports for every organisation. Writes go through the services in ``workflows.services``.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from credit_rules.external import ImportRejected, listing_rows
from credit_rules.policy import policy_at
from marketplace.authority import agencies_in_authority, is_credit_office
from marketplace.errors import ApplicationError
from marketplace.selectors import supervisor_profile_of

from ..forms.confirm import ConfirmationForm, confirmation_token
from ..forms.supervisor import (
    CaseDecisionForm,
    CaseForm,
    ExternalListForm,
    NoteDecisionForm,
    ReviewForm,
    catalogue_label,
)
from ..models import CreditCase, Membership, Objection, RepairRequest
from ..selectors import supervisor as sel
from ..selectors.agency import case_rule_reason
from ..selectors.complaints import complaints_for_supervisor_queue
from ..services.credit.cases import case_decide, case_notify, case_propose
from ..services.credit.external import external_list_import
from ..services.credit.objections import objection_decide
from ..services.credit.repairs import repair_decide
from ..services.membership import membership_renew, membership_review
from .common import file_response, refusal_show, result_show, supervisor_required

# --- queue ------------------------------------------------------------------------------------------


def _queue_render(request, profile, **extra):
    context = {"queue": sel.supervisor_queue(profile), "complaints": complaints_for_supervisor_queue(profile), **extra}
    return render(request, "workflows/supervisor_queue.html", context)


@supervisor_required
def queue(request, profile):
    """The supervisor's queue: applications, cases, objections, repairs and renewals in scope."""
    return _queue_render(request, profile)


@require_POST
@supervisor_required
def membership_renew_view(request, profile, pk: int):
    """Renew a membership whose term is ending, after the supervisor's review."""
    membership = sel.membership_for_supervisor_renewal(profile, pk)
    result = membership_renew(membership=membership, actor=request.user, as_role="supervisor")
    if result.ok:
        messages.success(
            request,
            _("已为「%(name)s」续期，入驻有效期至 %(until)s。")
            % {"name": membership.agency.name, "until": result.obj.term_until},
        )
        return redirect("supervisor-queue")
    if result.refusals:
        # Show the gate's reasons with their rule codes and basis on the queue itself.
        return _queue_render(request, profile, renew_result=result, renew_membership=membership)
    refusal_show(request, result)
    return redirect("supervisor-queue")


# --- entry applications -----------------------------------------------------------------------------


@supervisor_required
def application(request, profile, pk: int):
    """Review one entry application: agency data, qualifications, commitment, credit; then decide."""
    membership = sel.membership_for_supervisor_application(profile, pk)
    form = ReviewForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = membership_review(
                membership=membership,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form, field="note")
        else:
            labels = {
                "approve": _("已准予「%(name)s」入驻。"),
                "send_back": _("已将「%(name)s」的申请退回修改。"),
                "reject": _("已决定「%(name)s」不予入驻。"),
            }
            if result_show(request, result, labels[form.cleaned_data["decision"]] % {"name": membership.agency.name}):
                return redirect("supervisor-queue")
            if not result.refusals:
                return redirect("supervisor-application", pk=pk)
            # A credit refusal: stay on the page with the reasons; the state is unchanged.
    context = {
        "membership": membership,
        "agency": membership.agency,
        "standing": sel.credit_standing_for_supervisor(membership.agency),
        "form": form,
        "result": result,
        "today": timezone.localdate(),
        "can_review": membership.state == Membership.State.SUBMITTED,
    }
    return render(request, "workflows/supervisor_application.html", context)


# --- credit cases -----------------------------------------------------------------------------------


@supervisor_required
def case_new(request, profile):
    """Propose a discretionary measure or a grave finding against an agency (立案)."""
    initial = {"agency": request.GET["agency"].strip().upper()} if request.GET.get("agency") else {}
    form = CaseForm(request.POST or None, request.FILES or None, profile=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicate = sel.open_case_like(data["agency"], measure=data["measure"], ground_code=data["ground_code"])
        if duplicate is not None:
            messages.warning(request, _("该机构已有相同的待处理案件，未重复立案。"))
            return redirect("supervisor-case", pk=duplicate.pk)
        try:
            case = case_propose(
                agency=data["agency"],
                actor=request.user,
                facts=data["facts"],
                measure=data["measure"],
                months=data["months"],
                ground_code=data["ground_code"],
                evidence=data.get("evidence"),
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("已立案，请告知机构并给予陈述申辩的机会。"))
            return redirect("supervisor-case", pk=case.pk)
    return render(request, "workflows/supervisor_case_form.html", {"form": form})


CASE_PURPOSE = "supervisor-case-decision"


@supervisor_required
def case_detail(request, profile, pk: int):
    """One credit case: facts, the agency's response, history; notify, apply or dismiss."""
    case = sel.credit_case_for_supervisor(profile, pk)
    form = CaseDecisionForm(request.POST or None, case=case)
    if request.method == "POST":
        if request.POST.get("action") == "notify":
            result = case_notify(case=case, actor=request.user)
            result_show(request, result, _("已告知机构，陈述申辩期限已开始计算。"))
            return redirect("supervisor-case", pk=pk)
        step = request.POST.get("step", "")
        if step:
            confirm = ConfirmationForm(request.POST, purpose=CASE_PURPOSE, user=request.user)
            payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
            if payload is None or payload.get("case") != case.pk:
                for error in confirm.problems():
                    messages.error(request, error)
                form = CaseDecisionForm(case=case)
            elif step == "edit":
                form = CaseDecisionForm(case=case, initial={"note": payload["note"]})
            else:
                apply = payload["action"] == "apply"
                result = case_decide(case=case, actor=request.user, apply=apply, note=payload["note"])
                result_show(request, result, _("已决定实施措施。") if apply else _("已决定不予处理。"))
                return redirect("supervisor-case", pk=pk)
        elif form.is_valid():
            # Check your answers: the agency, the measure and its basis, what is published; nothing done yet.
            data = {"case": case.pk, "action": form.cleaned_data["action"], "note": form.cleaned_data["note"]}
            context = {
                "case": case,
                "apply": data["action"] == "apply",
                "note": data["note"],
                "ground_label": catalogue_label(case.ground_code) if case.ground_code else "",
                "rule": case_rule_reason(case, policy_at()),
                "confirmation": confirmation_token(purpose=CASE_PURPOSE, user=request.user, data=data),
            }
            return render(request, "workflows/supervisor_case_confirm.html", context)
    context = {
        "case": case,
        "form": form,
        "history": sel.transition_history_for_object(case),
        "ground_label": catalogue_label(case.ground_code) if case.ground_code else "",
        "rule": case_rule_reason(case, policy_at()),
        "standing": sel.credit_standing_for_supervisor(case.agency),
        "now": timezone.now(),
        "can_notify": case.state == CreditCase.State.PROPOSED,
        "can_apply": case.state == CreditCase.State.NOTIFIED,
        "can_dismiss": case.state in CreditCase.OPEN,
    }
    return render(request, "workflows/supervisor_case.html", context)


# --- objections and repairs -------------------------------------------------------------------------


@supervisor_required
def objection_detail(request, profile, pk: int):
    """Decide an objection (异议): uphold the record, or overturn it (reversal entry, notice withdrawn)."""
    objection = sel.objection_for_supervisor(profile, pk)
    form = NoteDecisionForm(
        request.POST or None, actions=[("uphold", _("异议不成立，维持记录")), ("overturn", _("异议成立，撤销记录"))]
    )
    if request.method == "POST" and form.is_valid():
        overturn = form.cleaned_data["action"] == "overturn"
        result = objection_decide(
            objection=objection, actor=request.user, overturn=overturn, note=form.cleaned_data["note"]
        )
        done = result_show(
            request,
            result,
            _("异议成立：记录已撤销，相关公告已撤回。") if overturn else _("异议不成立：记录维持。"),
        )
        return redirect("supervisor-queue") if done else redirect("supervisor-objection", pk=pk)
    context = {
        "objection": objection,
        "entry": objection.entry,
        "form": form,
        "standing": sel.credit_standing_for_supervisor(objection.agency),
        "today": timezone.localdate(),
        "can_decide": objection.state == Objection.State.SUBMITTED,
    }
    return render(request, "workflows/supervisor_objection.html", context)


@supervisor_required
def repair_detail(request, profile, pk: int):
    """Decide a credit repair request (信用修复): approve (the entry stops counting) or refuse."""
    repair = sel.repair_for_supervisor(profile, pk)
    form = NoteDecisionForm(request.POST or None, actions=[("approve", _("准予修复")), ("reject", _("不予修复"))])
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["action"] == "approve"
        result = repair_decide(request=repair, actor=request.user, approve=approve, note=form.cleaned_data["note"])
        done = result_show(
            request,
            result,
            _("已准予修复：该记录不再计分，相关公告已撤回。") if approve else _("已决定不予修复。"),
        )
        return redirect("supervisor-queue") if done else redirect("supervisor-repair", pk=pk)
    context = {
        "repair": repair,
        "entry": repair.entry,
        "form": form,
        "standing": sel.credit_standing_for_supervisor(repair.agency),
        "can_decide": repair.state == RepairRequest.State.SUBMITTED,
    }
    return render(request, "workflows/supervisor_repair.html", context)


# --- external dishonesty lists ----------------------------------------------------------------------


IMPORT_PURPOSE = "external-list-import"


def _import_preview(content: bytes, filename: str) -> dict:
    """What importing the (valid) file will do: rows listed and delisted, and the registered agencies it names."""
    rows = [row for _line, row in listing_rows(content, filename)]
    listed = {row["uscc"] for row in rows if not row["delisted_on"]}
    named = sel.agencies_named_in_list({row["uscc"] for row in rows})
    return {
        "rows": len(rows),
        "listed": len(listed),
        "delisted": len(rows) - sum(1 for row in rows if not row["delisted_on"]),
        "agencies": [(agency, agency.uscc in listed) for agency in named],
    }


@login_required
def external_import(request):
    """Import an external dishonesty list: every row valid or nothing imported; listed members suspended.

    The platform credit office imports for every organisation; a supervisor only a list whose every
    row names an agency in its scope (``ExternalListForm.scope_check``); anyone else gets a 403. A valid file
    is kept privately and shown on a confirmation page (the members it suspends or restores, by full name,
    USCC and region); only the confirmation, carrying the file's digest signed, imports it.
    """
    platform = is_credit_office(request.user)
    profile = supervisor_profile_of(request.user)
    if not platform and profile is None:
        raise PermissionDenied(_("该页面仅限监管部门或平台信用管理部门使用。"))
    agencies = None if platform else agencies_in_authority(request.user)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    form = ExternalListForm(None if step else (request.POST or None), request.FILES or None, agencies=agencies)
    context: dict = {"form": form, "platform": platform, "profile": profile}
    if step == "confirm":
        confirm = ConfirmationForm(request.POST, purpose=IMPORT_PURPOSE, user=request.user)
        payload = confirm.cleaned_data["payload"] if confirm.is_valid() else None
        content = _pending_read(payload)
        if payload is None or content is None:
            for error in confirm.problems():
                messages.error(request, error)
        else:
            try:
                form.scope_check(content, payload["filename"])
                batch, affected = external_list_import(
                    content=content, filename=payload["filename"], actor=request.user
                )
            except ImportRejected as exc:
                context["errors"] = exc.errors
            else:
                context.update({"batch": batch, "affected": affected})
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            form.scope_check(content)
        except ImportRejected as exc:
            context["errors"] = exc.errors
        else:
            digest = hashlib.sha256(content).hexdigest()
            ext = ".json" if (upload.name or "").lower().endswith(".json") else ".csv"
            stored = default_storage.save(f"evidence/external-pending/{digest}{ext}", ContentFile(content))
            data = {"stored": stored, "filename": upload.name, "sha256": digest}
            context.update(_import_preview(content, upload.name or ""))
            context["filename"] = upload.name
            context["confirmation"] = confirmation_token(purpose=IMPORT_PURPOSE, user=request.user, data=data)
            return render(request, "workflows/supervisor_external_import_confirm.html", context)
    return render(request, "workflows/supervisor_external_import.html", context)


def _pending_read(payload: dict | None) -> bytes | None:
    """The confirmed file's content, if it is still stored and unchanged since it was checked."""
    if payload is None or not default_storage.exists(payload["stored"]):
        return None
    with default_storage.open(payload["stored"], "rb") as handle:
        content = handle.read()
    return content if hashlib.sha256(content).hexdigest() == payload["sha256"] else None


# --- private files (scans and evidence): only for supervisors whose scope covers the agency ----------


@supervisor_required
def private_file(request, profile, kind: str, pk: int):
    """Serve a qualification scan or an evidence file to a supervisor in scope (never public)."""
    if kind == "qualification":
        return file_response(sel.qualification_for_supervisor(profile, pk).document)
    if kind == "case":
        return file_response(sel.credit_case_for_supervisor(profile, pk).evidence)
    if kind == "objection":
        return file_response(sel.objection_for_supervisor(profile, pk).evidence)
    if kind == "repair":
        return file_response(sel.repair_for_supervisor(profile, pk).evidence)
    if kind == "entry":
        return file_response(str(sel.ledger_entry_for_supervisor_file(profile, pk).evidence.get("file") or ""))
    raise Http404
