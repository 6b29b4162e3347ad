"""One simulated day: what buyers, agencies, the operator and supervisors do, each through the services.

Each party acts on what is in front of it today (a project to sign up for, a win to confirm, a
contract to sign, a result to deliver, to accept, to rate, a fee to pay), deciding once, by the
probabilities of ``year.Behaviour``. The platform's sweeps (deadlines, credit) run each evening in
``year.year_simulate``.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from faker import Faker

from marketplace import services as market
from marketplace.errors import ApplicationError
from marketplace.models import Agency, QualificationLevel

from ..models import CreditCase, Engagement, Payment, Project, SignUp
from ..services import membership as membership_services
from ..services.credit import cases as case_services
from ..services.credit import events as event_services
from ..services.credit.external import external_list_import
from ..services.delivery import engagements as engagement_services
from ..services.delivery import payments as payment_services
from ..services.procurement import award as award_services
from ..services.procurement import projects as project_services
from ..services.procurement import selection as selection_services
from ..services.procurement import signups as signup_services
from .agencies import agencies_insert, agency_rows
from .identity import identity_verify_through_services

if TYPE_CHECKING:
    from .year import Behaviour, Cast

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "simulated-year-2026"
MARKS = {"excellent": (5, 5), "fair": (3, 4), "poor": (1, 2)}
CASE_FACTS = "连续两个项目的服务成果经复核存在同类质量问题，经约谈仍未整改。"


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _daily(per_year: float) -> float:
    """A yearly rate as the chance of it happening on one day."""
    return per_year / 365


@dataclass
class Day:
    """The simulated parties' memory from day to day: what each has decided, and when it will act."""

    cast: Cast
    behaviour: Behaviour
    rng: random.Random
    fake: Faker
    projects: int = 0
    decided: set[tuple[str, int]] = field(default_factory=set)
    due: dict[tuple[str, int], datetime.date] = field(default_factory=dict)

    def once(self, what: str, pk: int) -> bool:
        """True the first time a party looks at ``what`` of row ``pk``: it decides once."""
        key = (what, pk)
        if key in self.decided:
            return False
        self.decided.add(key)
        return True

    def __post_init__(self) -> None:
        # Who works for whom, and who offers what, does not change during the year: looked up once.
        self.clerks = {a.pk: u for a, u in self.cast.members}
        self.officers = {unit.pk: u for unit, u in self.cast.buyers}
        # The simulated parties act on their own projects only (the demo's stay as they are).
        self.ours = {"project__buyer_id__in": list(self.officers)}
        self.offering: dict[int, list[tuple[Agency, Any]]] = {}
        for agency in Agency.objects.filter(pk__in=self.clerks).prefetch_related("categories"):
            for category in agency.categories.all():
                self.offering.setdefault(category.pk, []).append((agency, self.clerks[agency.pk]))

    def user_of(self, agency: Agency):
        """The clerk who acts for the agency."""
        clerk = self.clerks.get(agency.pk)
        if clerk is None:
            link = agency.staff.first()
            assert link is not None  # every simulated agency opened its account with a clerk
            clerk = link.user
        return clerk

    def officer_of(self, project: Project):
        """The buyer's officer who runs the project."""
        return self.officers[project.buyer_id]

    def live(self, date: datetime.date) -> None:
        """Everything the parties do on ``date`` before the evening sweeps."""
        if date.weekday() < 5:
            for _ in range(self._count(self.behaviour.projects_per_weekday)):
                self._project_post()
        self._scoring()
        self._winners()
        self._contracts()
        self._deliveries(date)
        self._reviews()
        self._ratings_and_payments(date)
        self._supervision()

    def _count(self, mean: float) -> int:
        whole, part = int(mean), mean - int(mean)
        return whole + (self.rng.random() < part)

    # --- buyers post, the operator publishes, agencies sign up -------------------------------------

    def _project_post(self) -> None:
        unit, user = self.rng.choice(self.cast.buyers)
        category = self.rng.choice(self.cast.categories)
        members = self.offering.get(category.pk, [])
        if len(members) < 3:
            return
        method = _pick(self.rng, self.behaviour.methods)
        budget = Decimal(self.rng.randrange(60, 300)) * 1000
        data: dict[str, Any] = {
            "name": f"{unit.region.name}{category.name}项目（模拟）{self.projects + 1}",
            "category": category,
            "content": f"{category.name}服务，按规范出具成果文件。",
            "budget": budget,
            "quote_kind": Project.QuoteKind.AMOUNT,
            "quote_floor": (budget * Decimal("0.6")).quantize(Decimal("1")),
            "quote_ceiling": budget,
            "method": method,
        }
        if method == "direct":
            agency, _u = self.rng.choice(members)
            data |= {"direct_agency": agency, "direct_reason": "应急项目，由具备经验的机构直接承担。", "min_signups": 1}
        if method == "scored":
            data |= {"weight_price": 40, "weight_credit": 30, "weight_proposal": 30}
        try:
            project = project_services.project_create(buyer=unit, actor=user, data=data)
        except ApplicationError:
            return  # a buyer's form the service refuses (a direct project over the limit, say) is not posted
        project_services.project_submit(project=project, actor=user)
        project_services.project_review(project=project, actor=self.cast.operator, publish=True)
        self.projects += 1
        project = Project.objects.get(pk=project.pk)
        bidders = members if method != "direct" else [(a, u) for a, u in members if a.pk == data["direct_agency"].pk]
        low, high = self.behaviour.bidders
        for agency, agency_user in self.rng.sample(bidders, k=min(len(bidders), self.rng.randint(low, high))):
            quote = Decimal(self.rng.randrange(int(project.quote_floor), int(project.quote_ceiling) + 1))
            try:
                signup_services.signup_submit(project=project, agency=agency, actor=agency_user, quote=quote)
            except ApplicationError:
                continue  # e.g. already signed up: the clerk's second attempt is refused

    def _scoring(self) -> None:
        """Buyers of scored comparisons mark every admitted proposal, then finish the comparison."""
        for project in Project.objects.filter(
            state=Project.State.SELECTING, method=Project.Method.SCORED, buyer_id__in=self.officers
        ):
            user = self.officer_of(project)
            for signup in project.signups.filter(state=SignUp.State.ADMITTED):
                selection_services.proposal_mark(signup=signup, actor=user, mark=Decimal(self.rng.randint(55, 98)))
            selection_services.scored_finish(project=project, actor=user)

    # --- after the award ----------------------------------------------------------------------------

    def _winners(self) -> None:
        for signup in SignUp.objects.filter(state=SignUp.State.SELECTED, **self.ours).select_related(
            "agency", "project"
        ):
            if not self.once("win", signup.pk):
                continue
            roll = self.rng.random()
            user = self.user_of(signup.agency)
            if roll < self.behaviour.winner_declines:
                award_services.winner_decline(signup=signup, actor=user, reason="人员调整，无法按期承接。")
            elif roll >= self.behaviour.winner_declines + self.behaviour.winner_silent:
                award_services.winner_confirm(signup=signup, actor=user)
            # otherwise silent: publicity ends unconfirmed and the sweep takes it as declined

    def _contracts(self) -> None:
        for engagement in Engagement.objects.filter(
            state=Engagement.State.AWAITING_CONTRACT, **self.ours
        ).select_related("agency", "project"):
            if not engagement.contract_file:
                if self.once("upload", engagement.pk) and self.rng.random() >= self.behaviour.contract_missed:
                    engagement_services.contract_upload(
                        engagement=engagement, actor=self.user_of(engagement.agency), file=ContentFile(PDF, "合同.pdf")
                    )
            elif self.once("sign", engagement.pk):
                user = self.officer_of(engagement.project)
                engagement_services.contract_sign(engagement=engagement, actor=user, amount=engagement.amount)

    def _deliveries(self, date: datetime.date) -> None:
        running = Engagement.objects.filter(
            state__in=[Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK], **self.ours
        ).select_related("agency", "project")
        for engagement in running:
            key = ("deliver", engagement.pk)
            if key not in self.due:
                end = timezone.localtime(engagement.service_end).date()
                late = self.rng.random() < self.behaviour.delivers_late
                self.due[key] = end + datetime.timedelta(
                    days=self.rng.randint(2, 20) if late else -self.rng.randint(1, 8)
                )
            if date >= self.due[key]:
                del self.due[key]  # a return for rework sets a new delivery date
                if engagement.measure_decision_due and engagement.buyer_continues is None:
                    continue  # waiting for the buyer's decision after a measure
                engagement_services.result_submit(
                    engagement=engagement, actor=self.user_of(engagement.agency), file=ContentFile(PDF, "成果.pdf")
                )

    def _reviews(self) -> None:
        for engagement in Engagement.objects.filter(
            state=Engagement.State.RESULT_SUBMITTED, **self.ours
        ).select_related("project"):
            user = self.officer_of(engagement.project)
            rework = self.once("review", engagement.pk) and self.rng.random() < self.behaviour.rework
            engagement_services.result_review(
                engagement=engagement, actor=user, accept=not rework, note="成果部分章节需补充论证。" if rework else ""
            )

    def _ratings_and_payments(self, date: datetime.date) -> None:
        for engagement in Engagement.objects.filter(state=Engagement.State.ACCEPTED, **self.ours).select_related(
            "project"
        ):
            if self.once("rate", engagement.pk):
                user = self.officer_of(engagement.project)
                low, high = MARKS[_pick(self.rng, self.behaviour.rating)]
                marks = {
                    m: self.rng.randint(low, high) for m in ("quality", "timeliness", "attitude", "fees", "conformity")
                }
                engagement_services.rating_submit(engagement=engagement, actor=user, marks=marks)
        for payment in Payment.objects.filter(
            state=Payment.State.DUE, engagement__project__buyer_id__in=self.officers
        ).select_related("engagement__project"):
            key = ("pay", payment.pk)
            if key not in self.due:
                due = timezone.localtime(payment.due_at).date()
                late = self.rng.random() < self.behaviour.pays_late
                self.due[key] = due + datetime.timedelta(
                    days=self.rng.randint(3, 30) if late else -self.rng.randint(1, 20)
                )
            if date >= self.due[key]:
                del self.due[key]
                project = payment.engagement.project
                user = self.officer_of(project)
                payment_services.payment_record(
                    payment=payment, actor=user, reference="", provider="sandbox", key=f"sim-pay-{payment.pk}"
                )

    # --- supervisors ---------------------------------------------------------------------------------

    def _supervision(self) -> None:
        b, rng, supervisor = self.behaviour, self.rng, self.cast.supervisor
        for agency, _user in self.cast.members:
            roll = rng.random()
            if roll < _daily(b.warnings):
                event_services.warning_issue(
                    agency=agency,
                    actor=supervisor,
                    facts="服务成果逾期且未按约定说明理由，经核查属实。",
                    evidence_summary="项目业主投诉，经核查逾期交付属实。",
                )
            elif roll < _daily(b.warnings + b.complaints):
                self._event(agency, "QUALITY_COMPLAINT", "服务成果质量投诉经复核属实。")
            elif roll < _daily(b.warnings + b.complaints + b.false_materials):
                self._event(agency, "FALSE_MATERIALS", "入驻材料中的业绩合同经核查系伪造。")
            elif roll < _daily(b.warnings + b.complaints + b.false_materials + b.honours):
                self._event(agency, "HONOUR_RED_LIST", "获评市级诚信示范单位。", publish="red_list")
            elif roll < _daily(b.warnings + b.complaints + b.false_materials + b.honours + b.restrict_cases):
                case = case_services.case_propose(
                    agency=agency, actor=supervisor, facts=CASE_FACTS, measure="restrict", months=3
                )
                case_services.case_notify(case=case, actor=supervisor)
        for case in CreditCase.objects.filter(state=CreditCase.State.NOTIFIED, proposed_by=supervisor):
            if case.response_due and timezone.now() >= case.response_due:
                case_services.case_decide(case=case, actor=supervisor, apply=True, note="未陈述申辩，依法实施。")

    def _event(self, agency: Agency, code: str, summary: str, publish: str | None = None) -> None:
        from credit_rules.models import Source
        from credit_rules.services import subject_for_agency

        event_services.credit_event_record(
            subject=subject_for_agency(agency),
            code=code,
            source=Source.SUPERVISOR,
            actor=self.cast.supervisor,
            evidence={"summary": summary},
            publish=publish,
        )


