"""Supervisor pages for credit events (监管部门): issue a warning or record a complaint or honour through a
check-your-answers page, see what recording did, and withdraw an erroneous warning within the policy's window.

The form's first POST validates and renders the confirmation (who — full name, USCC, region — what, the
basis, what will be published and where); only the second POST, carrying the signed data
(``forms.confirm``), records anything.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from credit_rules.models import CreditSubject, Source
from credit_rules.policy import policy_at
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError

from ..forms.confirm import ConfirmationForm, confirmation_token
from ..forms.supervisor import EVENT_CODES, EventForm, WarningWithdrawForm, catalogue_label
from ..selectors import supervisor as sel
from ..services.credit.events import credit_event_record, warning_issue
from ..services.credit.withdrawals import warning_withdraw, warning_withdraw_problem, warning_withdraw_until
from .common import refusal_show, supervisor_required

CONFIRM_PURPOSE = "supervisor-event"


def _save_evidence(upload, folder: str) -> str:
    """Store an evidence upload privately and return its storage name."""
    if not upload:
        return ""
    name = os.path.basename(upload.name or "evidence")
    return default_storage.save(f"evidence/{folder}/{timezone.now():%Y%m}/{name}", upload)


def _event_record_once(*, profile_user, agency, code: str, data: dict, token: str):
    """Record the event unless this form's one-time key was already used; returns (entry, created)."""
    subject = subject_for_agency(agency)
    with transaction.atomic():
        # The subject row is the ledger's append lock: a second submission of the same form waits
        # here for the first to commit, then finds its entry instead of recording another.
        locked = CreditSubject.objects.select_for_update().get(pk=subject.pk)
        existing = sel.ledger_event_by_idempotency_key(locked, token)
        if existing is not None:
            return existing, False
        evidence_file = data.get("evidence_file") or ""
        if code == "CREDIT_WARNING":
            entry = warning_issue(
                agency=agency,
                actor=profile_user,
                facts=data["facts"],
                evidence_summary=data["evidence_summary"],
                evidence_file=evidence_file,
                idempotency_key=token,
            )
        else:
            # Not published by itself: an honour that orders a reward is announced by the reward (the red list).
            entry = credit_event_record(
                subject=locked,
                code=code,
                source=Source.SUPERVISOR,
                actor=profile_user,
                evidence={
                    "summary": data["evidence_summary"],
                    "facts": data["facts"],
                    "file": evidence_file,
                    "idempotency_key": token,
                },
            )
        return entry, True


def _confirm_render(request, profile, form: EventForm):
    """The check-your-answers page of a valid event form: the exact agency, item, basis and publication."""
    data = form.cleaned_data
    agency = data["agency"]
    policy = policy_at()
    item = policy.entry(data["code"])
    payload = {
        "agency": agency.uscc,
        "code": data["code"],
        "facts": data["facts"],
        "evidence_summary": data["evidence_summary"],
        # The upload is kept privately now; only the confirmed record refers to it.
        "evidence_file": _save_evidence(data.get("evidence_file"), "event"),
        "token": str(data["token"]),
    }
    context = {
        "agency": agency,
        "item": item,
        "item_label": catalogue_label(data["code"]),
        "data": payload,
        "is_warning": item.is_warning,
        "standing": sel.credit_standing_for_supervisor(agency),
        "withdraw_days": policy.warning_withdraw_working_days,
        "confirmation": confirmation_token(purpose=CONFIRM_PURPOSE, user=request.user, data=payload),
    }
    return render(request, "workflows/supervisor_event_confirm.html", context)


def _form_render(request, profile, form: EventForm, query: str = "", initial: dict | None = None):
    chosen = None
    uscc = form["agency"].value() if form.is_bound else (initial or {}).get("agency") or form.initial.get("agency")
    if uscc:
        chosen = sel.agency_in_scope_by_uscc(profile, str(uscc).replace(" ", "").upper())
    context = {
        "form": form,
        "query": query,
        "results": sel.agency_list_for_supervisor_search(profile, query),
        "chosen": chosen,
        "chosen_standing": sel.credit_standing_for_supervisor(chosen) if chosen else None,
    }
    return render(request, "workflows/supervisor_event_form.html", context)


