"""The buyer's project: create, edit, submit for review, publish (operator), cancel, relaunch."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import Agency, BuyerUnit, QualificationLevel, QualificationType, ServiceCategory
from marketplace.selectors import acts_for_buyer_unit

from ... import draw
from ...models import AvoidEntry, CodeCounter, Project, ProjectQualification
from ..periods import after_working_days
from ..transitions import TransitionResult, row_reload, transition_run
from .notices import project_snapshot, termination_notice

DEFAULT_MIN_SIGNUPS: dict[str, int] = {
    Project.Method.DIRECT: 1,
    Project.Method.DRAW: 3,
    Project.Method.PRICE: 3,
    Project.Method.SCORED: 3,
}


EDITABLE_FIELDS = (
    "name",
    "category",
    "content",
    "scale",
    "budget",
    "qualification_mode",
    "quote_kind",
    "quote_floor",
    "quote_ceiling",
    "method",
    "min_signups",
    "direct_agency",
    "direct_reason",
    "weight_price",
    "weight_credit",
    "weight_proposal",
    "draw_beacon",
    "signup_days",
    "publicity_days",
    "contract_days",
    "service_days",
    "rating_days",
    "payment_days",
)


def direct_max_amount() -> Decimal:
    """Direct selection is allowed only up to this budget (configurable)."""
    return Decimal(str(getattr(settings, "ZJCS_DIRECT_MAX_AMOUNT", "300000")))


@dataclass(frozen=True)
class Requirement:
    """A qualification requirement as entered: type and minimum level."""

    qualification_type: QualificationType
    min_level: QualificationLevel


@dataclass(frozen=True)
class Avoid:
    """An agency to avoid (回避) with the buyer's reason."""

    agency: Agency
    reason: str


def project_problems(
    data: dict[str, Any], requirements: Iterable[Requirement], avoid: Iterable[Avoid]
) -> dict[str, str]:
    """Field errors of a project as a buyer would expect them, before anything is written."""
    errors: dict[str, str] = {}
    budget, floor, ceiling = data.get("budget"), data.get("quote_floor"), data.get("quote_ceiling")
    kind, method = data.get("quote_kind"), data.get("method")
    category: ServiceCategory | None = data.get("category")
    if category is not None and category.parent_id is None:
        errors["category"] = _("请选择具体的服务事项（二级分类）。")
    if budget is not None and budget <= 0:
        errors["budget"] = _("预算金额须大于 0。")
    if floor is not None and ceiling is not None:
        if floor < 0:
            errors["quote_floor"] = _("报价下限不能为负数。")
        elif floor > ceiling:
            errors["quote_ceiling"] = _("报价上限不能低于下限。")
        elif kind == Project.QuoteKind.AMOUNT and budget is not None and ceiling > budget:
            errors["quote_ceiling"] = _("报价上限不能高于预算金额。")
        elif kind == Project.QuoteKind.RATE and ceiling > 100:
            errors["quote_ceiling"] = _("下浮率不能超过 100%。")
    if method == Project.Method.DIRECT:
        if not data.get("direct_agency"):
            errors["direct_agency"] = _("直接选取须指定机构。")
        if not (data.get("direct_reason") or "").strip():
            errors["direct_reason"] = _("直接选取须书面说明理由。")
        if budget is not None and budget > direct_max_amount():
            errors["method"] = _("预算超过 %(max)s 元的项目不得直接选取。") % {"max": direct_max_amount()}
    if method == Project.Method.SCORED:
        total = sum(int(data.get(f) or 0) for f in ("weight_price", "weight_credit", "weight_proposal"))
        if total != 100:
            errors["weight_price"] = _("价格、信用、方案三项权重之和须为 100，当前为 %(t)s。") % {"t": total}
    min_signups = data.get("min_signups")
    if min_signups is not None and method and min_signups < DEFAULT_MIN_SIGNUPS.get(method, 1):
        errors["min_signups"] = _("该选取方式最少需要 %(n)s 家有效报名。") % {"n": DEFAULT_MIN_SIGNUPS[method]}
    for req in requirements:
        if req.min_level.qualification_type_id != req.qualification_type.pk:
            errors["requirements"] = _("资质等级与资质类型不匹配。")
    for entry in avoid:
        if not entry.reason.strip():
            errors["avoid"] = _("回避的机构须填写理由。")
    return errors


def project_code_next(at: datetime.datetime | None = None) -> str:
    """The next project code of the year, e.g. ZJCS-2026-000123 (row-locked counter)."""
    year = timezone.localtime(at or timezone.now()).year
    counter, _created = CodeCounter.objects.select_for_update().get_or_create(year=year)
    CodeCounter.objects.filter(pk=counter.pk).update(value=counter.value + 1)
    return f"ZJCS-{year}-{counter.value + 1:06d}"


def _set_lists(project: Project, requirements: Iterable[Requirement], avoid: Iterable[Avoid]) -> None:
    project.requirements.all().delete()
    ProjectQualification.objects.bulk_create(
        [
            ProjectQualification(project=project, qualification_type=r.qualification_type, min_level=r.min_level)
            for r in requirements
        ]
    )
    project.avoid_list.all().delete()
    AvoidEntry.objects.bulk_create(
        [AvoidEntry(project=project, agency=a.agency, reason=a.reason.strip()) for a in avoid]
    )


