"""Risk flags: the scan that stores what the detections find, and a supervisor's two decisions on a flag.

A flag never acts on credit: no ledger entry, no measure, no notice. Opening a case from one proposes a
``CreditCase`` through ``cases.case_propose``, which then goes through due process like any other.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.models import Agency
from marketplace.selectors import supervisor_covers, supervisor_profile_of

from ..models import RiskFlag
from ..selectors import risk, risk_conduct
from ..selectors.risk import Finding
from .credit.cases import case_propose
from .transitions import TransitionResult, transition_run

DETECTIONS = risk.DETECTIONS + risk_conduct.DETECTIONS


@transaction.atomic
def risk_flag_store(finding: Finding, now=None) -> bool:
    """Store one finding under its key; True when the flag is new. A flag already decided is left as it is."""
    now = now or timezone.now()
    flag = RiskFlag.objects.select_for_update().filter(key=finding.key).first()
    if flag is not None:
        if flag.state == RiskFlag.State.OPEN:
            RiskFlag.objects.filter(pk=flag.pk).update(evidence=finding.evidence, seen_at=now)
            flag.agencies.set(finding.agencies)
        return False
    flag = RiskFlag.objects.create(
        kind=finding.kind,
        key=finding.key,
        evidence=finding.evidence,
        buyer=finding.buyer,
        project=finding.project,
        region=finding.region,
        category=finding.category,
        detected_at=now,
        seen_at=now,
    )
    flag.agencies.set(finding.agencies)
    return True


def risk_flags_scan(now=None) -> dict[str, int]:
    """Run every detection and upsert its findings; returns how many flags were new, by kind."""
    now = now or timezone.now()
    created: dict[str, int] = {}
    for detect in DETECTIONS:
        for finding in detect(now):
            try:
                new = risk_flag_store(finding, now)
            except IntegrityError:
                new = False  # a concurrent scan stored the same key first
            created[finding.kind] = created.get(finding.kind, 0) + int(new)
    return created


def risk_flag_dismiss(*, flag: RiskFlag, actor, reason: str) -> TransitionResult:
    """The supervisor dismisses the flag, saying which innocent explanation it found."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError({"reason": _("请填写排除理由。")})
    return transition_run(
        obj=flag, name="dismiss", actor=actor, params={"at": timezone.now(), "user": actor, "reason": reason}
    )


@transaction.atomic
def risk_flag_case_open(
    *,
    flag: RiskFlag,
    actor,
    agency: Agency,
    facts: str,
    measure: str = "",
    months: int | None = None,
    ground_code: str = "",
) -> TransitionResult:
    """Propose a credit case against one of the flag's agencies, and mark the flag as having led to it.

    The case is only proposed: the agency is told and heard before anything is applied (``cases``).
    """
    locked = RiskFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.state != RiskFlag.State.OPEN:
        raise Conflict(_("该风险提示已处理（可能已被他人处理，请刷新页面）。"))
    if not locked.agencies.filter(pk=agency.pk).exists():
        raise NotPermitted(_("只能对该风险提示涉及的机构立案。"))
    if not supervisor_covers(supervisor_profile_of(actor), agency):
        raise NotPermitted(_("该机构不在您的监管范围内。"))
    case = case_propose(
        agency=agency, actor=actor, facts=facts, measure=measure, months=months, ground_code=ground_code
    )
    result = transition_run(
        obj=locked, name="open_case", actor=actor, params={"at": timezone.now(), "user": actor, "case": case}
    )
    if not result.ok:
        transaction.set_rollback(True)
    return result
