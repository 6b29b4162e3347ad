"""Real concurrency on PostgreSQL: threads with their own connections, started together by a barrier.

Two supervisors deciding one case, two sweep workers over the same due suspensions, two warnings
for one agency at the same moment (one prior notice, one suspension): each effect happens exactly once and the
ledger stays intact.
"""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from credit_rules.gate import MeasureOrder
from credit_rules.models import LedgerEntry, MeasureKind
from credit_rules.services import subject_for_agency
from credit_rules.verify import ledger_verify
from tests.factories import (
    AgencyFactory,
    admitted_agency,
    hearing_lapsed,
    notified_case,
    pending_notice,
    supervisor_user,
)
from tests.helpers import results_of, run_together
from workflows.models import CreditCase, Membership, TransitionLog
from workflows.services.credit import cases as case_services
from workflows.services.credit import events as event_services
from workflows.services.credit import measures as measure_services
from workflows.services.credit import sweeps as credit_sweeps

# serialized_rollback: the flush after each test would otherwise take the migrations' data (regions, policy) with it
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_supervisors_deciding_one_case_apply_it_once():
    # given a notified case and two supervisors in scope
    first, second = supervisor_user(), supervisor_user()
    agency, membership, user = admitted_agency(supervisor=first)
    case = notified_case(agency, first, measure=MeasureKind.SUSPEND, months=1, facts="多次逾期提交成果。")
    assert case.state == CreditCase.State.NOTIFIED
    hearing_lapsed(case)
    # when both decide at the same moment
    results = results_of(
        run_together(
            [
                lambda: case_services.case_decide(case=case, actor=first, apply=True, note="决定一"),
                lambda: case_services.case_decide(case=case, actor=second, apply=True, note="决定二"),
            ]
        )
    )
    # then exactly one applied it, the other was refused by state, and one measure exists
    assert sorted(r.outcome for r in results) == [TransitionLog.Outcome.DONE, TransitionLog.Outcome.REFUSED_STATE]
    assert LedgerEntry.objects.filter(subject__agency=agency, kind=LedgerEntry.Kind.MEASURE).count() == 1
    stored = CreditCase.objects.get(pk=case.pk)
    assert stored.state == CreditCase.State.APPLIED and stored.measure_entry is not None
    winner = next(r for r in results if r.ok)
    assert stored.decided_by_id == winner.log.actor_id
    logs = TransitionLog.objects.filter(content_type__model="creditcase", object_id=case.pk, transition="apply")
    assert sorted(logs.values_list("outcome", flat=True)) == ["done", "refused_state"]
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.SUSPENDED
    assert TransitionLog.objects.filter(object_id=membership.pk, transition="suspend", outcome="done").count() == 1
    assert ledger_verify().ok


def test_two_sweep_workers_reinstate_each_due_membership_once():
    # given fifty members whose one-month suspensions have ended
    memberships = []
    for _ in range(50):
        agency = AgencyFactory()
        membership = Membership.objects.create(
            agency=agency, state=Membership.State.ACTIVE, member_since=timezone.now() - relativedelta(years=1)
        )
        measure_services.measures_apply(
            subject=subject_for_agency(agency), orders=[MeasureOrder("CR-ESC-001", MeasureKind.SUSPEND, months=1)]
        )
        memberships.append(membership)
    assert Membership.objects.filter(state=Membership.State.SUSPENDED).count() == 50
    later = timezone.now() + relativedelta(months=1, days=1)
    # when two workers sweep at the same moment (twice each, as beat would)
    results = results_of(
        run_together(
            [
                lambda: [credit_sweeps.credit_sweep(later), credit_sweeps.credit_sweep(later)],
                lambda: [credit_sweeps.credit_sweep(later), credit_sweeps.credit_sweep(later)],
            ]
        )
    )
    # then every membership is back, reinstated exactly once between them
    assert sum(r["reinstated"] for runs in results for r in runs) == 50
    assert Membership.objects.filter(state=Membership.State.ACTIVE).count() == 50
    ids = [m.pk for m in memberships]
    logs = TransitionLog.objects.filter(
        content_type__model="membership", object_id__in=ids, transition="reinstate", outcome="done"
    )
    assert logs.count() == 50 and len(set(logs.values_list("object_id", flat=True))) == 50
    assert not TransitionLog.objects.filter(object_id__in=ids, transition="reinstate").exclude(outcome="done").exists()


def member_without_history():
    """An active member with an empty ledger (created directly: the entry path is not under test here)."""
    agency = AgencyFactory()
    membership = Membership.objects.create(
        agency=agency, state=Membership.State.ACTIVE, member_since=timezone.now() - relativedelta(years=1)
    )
    subject_for_agency(agency)
    return agency, membership


@pytest.mark.parametrize("attempt", range(2))
def test_two_warnings_at_once_suspend_exactly_once(attempt):
    # given eight members, and for each two supervisors about to warn it at the same moment
    first, second = supervisor_user(), supervisor_user()
    members = [member_without_history() for _ in range(8)]

    def warn(agency, actor, what):
        return lambda: event_services.warning_issue(agency=agency, actor=actor, facts=what, evidence_summary=what)

    # when all sixteen warnings are issued at once (two per agency, racing for its chain)
    calls = []
    for agency, _membership in members:
        calls += [warn(agency, first, "逾期提交成果。"), warn(agency, second, "成果质量不达标。")]
    results_of(run_together(calls))
    # then each second warning opened exactly one prior notice of the suspension (失信告知), nothing in force yet
    for agency, _membership in members:
        assert CreditCase.objects.filter(agency=agency, rule_code="CR-ESC-001").count() == 1
        assert not subject_for_agency(agency).is_suspended
    # and when the notices lapse unanswered and the credit sweep runs, each agency is suspended once
    for agency, _membership in members:
        hearing_lapsed(pending_notice(agency))
    assert credit_sweeps.credit_sweep()["notices_applied"] == len(members)
    # every chain is intact and contiguous
    assert ledger_verify().ok
    for agency, membership in members:
        subject = subject_for_agency(agency)
        seqs = list(LedgerEntry.objects.filter(subject=subject).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and subject.head_seq == len(seqs)
        assert LedgerEntry.objects.filter(subject=subject, code="CREDIT_WARNING").count() == 2
        assert LedgerEntry.objects.filter(subject=subject, measure=MeasureKind.SUSPEND).count() == 1, agency.uscc
        assert Membership.objects.get(pk=membership.pk).state == Membership.State.SUSPENDED
        assert subject.is_suspended and subject.warning_count == 2
