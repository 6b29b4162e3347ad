"""The releases of one project, one per step the public may know of, and its compiled release (docs/ocds.md).

Each release is the whole picture as of its date (the steps before it, and nothing after), so merging them with
the OCDS merge routine gives the compiled release this module builds itself. Before the sign-up close a release
holds no bidder, no quote and no credit refusal; a project cancelled before its close never shows any.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from credit_rules.gate import Reason
from credit_rules.rules.base import REGISTRY
from workflows.models import Project, SignUp

from .loading import Bundle
from .mapping import (
    draw_documents,
    method,
    ocid_for,
    org_ref,
    party,
    party_id,
    value,
    when,
)

CLOSED_STATES = (SignUp.State.SUBMITTED, SignUp.State.WITHDRAWN)
PHASES = {
    "tender": 0,
    "tenderUpdate": 1,
    "awardCancellation": 2,
    "award": 3,
    "awardUpdate": 4,
    "contract": 5,
    "implementation": 6,
    "contractTermination": 7,
    "tenderCancellation": 8,
    "unsuccessful": 8,  # a failure (tag tenderUpdate) ends the process like a cancellation
}


@dataclass
class Step:
    at: datetime.datetime
    key: str
    tag: str
    apply: Callable[[dict[str, Any]], None]


class Picture:
    """The cumulative state the releases are snapshots of."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.project = bundle.project
        self.ocid = ocid_for(self.project.code)
        self.parties: dict[str, dict[str, Any]] = {}
        self.data: dict[str, Any] = {}
        self.awards: dict[int, dict[str, Any]] = {}
        self.contracts: dict[int, dict[str, Any]] = {}
        self.closed_at: datetime.datetime | None = None

    def party_add(self, org, role: str) -> None:
        found = self.parties.setdefault(party_id(org), party(org, []))
        if role not in found["roles"]:
            found["roles"].append(role)

    def snapshot(self, step: Step) -> dict[str, Any]:
        release: dict[str, Any] = {
            "ocid": self.ocid,
            "id": f"{self.ocid}-{step.key}",
            "date": when(step.at),
            "tag": [step.tag],
            "initiationType": "tender",
            "language": "zh",
            "parties": list(self.parties.values()),
            **self.data,
        }
        if self.closed_at is not None:
            refusals = [_refusal(r) for r in self.bundle.refusals if r.at <= step.at]
            if refusals:
                release["tender"] = {**release["tender"], "zjcs_creditRefusals": refusals}
        if self.awards:
            release["awards"] = list(self.awards.values())
        if self.contracts:
            release["contracts"] = list(self.contracts.values())
        return copy.deepcopy(release)


def _refusal(record) -> dict[str, Any]:
    """One refusal of the gate at a bidder's step: the organisation, the step, each rule with its basis."""
    reasons = []
    with translation.override("zh-hans"):
        for stored in record.reasons:
            if stored.get("outcome") != "refuse":
                continue
            code = stored.get("rule", "")
            if code in REGISTRY:
                reason = Reason(code, "refuse", stored.get("params") or {}, stored.get("local_basis", ""))
                found = {"title": reason.title, "message": reason.message, "basis": reason.basis}
            else:  # a rule retired since: what was recorded
                found = {"message": stored.get("message", "")}
            # An id (the rule: once per decision) lets the OCDS merge match the entry across releases.
            reasons.append({"id": code, "ruleCode": code, **found})
    return {
        "id": str(record.pk),
        "date": when(record.at),
        "step": record.transition,
        "tenderer": org_ref(record.subject.agency),
        "reasons": reasons,
    }


def _sealed_for_good(bundle: Bundle) -> bool:
    """Cancelled before the close (nothing admitted or rejected): the bidders stay sealed for good."""
    project = bundle.project
    return project.state == Project.State.CANCELLED and all(s.state in CLOSED_STATES for s in bundle.signups)


