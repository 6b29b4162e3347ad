"""Random lives of a few agencies under a simulated clock, with the lifecycle's invariants after every step.

A hypothesis state machine records events (warnings, complaints, poor and excellent ratings,
honours, serious and grave findings), decides cases, lists and delists agencies, moves the clock,
runs the sweep, objects and overturns, repairs, withdraws and reapplies — all through the
services. After every step: no expelled agency is admitted; no suspended agency passes the
sign-up gate; a suspended membership rests on a suspension in force (or one the sweep has yet to
end); each cached standing equals the ledger's at the moment it was cached; every hash chain is
intact. After a sweep, each admitted membership mirrors the measures in force exactly.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from credit_rules import gate
from credit_rules.models import CreditSubject, ExternalListing, LedgerEntry, MeasureKind, Source
from credit_rules.services import subject_for_agency
from credit_rules.standing import standing_compute
from credit_rules.verify import ledger_verify
from tests.factories import (
    AgencyFactory,
    QualificationFactory,
    agency_user,
    hearing_lapsed,
    list_agency,
    supervisor_user,
)
from tests.helpers import pdf_file
from tests.workflows.services.stateful import RolledBackMachine
from workflows.models import Membership, Objection, RepairRequest
from workflows.selectors import facts
from workflows.services import membership as membership_services
from workflows.services.credit import cases as case_services
from workflows.services.credit import events as event_services
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services
from workflows.services.credit import sweeps as credit_sweeps

AGENCIES = 3
EVENTS = ["QUALITY_COMPLAINT", "RATING_POOR", "RATING_EXCELLENT", "HONOUR_RED_LIST", "DECLINE_WIN", "FALSE_MATERIALS"]
State = Membership.State


class AgencyLives(RolledBackMachine):
    """A few agencies, one supervisor, one clock; every example runs in its own rolled-back savepoint.

    The agencies are admitted once per test (``AgencyLivesTest``): every example starts from them as the
    savepoint left them, as if it had admitted them itself, at a fraction of the cost.
    """

    supervisor = None
    agencies: list = []
    users: list = []

    def __init__(self):
        super().__init__()
        self.listed: dict[int, datetime.date] = {}

    @classmethod
    def cast(cls) -> None:
        """The supervisor and the agencies, admitted through the entry path, shared by every example."""
        cls.supervisor = supervisor_user()
        cls.agencies, cls.users = [], []
        for _ in range(AGENCIES):
            agency = AgencyFactory()
            # Licences outlive the simulation so reapplying is decided by credit, not by paperwork.
            QualificationFactory(agency=agency, valid_until=timezone.now().date() + datetime.timedelta(days=365 * 30))
            cls.agencies.append(agency)
            cls.users.append(agency_user(agency))
            cls._apply(len(cls.agencies) - 1)

    # --- helpers ----------------------------------------------------------------------------------

    def _subject(self, i: int) -> CreditSubject:
        return subject_for_agency(self.agencies[i])

    def _membership(self, i: int) -> Membership | None:
        return facts.current_membership(self.agencies[i])

    @classmethod
    def _apply(cls, i: int) -> None:
        """Apply (or reapply) for membership, and let the supervisor approve what reaches review."""
        agency, user = cls.agencies[i], cls.users[i]
        membership = membership_services.membership_start(agency=agency, actor=user)
        if membership.state in (State.DRAFT, State.RETURNED):
            membership = membership_services.membership_update_application(
                membership=membership, actor=user, statement="依法诚信执业，按时保质提交服务成果。"
            )
            membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
        membership = Membership.objects.get(pk=membership.pk)
        if membership.state == State.SUBMITTED:
            membership_services.membership_review(membership=membership, actor=cls.supervisor, decision="approve")

    # --- rules ------------------------------------------------------------------------------------

    @rule(i=st.integers(0, AGENCIES - 1))
    def warning(self, i):
        event_services.warning_issue(
            agency=self.agencies[i], actor=self.supervisor, facts="逾期提交成果。", evidence_summary="逾期提交成果。"
        )

    @rule(i=st.integers(0, AGENCIES - 1), code=st.sampled_from(EVENTS))
    def event(self, i, code):
        event_services.credit_event_record(
            subject=self._subject(i), code=code, source=Source.SUPERVISOR, actor=self.supervisor, at=self.clock
        )

    @rule(
        i=st.integers(0, AGENCIES - 1),
        measure=st.sampled_from([MeasureKind.RESTRICT, MeasureKind.SUSPEND]),
        months=st.integers(1, 3),
        apply=st.booleans(),
    )
    def case(self, i, measure, months, apply):
        case = case_services.case_propose(
            agency=self.agencies[i], actor=self.supervisor, facts="经核查存在失信行为。", measure=measure, months=months
        )
        case_services.case_notify(case=case, actor=self.supervisor)
        hearing_lapsed(case)
        case_services.case_decide(case=case, actor=self.supervisor, apply=apply, note="依程序决定")

    @rule(days=st.sampled_from([1, 5, 20, 31, 45, 95, 200, 400, 800]))
    def advance(self, days):
        self.clock += datetime.timedelta(days=days)

    @rule()
    def sweep(self):
        credit_sweeps.credit_sweep(self.clock)
        # Right after a sweep, an admitted membership mirrors the measures in force exactly.
        for i in range(AGENCIES):
            membership = self._membership(i)
            if membership is None or not membership.is_admitted:
                continue
            standing = standing_compute(self._subject(i), self.clock)
            suspended, restricted = standing.has(MeasureKind.SUSPEND), standing.has(MeasureKind.RESTRICT)
            assert (membership.state == State.SUSPENDED) == suspended, (membership.state, standing.measures)
            if suspended:
                resume = membership.resume_state or State.ACTIVE
                assert (resume == State.RESTRICTED) == restricted, (membership.resume_state, standing.measures)
            else:
                assert (membership.state == State.RESTRICTED) == restricted, (membership.state, standing.measures)
            # ... and a member on an external list in force is suspended, whatever date the file gave.
            today = timezone.localtime(self.clock).date()
            listed = ExternalListing.objects.filter(uscc=self.agencies[i].uscc, listed_on__lte=today).filter(
                Q(delisted_on__isnull=True) | Q(delisted_on__gt=today)
            )
            assert not listed.exists() or suspended, (membership.state, standing.measures)

    def _staff_of(self, entry: LedgerEntry):
        return self.users[[a.pk for a in self.agencies].index(entry.subject.agency_id)]

    @rule(pick=st.integers(0, 50), overturn=st.booleans())
    def object(self, pick, overturn):
        """One of the agencies objects to a recent record of its own; the supervisor decides."""
        entries = [
            e
            for e in LedgerEntry.objects.filter(
                subject__agency__in=self.agencies,
                kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE],
                effective_at__gte=self.clock - datetime.timedelta(days=30),
                effective_at__lte=self.clock,
            )
            .select_related("subject")
            .order_by("pk")
            if not e.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists()
            and not Objection.objects.filter(entry=e, state=Objection.State.SUBMITTED).exists()
        ]
        if not entries:
            return
        entry = entries[pick % len(entries)]
        objection = objection_services.objection_submit(entry=entry, actor=self._staff_of(entry), reason="记录有误。")
        result = objection_services.objection_decide(
            objection=objection, actor=self.supervisor, overturn=overturn, note="处理意见"
        )
        assert result.ok, result.messages

    @rule(pick=st.integers(0, 50), approve=st.booleans())
    def repair(self, pick, approve):
        """One of the agencies applies to repair an eligible record; the supervisor decides."""
        entries = [
            e
            for e in LedgerEntry.objects.filter(
                subject__agency__in=self.agencies, kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE]
            )
            .select_related("subject")
            .order_by("pk")
            if repair_services.repair_problem(e, self.clock) is None
        ]
        if not entries:
            return
        entry = entries[pick % len(entries)]
        request = repair_services.repair_submit(
            entry=entry,
            actor=self._staff_of(entry),
            correction="已整改。",
            evidence=pdf_file("整改.pdf"),
        )
        assert request.state == RepairRequest.State.SUBMITTED
        result = repair_services.repair_decide(request=request, actor=self.supervisor, approve=approve, note="审核")
        assert result.ok, result.messages

    @rule(i=st.integers(0, AGENCIES - 1), lag=st.sampled_from([0, 0, 3, 30]))
    def list_or_delist(self, i, lag):
        """An external list file names the agency (or delists it), from today or from a later date."""
        agency = self.agencies[i]
        listed_on = self.listed.pop(i, None)
        delisted = ""
        day = timezone.localtime(self.clock).date() + datetime.timedelta(days=lag)
        if listed_on is None:
            listed_on = self.listed[i] = day
        else:
            delisted = max(listed_on, day).isoformat()
        list_agency(agency, reason="未履行生效判决", listed_on=listed_on, delisted_on=delisted, filename="list.csv")

    @precondition(lambda self: any(self._membership(i) is not None for i in range(AGENCIES)))
    @rule(i=st.integers(0, AGENCIES - 1))
    def withdraw(self, i):
        membership = self._membership(i)
        if membership is not None:
            membership_services.membership_withdraw(membership=membership, actor=self.users[i])

    @rule(i=st.integers(0, AGENCIES - 1))
    def reapply(self, i):
        # Refusals are results, not errors; a ValidationError would mean a problem with the application.
        self._apply(i)

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def expelled_agencies_are_never_admitted(self):
        for i in range(AGENCIES):
            standing = standing_compute(self._subject(i), self.clock)
            if standing.has(MeasureKind.EXPEL):
                admitted = self.agencies[i].memberships.filter(state__in=Membership.ADMITTED)
                assert not admitted.exists(), list(admitted.values_list("state", flat=True))

    @invariant()
    def suspended_agencies_cannot_sign_up(self):
        for i in range(AGENCIES):
            subject = self._subject(i)
            standing = standing_compute(subject, self.clock)
            if standing.has(MeasureKind.SUSPEND):
                decision = gate.evaluate(subject, "signup.submit", self.clock, {"open_engagements": 0})
                assert not decision.allowed
                assert "CR-SEL-001" in [r.rule_code for r in decision.refusals]
            membership = self._membership(i)
            if membership is not None and membership.state == State.SUSPENDED:
                ended = membership.suspended_until is not None and membership.suspended_until <= self.clock
                assert standing.has(MeasureKind.SUSPEND) or ended, (membership.suspended_until, standing.measures)

    @invariant()
    def cached_standing_is_the_ledgers(self):
        for i in range(AGENCIES):
            subject = CreditSubject.objects.get(pk=self._subject(i).pk)
            if subject.standing_at is None:
                continue
            standing = standing_compute(subject, subject.standing_at)
            assert (subject.score, subject.grade, subject.warning_count) == (
                standing.score,
                standing.grade,
                standing.warning_count,
            )
            assert all(getattr(subject, flag) == value for flag, value in standing.flags().items())

    @invariant()
    def ledger_chains_are_intact(self):
        report = ledger_verify([self._subject(i).pk for i in range(AGENCIES)])
        assert report.ok, str(report.problem)


class AgencyLivesTest(TestCase):
    """Runs the machine inside one test transaction; each example rolls back its own savepoint.

    The number of examples, the deadline and the example database are the profile's (tests/conftest.py).
    """

    def test_agency_lives(self):
        AgencyLives.cast()
        run_state_machine_as_test(AgencyLives, settings=settings(stateful_step_count=15))