@transaction.atomic
def project_create(
    *,
    buyer: BuyerUnit,
    actor,
    data: dict[str, Any],
    requirements: Iterable[Requirement] = (),
    avoid: Iterable[Avoid] = (),
) -> Project:
    """A buyer drafts a project; nothing is written if any field is wrong."""
    if not acts_for_buyer_unit(actor, buyer):
        raise NotPermitted(_("您无权为该单位发布项目。"))
    requirements, avoid = list(requirements), list(avoid)
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    data.setdefault("min_signups", DEFAULT_MIN_SIGNUPS.get(data.get("method") or "", 3))
    errors = project_problems(data, requirements, avoid)
    if errors:
        raise ApplicationError(errors)
    project = Project.objects.create(buyer=buyer, created_by=actor, code=project_code_next(), **data)
    _set_lists(project, requirements, avoid)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor,
    data: dict[str, Any],
    requirements: Iterable[Requirement] = (),
    avoid: Iterable[Avoid] = (),
) -> Project:
    """Edit a project while it is a draft or returned; a published or closed project is refused."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if not acts_for_buyer_unit(actor, locked.buyer):
        raise NotPermitted(_("您无权修改该项目。"))
    if locked.state not in Project.EDITABLE:
        raise ApplicationError(_("项目当前状态为「%(state)s」，不能再修改。") % {"state": locked.get_state_display()})
    requirements, avoid = list(requirements), list(avoid)
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    merged = {f: getattr(locked, f) for f in EDITABLE_FIELDS} | data
    errors = project_problems(merged, requirements, avoid)
    if errors:
        raise ApplicationError(errors)
    Project.objects.filter(pk=locked.pk).update(**data)
    _set_lists(locked, requirements, avoid)
    row_reload(locked)
    return locked


def project_submit(*, project: Project, actor) -> TransitionResult:
    """Send the draft for the operator's review."""
    return transition_run(obj=project, name="submit", actor=actor, params={"at": timezone.now()})


def project_review(*, project: Project, actor, publish: bool, note: str = "") -> TransitionResult:
    """The operator publishes the project (sign-up opens, announcement goes out) or returns it."""
    if not publish:
        if not note.strip():
            raise ApplicationError(_("退回须填写修改意见。"))
        return transition_run(obj=project, name="send_back", actor=actor, params={"note": note})
    now = timezone.now()
    secret = draw.secret_new()
    locked_days = Project.objects.values_list("signup_days", flat=True).get(pk=project.pk)

    def announce(locked: Project, _decision) -> None:
        notice_request(
            kind="announcement",
            source_key=f"project:{locked.code}:announcement",
            payload={"title": f"{locked.name}采购公告", **project_snapshot(locked)},
        )

    return transition_run(
        obj=project,
        name="publish",
        actor=actor,
        params={
            "at": now,
            "signup_deadline": after_working_days(now, locked_days),
            "secret_hex": secret.hex(),
            "commitment": draw.commitment(secret),
        },
        on_done=announce,
    )


def project_cancel(*, project: Project, actor, reason: str) -> TransitionResult:
    """The buyer ends the project with a reason that is published (终止公告)."""
    if not project.published_at:
        raise ApplicationError(_("该项目尚未发布，无需终止：可以直接放弃草稿，不发布任何公告。"))
    if not reason.strip():
        raise ApplicationError(_("终止项目须填写原因，原因将公开发布。"))
    now = timezone.now()

    def publish(locked: Project, _decision) -> None:
        if locked.published_at:
            termination_notice(locked, reason, "终止")

    return transition_run(
        obj=project, name="cancel", actor=actor, params={"at": now, "reason": reason}, on_done=publish
    )


def project_discard(*, project: Project, actor) -> TransitionResult:
    """The buyer drops a project never published (a draft, returned or awaiting review): nothing is published."""
    return transition_run(obj=project, name="discard", actor=actor, params={"at": timezone.now()})


@transaction.atomic
def project_relaunch(*, project: Project, actor) -> Project:
    """A failed (流标) or cancelled project starts again as a new draft with the same terms."""
    if not acts_for_buyer_unit(actor, project.buyer):
        raise NotPermitted(_("您无权重新发起该项目。"))
    if project.state not in (Project.State.FAILED, Project.State.CANCELLED):
        raise ApplicationError(_("只有流标或终止的项目可以重新发起。"))
    data = {f: getattr(project, f) for f in EDITABLE_FIELDS}
    fresh = Project.objects.create(
        buyer=project.buyer, created_by=actor, code=project_code_next(), relaunch_of=project, **data
    )
    _set_lists(
        fresh,
        [
            Requirement(r.qualification_type, r.min_level)
            for r in project.requirements.select_related("qualification_type", "min_level")
        ],
        [Avoid(a.agency, a.reason) for a in project.avoid_list.select_related("agency")],
    )
    return fresh