def steps_of(picture: Picture) -> list[Step]:
    """Every public step of the project with its moment, in order."""
    bundle, project = picture.bundle, picture.project
    steps: list[Step] = [Step(project.published_at, "tender", "tender", lambda d: _tender(picture))]
    # The bidders are public from the deadline on, once the close has run (it may fail the project at once).
    closed = bundle.step_at("project", project.pk, "close_signup") is not None or (
        project.state == Project.State.FAILED and bool(bundle.signups)
    )
    close_at = project.signup_deadline and max(project.signup_deadline, project.published_at)
    if closed and close_at is not None and not _sealed_for_good(bundle):
        steps.append(Step(close_at, "close", "tenderUpdate", lambda d: _close(picture, close_at)))
    for signup in bundle.signups:
        if signup.selected_at is None:
            continue
        steps.append(Step(signup.selected_at, f"award-{signup.pk}", "award", lambda d, s=signup: _award(picture, s)))
        for name in ("decline", "revoke"):
            at = bundle.step_at("signup", signup.pk, name)
            if at is not None:
                steps.append(
                    Step(
                        at,
                        f"award-{signup.pk}-{name}",
                        "awardCancellation",
                        _award_status(picture, signup.pk, "cancelled"),
                    )
                )
    confirmed = bundle.step_at("project", project.pk, "confirm_winner")
    if confirmed is not None:
        winner = max(
            (s for s in bundle.signups if s.selected_at and s.selected_at <= confirmed),
            key=lambda s: s.selected_at,
            default=None,
        )
        if winner is not None:
            steps.append(
                Step(confirmed, f"award-{winner.pk}-active", "awardUpdate", _award_status(picture, winner.pk, "active"))
            )
    for engagement in bundle.engagements:
        steps.extend(_contract_steps(picture, engagement))
    if project.state in (Project.State.CANCELLED, Project.State.FAILED) and project.closed_at:
        cancelled = project.state == Project.State.CANCELLED
        tag, key = ("tenderCancellation", "cancelled") if cancelled else ("tenderUpdate", "unsuccessful")
        steps.append(
            Step(project.closed_at, key, tag, lambda d: _ended(picture, "cancelled" if cancelled else "unsuccessful"))
        )
    # In date order to the second (what a release says); within a second, in the order of the process: each step at
    # its moment, except that a win's cancellation follows its own award at once (the decline is logged after the
    # alternate it steps up is selected, so its own moment would put the alternate's award first).
    selected = {f"award-{s.pk}": s.selected_at for s in bundle.signups if s.selected_at}
    tick = datetime.timedelta(microseconds=1)

    def moment(step: Step) -> datetime.datetime:
        own = selected.get(step.key.removesuffix("-decline").removesuffix("-revoke"))
        return own + tick if step.tag == "awardCancellation" and own else step.at

    ordered = [(when(s.at), moment(s), PHASES.get(s.key, PHASES[s.tag]), n, s) for n, s in enumerate(steps) if s.at]
    return [s for *_key, s in sorted(ordered, key=lambda t: t[:4])]


def _contract_steps(picture: Picture, engagement) -> list[Step]:
    project = picture.project
    if engagement.contracted_at is None or engagement.signup_id is None:
        return []
    pk = engagement.pk
    steps = [Step(engagement.contracted_at, f"contract-{pk}", "contract", lambda d: _contract(picture, engagement))]
    payment = getattr(engagement, "payment", None)
    if payment is not None and payment.paid_at is not None:
        steps.append(
            Step(
                payment.paid_at,
                f"payment-{payment.pk}",
                "implementation",
                lambda d: _paid(picture, engagement, payment),
            )
        )
    ended = picture.bundle.step_at("engagement", pk, "terminate")
    if ended is None and project.state == Project.State.CLOSED and engagement.state == "rated":
        ended = project.closed_at
    if ended is not None:
        steps.append(
            Step(
                ended,
                f"contract-{pk}-end",
                "contractTermination",
                _contract_status(picture, pk, "terminated"),
            )
        )
    return steps


def _tender(picture: Picture) -> None:
    project = picture.project
    picture.party_add(project.buyer, "buyer")
    picture.data["buyer"] = org_ref(project.buyer)
    picture.data["planning"] = {"budget": {"amount": value(project.budget), "description": "项目预算 (Budget)"}}
    category = project.category
    item = {
        "id": "1",
        "description": f"{category.name}" + (f"：{project.scale}" if project.scale else ""),
        "classification": {"scheme": "ZJCS-SERVICE", "id": category.code, "description": category.name},
        "quantity": 1,
    }
    picture.data["tender"] = {
        "id": project.code,
        "title": project.name,
        "description": project.content,
        "status": "active",
        "value": value(project.budget),
        **method(project),
        "mainProcurementCategory": "services",
        "items": [item],
        "tenderPeriod": {"startDate": when(project.published_at), "endDate": when(project.signup_deadline)},
    }


