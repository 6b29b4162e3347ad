"""The buyer's project list and the project form (项目业主/采购受托人): draft a project, edit it while a draft.

Every page needs a signed-in account in the buyer role acting for a buyer unit; a project of another
unit is a 404. The form's one-time key makes a double submit create one project only; a refusal is
shown on the form, never as a server error.
"""

from __future__ import annotations

import uuid
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from credit_rules.buyer_record import buyer_record, buyer_unit_for_record
from marketplace.errors import ApplicationError
from marketplace.models import BuyerUnit

from ..forms.buyer import (
    AvoidFormSet,
    Catalogue,
    ProjectForm,
    RequirementFormSet,
    project_initial,
)
from ..models import Project
from ..selectors import buyer as sel
from ..services.procurement import projects as project_services
from .buyer_project import project_redirect
from .common import buyer_required, refusal_show

FORM_TOKENS = "buyer_project_form_tokens"


OPEN_FORMS_KEPT = 20


@buyer_required
def project_list(request: HttpRequest, unit: BuyerUnit) -> HttpResponse:
    """The unit's projects with state, sign-up deadline, sign-up count and the next step; and the unit's own
    government-integrity record (政务诚信), the same rows as its public page."""
    state = request.GET.get("state", "")
    if state not in Project.State.values:
        state = ""
    page = Paginator(sel.project_list_for_buyer_projects(unit, state), 50).get_page(request.GET.get("page"))
    rows = [(p, sel.next_action(p)) for p in page.object_list]
    record = buyer_record(buyer_unit_for_record(unit.uscc).get())
    context = {
        "unit": unit,
        "page": page,
        "rows": rows,
        "state": state,
        "states": Project.State.choices,
        "record": record,
    }
    return render(request, "workflows/buyer_projects.html", context)


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


def _service_errors(request: HttpRequest, exc: ApplicationError, form: ProjectForm) -> dict[str, list[str]]:
    """Put the service's refusal on the form; requirement and avoid errors go to their own sections."""
    sections = {name: texts for name, texts in exc.field_errors.items() if name in ("requirements", "avoid")}
    rest = {name: texts for name, texts in exc.field_errors.items() if name not in sections}
    if rest or not exc.field_errors:
        refusal_show(request, ApplicationError(rest) if rest else exc, form=form)
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
        return project_redirect(known[token])
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
        return project_redirect(done.code)
    except ApplicationError as exc:
        sections = _service_errors(request, exc, form)
        return _form_render(request, unit, form, req_formset, avoid_formset, sections=sections)
    request.session[FORM_TOKENS] = tokens
    messages.success(request, _("项目 %(code)s 已保存为草稿。核对无误后请提交审核。") % {"code": project.code})
    return project_redirect(project.code)


@require_http_methods(["GET", "POST"])
@buyer_required
def project_edit(request: HttpRequest, unit: BuyerUnit, code: str) -> HttpResponse:
    """Edit a draft or returned project; a submitted or closed one is refused with a message."""
    project = sel.project_for_buyer(unit, code)
    if project.state not in Project.EDITABLE:
        messages.error(request, _("项目当前状态为「%(state)s」，不能再修改。") % {"state": project.get_state_display()})
        return project_redirect(code)
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
                refusal_show(request, exc)
                return project_redirect(code)
            sections = _service_errors(request, exc, form)
            return _form_render(request, unit, form, req_formset, avoid_formset, project=project, sections=sections)
        messages.success(request, _("项目信息已保存。"))
        return project_redirect(code)
    return _form_render(request, unit, form, req_formset, avoid_formset, project=project)