def applicant_arrives(day: Day, serial: int) -> None:
    """A new agency opens its account and applies to enter; some are on a court's list of judgment debtors."""
    ((agency, categories),) = agency_rows(serial, serial + 1, day.fake, day.rng)
    if Agency.objects.filter(uscc=agency.uscc).exists():
        return
    agencies_insert([(agency, categories)], first=serial, rng=day.rng)
    agency = Agency.objects.get(uscc=agency.uscc)
    user = market.user_create(username=f"sim_applicant_{serial}", password=PASSWORD, role="agency")
    market.agency_staff_add(agency=agency, user=user, is_admin=True, position="经办人")
    # It registered with its licence and the operator verified it (the simulated registrants are who they say).
    identity_verify_through_services(agency, day.cast.operator)
    for qualification in agency.qualifications.filter(valid_until__lt=timezone.localdate()):
        level = QualificationLevel.objects.filter(qualification_type=qualification.qualification_type).order_by("rank")[
            0
        ]
        membership_services.qualification_add(
            agency=agency,
            actor=user,
            qualification_type=qualification.qualification_type,
            level=level,
            certificate_no=f"{qualification.certificate_no}-R",
            valid_until=timezone.localdate() + datetime.timedelta(days=700),
        )
    if day.rng.random() < day.behaviour.applicant_listed:
        listed_on = (timezone.localdate() - datetime.timedelta(days=day.rng.randint(30, 400))).isoformat()
        content = f"uscc,name,reason,source,listed_on\n{agency.uscc},{agency.name},未履行生效法律文书确定的义务,最高人民法院失信被执行人名单,{listed_on}\n"
        external_list_import(content=content.encode(), filename="sxbzxr.csv", actor=day.cast.office)
    membership = membership_services.membership_start(agency=agency, actor=user)
    membership = membership_services.membership_update_application(
        membership=membership, actor=user, statement="依法诚信执业，按约定提交服务成果。", categories=categories
    )
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    if result.ok and result.obj.state == result.obj.State.SUBMITTED:
        membership_services.membership_review(membership=result.obj, actor=day.cast.supervisor, decision="approve")
