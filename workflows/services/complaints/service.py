"""Complaints (投诉) from a buyer or a member of the public about an agency's service: the agency states its
side, the supervisor in scope decides; an upheld complaint is a quality complaint on the agency's record
(QUALITY_COMPLAINT, escalated by the rules: enough of them within the window open a prior notice of
expulsion), and the decision is published without personal data."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import Source
from credit_rules.policy import policy_at
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.models import Agency
from marketplace.selectors import acts_for_agency, buyer_unit_acted_for

from ...models import Engagement, Project, ServiceComplaint
from ..credit.events import credit_event_record
from ..periods import after_working_days
from ..transitions import TransitionResult, transition_run
from .notices import reasons_check, service_decision_notice

QUALITY_COMPLAINT = "QUALITY_COMPLAINT"


@transaction.atomic
def service_complaint_file(
    *, agency: Agency, actor, grounds: str, evidence=None, project_code: str = ""
) -> ServiceComplaint:
    """A signed-in buyer or member of the public complains about an agency's service."""
    if actor is None or not actor.is_authenticated:
        raise NotPermitted(_("请先登录再提出投诉。"))
    if acts_for_agency(actor, agency):
        raise ApplicationError(_("不能投诉本机构。"))
    if not grounds.strip():
        raise ApplicationError({"grounds": _("请写明投诉事项和理由。")})
    project = None
    if project_code.strip():
        project = Project.objects.filter(code=project_code.strip()).first()
        if project is None or not Engagement.objects.filter(project=project, agency=agency).exists():
            raise ApplicationError({"project_code": _("未找到该机构承接的这个项目，请核对项目编号。")})
    if ServiceComplaint.objects.filter(agency=agency, filed_by=actor, state__in=ServiceComplaint.OPEN).exists():
        raise ApplicationError(_("您对该机构的投诉正在处理中，请勿重复提交。"))
    now = timezone.now()
    try:
        with transaction.atomic():
            return ServiceComplaint.objects.create(
                agency=agency,
                project=project,
                grounds=grounds,
                evidence=evidence or "",
                buyer=buyer_unit_acted_for(actor),
                filed_by=actor,
                filed_at=now,
                decision_due=after_working_days(now, policy_at(now).complaint_decide_working_days),
            )
    except IntegrityError:
        raise Conflict(_("您对该机构的投诉正在处理中，请勿重复提交。")) from None


def service_complaint_respond(*, complaint: ServiceComplaint, actor, text: str) -> TransitionResult:
    """The agency states its side on a complaint about it."""
    if not text.strip():
        raise ApplicationError({"response": _("请填写说明内容。")})
    now = timezone.now()
    return transition_run(obj=complaint, name="respond", actor=actor, params={"at": now, "text": text}, at=now)


def service_complaint_decide(*, complaint: ServiceComplaint, actor, uphold: bool, reasons: str) -> TransitionResult:
    """The supervisor in scope decides; upheld, a quality complaint is recorded on the agency's record."""
    reasons_check(reasons)
    now = timezone.now()

    def effects(locked: ServiceComplaint, _decision) -> None:
        if uphold:
            credit_event_record(
                subject=subject_for_agency(locked.agency),
                code=QUALITY_COMPLAINT,
                source=Source.SUPERVISOR,
                actor=actor,
                evidence={
                    "summary": reasons[:300],
                    "service_complaint": locked.pk,
                    **({"project": locked.project.code} if locked.project else {}),
                },
                at=now,
            )
        service_decision_notice(locked)

    return transition_run(
        obj=complaint,
        name="uphold" if uphold else "dismiss",
        actor=actor,
        params={"at": now, "user": actor, "reasons": reasons},
        at=now,
        on_done=effects,
    )
