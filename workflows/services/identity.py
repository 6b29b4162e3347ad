"""An agency proves control of its USCC (身份核验): registration with the licence, the verdict, resubmission.

Registration opens the verification with the verifier this deployment uses (``workflows.identity``); until it
is verified the agency is not on the public credit pages and may neither apply to enter nor sign up
(``selectors.identity.identity_refusal``). Every change of state goes through the transition runner; the verdict
is mirrored on ``Agency.identity_verified_at`` in the verifying transition's side effect and told to the agency.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import services as market
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import Agency, Region, ServiceCategory
from marketplace.selectors import acts_for_agency
from marketplace.validators import validate_document_upload

from ..identity import verifier_current
from ..models import IdentityVerification
from .notifications.dispatch import event_notify_on_commit
from .transitions import TransitionResult, transition_run

REASON_MAX = 1000


def _licence_check(licence, *, required: bool) -> None:
    """The upload checks of every document (type, content, size), said on the licence field."""
    if not licence:
        if required:
            raise ApplicationError({"licence": _("请上传营业执照扫描件。")})
        return
    try:
        validate_document_upload(licence)
    except ValidationError as exc:
        raise ApplicationError({"licence": list(exc.messages)}) from None


@transaction.atomic
def agency_register(
    *,
    uscc: str,
    name: str,
    region: Region,
    password: str,
    licence=None,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    legal_representative: str = "",
    categories: Iterable[ServiceCategory] = (),
) -> IdentityVerification:
    """Open the agency's account (its login is the USCC) and its identity verification, or nothing at all."""
    verifier = verifier_current()
    _licence_check(licence, required=verifier.needs_licence)
    agency = market.agency_register(
        uscc=uscc,
        name=name,
        region=region,
        username=uscc,  # the login name is the USCC: choosing one would reveal who exists
        password=password,
        contact_name=contact_name,
        contact_phone=contact_phone,
        address=address,
        legal_representative=legal_representative,
        categories=categories,
    )
    return identity_open(agency=agency, licence=licence)


@transaction.atomic
def identity_open(*, agency: Agency, licence=None, at: datetime.datetime | None = None) -> IdentityVerification:
    """Open the verification of a newly registered agency with the current verifier (submitted)."""
    verifier = verifier_current()
    _licence_check(licence, required=verifier.needs_licence)
    verification = IdentityVerification(
        agency=agency, method=verifier.code, submitted_at=at or timezone.now(), licence=licence or ""
    )
    verification.save()
    verifier.start(verification)
    return verification


def identity_resubmit(*, verification: IdentityVerification, actor, licence) -> TransitionResult:
    """After a rejection, the agency uploads a new licence scan: the verification waits for review again."""
    if not acts_for_agency(actor, verification.agency):
        raise NotPermitted(_("您无权代表该机构提交身份核验材料。"))
    verifier = verifier_current()
    _licence_check(licence, required=verifier.needs_licence)
    now = timezone.now()

    def started(locked: IdentityVerification, _decision) -> None:
        verifier.start(locked)

    return transition_run(
        obj=verification,
        name="resubmit",
        actor=actor,
        params={"at": now, "licence": licence or verification.licence},
        at=now,
        on_done=started,
    )


def identity_decide(*, verification: IdentityVerification, actor, verified: bool, reason: str = "") -> TransitionResult:
    """The verdict: verified (the agency is listed and may apply to enter) or rejected with the reason it is told.

    ``actor`` is the operator, or None when a verifier's own callback checked the proof."""
    reason = (reason or "").strip()
    now = timezone.now()
    reviewer = actor if getattr(actor, "pk", None) else None
    if verified:

        def listed(locked: IdentityVerification, _decision) -> None:
            market.agency_identity_verified_mark(agency=locked.agency, at=now)
            event_notify_on_commit("identity_decided", locked.pk)

        result = transition_run(
            obj=verification,
            name="verify",
            actor=actor,
            params={"at": now, "reviewer": reviewer},
            at=now,
            on_done=listed,
        )
        if result.ok and IdentityVerification.agency.is_cached(verification):
            # The caller's copy of the agency says so too (the row was marked through the locked copy).
            verification.agency.identity_verified_at = verification.agency.identity_verified_at or now
        return result
    if not reason:
        raise ApplicationError({"reason": _("不通过核验须填写理由，机构将看到这段理由并据此重新提交。")})
    if len(reason) > REASON_MAX:
        raise ApplicationError(
            {"reason": _("理由不超过 %(max)d 个字，现在 %(n)d 个字。") % {"max": REASON_MAX, "n": len(reason)}}
        )

    def told(locked: IdentityVerification, _decision) -> None:
        event_notify_on_commit("identity_decided", locked.pk)

    return transition_run(
        obj=verification,
        name="reject",
        actor=actor,
        params={"at": now, "reason": reason, "reviewer": reviewer},
        at=now,
        on_done=told,
        note=reason,
    )
