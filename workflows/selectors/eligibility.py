"""What an agency may sign up for and why not: requirements met by licences valid on a day, its standing as the pages mention it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

import datetime
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from credit_rules.models import CreditSubject
from marketplace.models import Agency, Qualification

from ..models import AvoidEntry, Membership, Project, ProjectQualification, SignUp
from .facts import current_membership


def _requirements_prefetch() -> Prefetch:
    return Prefetch(
        "requirements",
        queryset=ProjectQualification.objects.select_related("qualification_type", "min_level").order_by("pk"),
    )


class Eligibility(TypedDict):
    """What ``projects_with_eligibility`` annotates on each project (see there)."""

    in_category: bool
    req_total: int
    req_unmet: int
    avoid_reason: str | None
    my_signup_state: str | None
    eligible: bool


def projects_with_eligibility(agency: Agency, day: datetime.date) -> QuerySet[WithAnnotations[Project, Eligibility]]:
    """Projects annotated with this agency's eligibility, mirroring ``signups.missing_qualifications``.

    ``in_category``: the project's service category is one of the agency's; ``req_total``/``req_unmet``:
    requirements, and those no licence valid on ``day`` of that type and at least that level meets;
    ``avoid_reason``: the buyer's reason when the agency is on the avoid list; ``eligible``: all met.
    """
    categories = Agency.categories.through.objects.filter(
        agency_id=agency.pk, servicecategory_id=OuterRef("category_id")
    )
    meets = Qualification.objects.filter(
        agency_id=agency.pk,
        valid_until__gte=day,
        qualification_type_id=OuterRef("qualification_type_id"),
        level__rank__lte=OuterRef("min_level__rank"),
    )
    requirements = ProjectQualification.objects.filter(project_id=OuterRef("pk")).order_by().values("project_id")
    total = requirements.annotate(n=Count("pk")).values("n")
    unmet = requirements.filter(~Exists(meets)).annotate(n=Count("pk")).values("n")
    avoid = AvoidEntry.objects.filter(project_id=OuterRef("pk"), agency_id=agency.pk).values("reason")[:1]
    mine = (
        SignUp.objects.filter(project_id=OuterRef("pk"), agency_id=agency.pk)
        .exclude(state=SignUp.State.WITHDRAWN)
        .values("state")[:1]
    )
    qualified = (
        Q(req_total=0)
        | (Q(qualification_mode=Project.QualificationMode.ALL) & Q(req_unmet=0))
        | (Q(qualification_mode=Project.QualificationMode.ANY) & Q(req_unmet__lt=F("req_total")))
    )
    return (
        Project.objects.annotate(
            in_category=Exists(categories),
            req_total=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)),
            req_unmet=Coalesce(Subquery(unmet, output_field=IntegerField()), Value(0)),
            avoid_reason=Subquery(avoid),
            my_signup_state=Subquery(mine),
        )
        .annotate(
            eligible=Case(
                When(
                    Q(in_category=True)
                    & Q(avoid_reason__isnull=True)
                    & qualified
                    & (~Q(method=Project.Method.DIRECT) | Q(direct_agency_id=agency.pk)),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("buyer", "category")
        .prefetch_related(_requirements_prefetch())
    )


@dataclass(frozen=True)
class HeldLicence:
    """One of the agency's licences as the reasons need it."""

    type_id: int
    rank: int
    level_name: str
    valid_until: datetime.date


def licences_of(agency: Agency) -> list[HeldLicence]:
    """All the agency's licences, valid or not (expired ones explain a refusal)."""
    return [
        HeldLicence(q.qualification_type_id, q.level.rank, q.level.label, q.valid_until)
        for q in Qualification.objects.filter(agency=agency).select_related("level")
    ]


def _requirement_problem(req: ProjectQualification, held: list[HeldLicence], day: datetime.date) -> str | None:
    """Why a requirement is not met by licences valid on ``day``, in words; None when it is met."""
    of_type = [h for h in held if h.type_id == req.qualification_type_id]
    valid = [h for h in of_type if h.valid_until >= day]
    if any(h.rank <= req.min_level.rank for h in valid):
        return None
    params = {"type": req.qualification_type.label, "level": req.min_level.label}
    if valid:
        best = min(valid, key=lambda h: h.rank)
        return _("%(type)s资质等级不足：持有%(held)s，要求%(level)s及以上") % {**params, "held": best.level_name}
    expired = [h for h in of_type if h.rank <= req.min_level.rank]
    if expired:
        last = max(expired, key=lambda h: h.valid_until)
        return _("%(type)s%(level)s资质证书已于 %(date)s 过期") % {**params, "date": last.valid_until.isoformat()}
    return _("缺少%(type)s%(level)s及以上资质") % params


def ineligibility_reasons(
    project: WithAnnotations[Project, Eligibility], agency: Agency, held: list[HeldLicence], day: datetime.date
) -> list[str]:
    """Why the agency may not sign up for this project (empty when it may), from the page's loaded facts."""
    reasons: list[str] = []
    if not project.in_category:
        reasons.append(_("未登记服务事项「%(cat)s」") % {"cat": project.category.label})
    requirements = list(project.requirements.all())
    problems = [p for p in (_requirement_problem(r, held, day) for r in requirements) if p]
    any_mode = project.qualification_mode == Project.QualificationMode.ANY
    if requirements and ((any_mode and len(problems) == len(requirements)) or (not any_mode and problems)):
        reasons += problems
    if project.avoid_reason is not None:
        reasons.append(_("项目业主已申请贵机构回避：%(reason)s") % {"reason": project.avoid_reason})
    if project.method == Project.Method.DIRECT and project.direct_agency_id != agency.pk:
        reasons.append(_("直接选取项目，仅限指定机构报名"))
    return reasons


@dataclass(frozen=True)
class AgencyStatus:
    """Whether the agency can sign up at all right now, and why not (membership and measures)."""

    membership: Membership | None
    subject: CreditSubject | None

    @property
    def admitted(self) -> bool:
        return self.membership is not None and self.membership.state in (
            Membership.State.ACTIVE,
            Membership.State.RESTRICTED,
        )

    @property
    def warnings(self) -> list[str]:
        out: list[str] = []
        if self.subject is not None and self.subject.is_expelled:
            out.append(_("贵机构已被清退并列入黑名单，不能报名。"))
        elif self.membership is None:
            out.append(_("贵机构尚未入驻平台，入驻审核通过后方可报名。"))
        elif not self.admitted:
            out.append(
                _("贵机构当前入驻状态为「%(state)s」，暂不能报名。") % {"state": self.membership.get_state_display()}
            )
        if self.subject is not None and self.subject.is_restricted and self.admitted:
            out.append(_("贵机构处于限制交易期间：同时在办项目不得超过 1 个，且不得参与直接选取。"))
        return out


def agency_status(agency: Agency) -> AgencyStatus:
    """The agency's membership and cached credit standing (two queries)."""
    return AgencyStatus(current_membership(agency), CreditSubject.objects.filter(agency=agency).first())
