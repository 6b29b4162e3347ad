"""The message each event sends, built from the row that caused it: who is told, what, by when, where.

Each builder takes a primary key (it runs in a task after the causing transaction committed) and calls
``service.notify`` under a key naming the event once, so a task run twice tells no one twice.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse

from credit_rules.models import LedgerEntry

from ...models import CreditCase, IdentityVerification, Notification, Objection, RepairRequest, SignUp
from .service import notify

Kind = Notification.Kind


def agency_recipients(agency_id: int) -> QuerySet:
    """The active accounts of an agency."""
    return get_user_model().objects.filter(agencystaff__agency_id=agency_id, is_active=True)


def buyer_recipients(unit_id: int) -> QuerySet:
    """The active accounts of a buyer unit."""
    return get_user_model().objects.filter(buyerstaff__unit_id=unit_id, is_active=True)


def win_notify(pk: int) -> list[Notification]:
    """The agency won (selected, or the alternate stepping up): confirm before publicity ends."""
    signup = SignUp.objects.select_related("project").get(pk=pk)
    project = signup.project
    return notify(
        recipients=agency_recipients(signup.agency_id),
        kind=Kind.WIN,
        key=f"win:{signup.pk}",
        params={"project": f"{project.code} {project.name}"},
        link=reverse("agency-project", kwargs={"code": project.code}),
        deadline=project.publicity_ends_at,
    )


def measure_notice_notify(pk: int) -> list[Notification]:
    """The agency was told of a measure (告知书, or a rule's prior notice 失信告知) and may answer until the due date."""
    case = CreditCase.objects.get(pk=pk)
    return notify(
        recipients=agency_recipients(case.agency_id),
        kind=Kind.MEASURE_NOTICE,
        key=f"measure_notice:{case.pk}",
        params={"measure": case.measure},
        link=reverse("agency-case-respond", kwargs={"pk": case.pk}),
        deadline=case.response_due,
    )


def objection_decided_notify(pk: int) -> list[Notification]:
    """The supervisor decided the agency's objection."""
    objection = Objection.objects.select_related("entry").get(pk=pk)
    return notify(
        recipients=agency_recipients(objection.agency_id),
        kind=Kind.OBJECTION_DECIDED,
        key=f"objection_decided:{objection.pk}",
        params={"entry": objection.entry.title, "overturned": objection.state == Objection.State.OVERTURNED},
        link=reverse("agency-credit"),
    )


def repair_decided_notify(pk: int) -> list[Notification]:
    """The supervisor decided the agency's credit repair request."""
    request = RepairRequest.objects.select_related("entry").get(pk=pk)
    return notify(
        recipients=agency_recipients(request.agency_id),
        kind=Kind.REPAIR_DECIDED,
        key=f"repair_decided:{request.pk}",
        params={"entry": request.entry.title, "approved": request.state == RepairRequest.State.APPROVED},
        link=reverse("agency-credit"),
    )


def repairable_notify(entry: LedgerEntry) -> list[Notification]:
    """修复提醒函: the agency's record has served its minimum period and may be repaired."""
    assert entry.subject.agency_id is not None
    return notify(
        recipients=agency_recipients(entry.subject.agency_id),
        kind=Kind.REPAIRABLE,
        key=f"repairable:{entry.pk}",
        params={"entry": entry.title},
        link=reverse("agency-repair-new", kwargs={"entry_id": entry.pk}),
    )


def identity_decided_notify(pk: int) -> list[Notification]:
    """The verifier decided the agency's identity verification: verified, or rejected with the reason."""
    verification = IdentityVerification.objects.get(pk=pk)
    verified = verification.state == IdentityVerification.State.VERIFIED
    return notify(
        recipients=agency_recipients(verification.agency_id),
        kind=Kind.IDENTITY_DECIDED,
        # One message per verdict: a rejection, and the verification after the resubmission, each tell once.
        key=f"identity_decided:{verification.pk}:{verification.state}:{verification.decided_at:%Y%m%d%H%M%S%f}",
        params={"verified": verified, "reason": verification.reason if not verified else ""},
        link=reverse("agency-identity"),
    )


EVENTS: dict[str, Callable[[int], list[Notification]]] = {
    "win": win_notify,
    "measure_notice": measure_notice_notify,
    "objection_decided": objection_decided_notify,
    "repair_decided": repair_decided_notify,
    "identity_decided": identity_decided_notify,
}
