"""Reads of the identity verification (身份核验): the agency's own, the operator's queue and review page, and
why an unverified agency may not yet enter the market."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from marketplace.models import Agency

from ..models import IdentityVerification, TransitionLog


def verification_for_agency(agency: Agency) -> IdentityVerification | None:
    """The agency's verification (None only for an agency registered outside every path that opens one)."""
    return IdentityVerification.objects.filter(agency=agency).first()


def identity_refusal(agency: Agency, doing: str) -> str | None:
    """Why the agency may not do ``doing`` ("申请入驻", "报名") yet, and what to do; None once verified.

    The verdict is read from the agency row (``identity_verified_at``); only an unverified agency costs a query.
    """
    if agency.identity_verified_at is not None:
        return None
    verification = verification_for_agency(agency)
    if verification is not None and verification.state == IdentityVerification.State.VERIFIED:
        return None  # verified since this copy of the agency was loaded
    if verification is not None and verification.state == IdentityVerification.State.REJECTED:
        return _(
            "贵机构的身份核验未通过（理由：%(reason)s），暂不能%(doing)s。请在“身份核验”页按理由重新上传营业执照，"
            "核验通过后即可%(doing)s。"
        ) % {"reason": verification.reason, "doing": doing}
    return _(
        "贵机构的身份核验尚未完成：运营机构正在核对营业执照与登记的名称、统一社会信用代码和法定代表人，"
        "核验通过前暂不能%(doing)s，也不在公开名录中显示。核验结果将通过站内消息通知，可在“身份核验”页查看进度。"
    ) % {"doing": doing}


def verification_list_for_operator_queue() -> QuerySet[IdentityVerification]:
    """Verifications waiting for the operator's review, oldest first, with the agency and its region loaded."""
    return (
        IdentityVerification.objects.filter(state=IdentityVerification.State.SUBMITTED)
        .select_related("agency", "agency__region")
        .order_by("submitted_at", "pk")
    )


@dataclass
class OperatorIdentityPage:
    """What the operator compares: the registered data beside the licence scan, and the history so far."""

    verification: IdentityVerification
    agency: Agency
    history: list[TransitionLog]

    @property
    def reviewable(self) -> bool:
        return self.verification.state == IdentityVerification.State.SUBMITTED


def verification_get_for_operator(pk: int) -> OperatorIdentityPage | None:
    """One verification with the agency's registered data and the history of decisions (reasons included)."""
    verification = (
        IdentityVerification.objects.filter(pk=pk)
        .select_related("agency", "agency__region", "reviewer")
        .prefetch_related("agency__categories")
        .first()
    )
    if verification is None:
        return None
    history = list(
        TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(IdentityVerification),
            object_id=verification.pk,
            outcome=TransitionLog.Outcome.DONE,
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return OperatorIdentityPage(verification=verification, agency=verification.agency, history=history)