def _close(picture: Picture, at: datetime.datetime) -> None:
    """The sign-up closed: the bidders in the pool are public from now on (their quotes are in the awards)."""
    picture.closed_at = at
    pool = [s for s in picture.bundle.signups if s.state not in CLOSED_STATES]
    for signup in pool:
        picture.party_add(signup.agency, "tenderer")
    for record in picture.bundle.refusals:
        if record.at <= at and all(s.agency_id != record.subject.agency_id for s in pool):
            picture.party_add(record.subject.agency, "interestedParty")
    tender = picture.data["tender"]
    tender["numberOfTenderers"] = len(pool)
    if pool:
        tender["tenderers"] = [org_ref(s.agency) for s in pool]


def _award(picture: Picture, signup: SignUp) -> None:
    project = picture.project
    picture.party_add(signup.agency, "supplier")
    award: dict[str, Any] = {
        "id": f"{project.code}-award-{signup.pk}",
        "title": f"{project.name} 中选结果",
        "status": "pending",
        "date": when(signup.selected_at),
        "suppliers": [org_ref(signup.agency)],
    }
    if project.quote_kind == Project.QuoteKind.AMOUNT and signup.quote is not None:
        award["value"] = value(signup.quote)
    documents = draw_documents(project)
    if documents:
        award["documents"] = documents
    picture.awards[signup.pk] = award


def _award_status(picture: Picture, signup_pk: int, status: str):
    def apply(_data):
        if signup_pk in picture.awards:
            picture.awards[signup_pk]["status"] = status

    return apply


def _contract(picture: Picture, engagement) -> None:
    project = picture.project
    contract: dict[str, Any] = {
        "id": f"{project.code}-contract-{engagement.pk}",
        "awardID": f"{project.code}-award-{engagement.signup_id}",
        "title": f"{project.name} 服务合同",
        "status": "active",
        "dateSigned": when(engagement.contracted_at),
    }
    if engagement.amount is not None:
        contract["value"] = value(engagement.amount)
    period = {"startDate": when(engagement.contracted_at)}
    if engagement.service_end:
        period["endDate"] = when(engagement.service_end)
    contract["period"] = period
    picture.contracts[engagement.pk] = contract
    picture.data["tender"]["status"] = "complete"
    if engagement.signup_id in picture.awards:
        picture.awards[engagement.signup_id]["status"] = "active"


def _paid(picture: Picture, engagement, payment) -> None:
    transaction = {
        "id": f"{picture.project.code}-payment-{payment.pk}",
        "date": when(payment.paid_at),
        "value": value(payment.amount),
        "payer": org_ref(picture.project.buyer),
        "payee": org_ref(engagement.agency),
    }
    picture.party_add(picture.project.buyer, "payer")
    picture.party_add(engagement.agency, "payee")
    picture.contracts[engagement.pk]["implementation"] = {"transactions": [transaction]}


def _contract_status(picture: Picture, pk: int, status: str):
    def apply(_data):
        if pk in picture.contracts:
            picture.contracts[pk]["status"] = status

    return apply


def _ended(picture: Picture, status: str) -> None:
    tender = picture.data["tender"]
    tender["status"] = status
    if picture.project.cancel_reason:
        tender["zjcs_statusReason"] = picture.project.cancel_reason
    for award in picture.awards.values():
        if award["status"] == "pending":
            award["status"] = "cancelled"


def releases_build(bundle: Bundle) -> list[dict[str, Any]]:
    """The project's releases, oldest first; ids stable (``<ocid>-<step>``)."""
    if bundle.project.published_at is None:
        return []
    picture = Picture(bundle)
    found = []
    for step in steps_of(picture):
        step.apply(picture.data)
        found.append(picture.snapshot(step))
    return found


def compiled_build(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release: the last picture, named as the OCDS merge routine names it."""
    last = copy.deepcopy(releases[-1])
    last["id"] = f"{last['ocid']}-{last['date']}"
    last["tag"] = ["compiled"]
    return last