# A search term longer than any agency's name or USCC finds nothing more; it is cut, as the directory cuts it.
SEARCH_MAX = 100


@supervisor_required
def event_new(request, profile):
    """Issue a credit warning or record a credit event (complaint, honour) against an agency in scope.

    POST without ``step``: validate and show the confirmation. ``step=confirm``: record what was confirmed.
    ``step=edit``: back to the form with the confirmed answers.
    """
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]  # SQLite refuses LIKE patterns past 50,000 bytes
    initial = {}
    if request.GET.get("agency"):
        initial["agency"] = request.GET["agency"].strip().upper()
    if request.GET.get("code") in EVENT_CODES:
        initial["code"] = request.GET["code"]
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step in ("confirm", "edit"):
        confirm = ConfirmationForm(request.POST, purpose=CONFIRM_PURPOSE, user=request.user)
        if not confirm.is_valid():
            for error in confirm.problems():
                messages.error(request, error)
            return _form_render(request, profile, EventForm(profile=profile, initial=initial), query, initial)
        data = confirm.cleaned_data["payload"]
        if step == "edit":
            answers = {k: data[k] for k in ("agency", "code", "facts", "evidence_summary", "token")}
            return _form_render(request, profile, EventForm(profile=profile, initial=answers), query, answers)
        agency = sel.agency_in_scope_by_uscc(profile, data["agency"])
        if agency is None:
            messages.error(request, _("该机构已不在您的监管范围内，未记录。"))
            return _form_render(request, profile, EventForm(profile=profile, initial=initial), query, initial)
        entry, created = _event_record_once(
            profile_user=request.user, agency=agency, code=data["code"], data=data, token=data["token"]
        )
        if created:
            messages.success(
                request, _("已记录：%(title)s（%(name)s）。") % {"title": entry.title, "name": entry.subject.name}
            )
        else:
            messages.warning(request, _("该表单已经提交过，未重复记录。以下是首次提交的结果。"))
        return redirect("supervisor-event", pk=entry.pk)
    form = EventForm(request.POST or None, request.FILES or None, profile=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        return _confirm_render(request, profile, form)
    return _form_render(request, profile, form, query, initial)


@supervisor_required
def event_detail(request, profile, pk: int):
    """What recording an event did: the entry, the score and grade after it, and measures it set off."""
    outcome = sel.ledger_event_for_supervisor(profile, pk)
    return render(request, "workflows/supervisor_event_done.html", _detail_context(request, outcome))


def _detail_context(request, outcome, form: WarningWithdrawForm | None = None) -> dict:
    entry = outcome.entry
    withdrawal = sel.warning_withdrawal_of(entry)
    problem = warning_withdraw_problem(entry, request.user) if entry.is_warning and withdrawal is None else None
    return {
        "outcome": outcome,
        "withdrawal": withdrawal,
        "can_withdraw": entry.is_warning and withdrawal is None and problem is None,
        "withdraw_problem": problem,
        "withdraw_until": warning_withdraw_until(entry) if entry.is_warning else None,
        "withdraw_form": form or WarningWithdrawForm(),
    }


@require_POST
@supervisor_required
def event_withdraw(request, profile, pk: int):
    """The issuing supervisor withdraws an erroneous warning, with a reason, within the policy's window."""
    outcome = sel.ledger_event_for_supervisor(profile, pk)
    form = WarningWithdrawForm(request.POST)
    if form.is_valid():
        try:
            warning_withdraw(entry=outcome.entry, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            refusal_show(request, exc, form=form, field=None if not exc.field_errors else "reason")
        else:
            messages.success(
                request,
                _("已撤回对「%(name)s」的信用警告：该记录不再计分，警告公告已撤回。") % {"name": outcome.subject.name},
            )
            return redirect("supervisor-event", pk=pk)
    outcome = sel.ledger_event_for_supervisor(profile, pk)
    return render(request, "workflows/supervisor_event_done.html", _detail_context(request, outcome, form))
