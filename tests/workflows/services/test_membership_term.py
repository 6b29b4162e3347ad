"""The membership term (入驻有效期): past its end without renewal a membership stops trading — the term rule
refuses sign-up, selection and contract — and the deadline sweep lapses it once (Membership.LAPSED, the
rule's decision kept); renewal brings it back, under the measures still in force; the agency's own
renewal without the green channel becomes a request in the supervisors' queue.

The term end is moved into the past by writing ``term_until`` (a date, not a state): it stands in for
three years passing.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from credit_rules.models import DecisionRecord, MeasureKind
from credit_rules.rules.base import code_of
from credit_rules.rules.selection import not_member
from credit_rules.rules.term import term_ended
from tests.factories import agencies, apply_measure, published_project, supervisor_user
from tests.helpers import last_log, refetch
from workflows.models import Membership, TransitionLog
from workflows.selectors.supervisor import membership_list_for_supervisor_renewals, supervisor_queue
from workflows.services import membership as membership_services
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import signups as signup_services
from workflows.services.transitions import target_label

pytestmark = pytest.mark.django_db

State = Membership.State
DAY = datetime.timedelta(days=1)


def term_ends(membership: Membership, days_from_today: int) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(term_until=timezone.localdate() + days_from_today * DAY)
    return refetch(membership)


@pytest.fixture
def member():
    """An admitted, qualified agency and its clerk."""
    [(agency, user)] = agencies(1)
    return agency, agency.memberships.get(), user


def sign_up(project, agency, user):
    return signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")


def test_a_membership_past_its_term_is_refused_at_sign_up_with_the_rules_reason(member):
    agency, membership, user = member
    project = published_project("draw")
    term_ends(membership, -1)
    yesterday = (timezone.localdate() - DAY).isoformat()
    # before the sweep has lapsed it, the term rule already refuses
    outcome = sign_up(project, agency, user)
    assert outcome.signup is None
    [reason] = outcome.refusals
    assert reason.rule_code == code_of(term_ended) and yesterday in reason.message
    # and once lapsed, it is the term rule that says why — not the rule for non-members
    deadlines_sweep()
    assert refetch(membership).state == State.LAPSED
    outcome = sign_up(project, agency, user)
    assert [r.rule_code for r in outcome.refusals] == [code_of(term_ended)]
    assert code_of(not_member) not in [r.rule_code for r in outcome.refusals]


def test_the_last_day_of_the_term_still_trades(member):
    agency, membership, user = member
    term_ends(membership, 0)
    assert deadlines_sweep()["memberships_lapsed"] == 0
    assert sign_up(published_project("draw"), agency, user).signup is not None


def test_the_sweep_lapses_a_membership_once_and_keeps_the_rules_decision(member):
    agency, membership, _user = member
    term_ends(membership, -1)
    now = timezone.now()
    assert deadlines_sweep(now)["memberships_lapsed"] == 1
    stored = refetch(membership)
    assert stored.state == State.LAPSED and stored.lapsed_at == now
    assert not stored.is_admitted and stored.state in Membership.RENEWABLE
    record = DecisionRecord.objects.get(target=target_label(membership), transition="membership.term_ended")
    assert not record.allowed and [r["rule"] for r in record.reasons] == [code_of(term_ended)]
    log = last_log(membership)
    assert (log.transition, log.outcome, log.to_state) == ("lapse", TransitionLog.Outcome.DONE, State.LAPSED)
    assert code_of(term_ended) in log.note
    # a second run, or a second worker, finds nothing left to do
    assert deadlines_sweep(now)["memberships_lapsed"] == 0
    assert DecisionRecord.objects.filter(transition="membership.term_ended").count() == 1


def test_renewal_from_lapsed_trades_again(member):
    agency, membership, user = member
    term_ends(membership, -3)
    deadlines_sweep()
    result = membership_services.membership_renew(membership=membership, actor=supervisor_user(), as_role="supervisor")
    assert result.ok, result.messages
    stored = refetch(membership)
    assert stored.state == State.ACTIVE and stored.lapsed_at is None
    assert stored.term_until == timezone.localdate() + 3 * 365 * DAY
    assert sign_up(published_project("draw"), agency, user).signup is not None


def test_a_restriction_in_force_returns_with_the_renewal(member):
    agency, membership, _user = member
    apply_measure(agency, MeasureKind.RESTRICT, rule="CR-ESC-004")
    term_ends(membership, -1)
    deadlines_sweep()
    assert refetch(membership).state == State.LAPSED
    assert membership_services.membership_renew(membership=membership, actor=supervisor_user(), as_role="supervisor").ok
    assert refetch(membership).state == State.RESTRICTED


def test_a_suspended_membership_lapses_too_and_comes_back_suspended(member):
    agency, membership, _user = member
    apply_measure(agency, MeasureKind.SUSPEND, months=2)
    term_ends(membership, -1)
    deadlines_sweep()
    assert refetch(membership).state == State.LAPSED
    assert membership_services.membership_renew(membership=membership, actor=supervisor_user(), as_role="supervisor").ok
    assert refetch(membership).state == State.SUSPENDED


def test_the_agency_asking_to_renew_reaches_the_supervisors_queue_and_a_supervisor_renews(member):
    # given a fresh member (no green channel) far from the end of its term, and a supervisor in scope
    agency, membership, user = member
    supervisor = supervisor_user()
    profile = supervisor.supervisor
    assert membership not in supervisor_queue(profile).renewals
    # when the agency asks to renew
    result = membership_services.membership_renew(membership=membership, actor=user, as_role="agency")
    # then the gate sent it to review: the term is unchanged, the request kept
    assert membership_services.renewal_sent_for_review(result)
    requested = refetch(membership)
    assert requested.term_until == membership.term_until and requested.renewal_requested_at is not None
    # and the supervisor's queue lists it
    assert membership in supervisor_queue(profile).renewals
    # when the supervisor renews, the term extends and the request is done
    assert membership_services.membership_renew(membership=requested, actor=supervisor, as_role="supervisor").ok
    renewed = refetch(membership)
    assert renewed.term_until > membership.term_until and renewed.renewal_requested_at is None
    assert membership not in supervisor_queue(profile).renewals


def test_the_renewals_queue_lists_ending_lapsed_and_requested_memberships_only(member):
    agency, membership, _user = member
    others = [m for _a, m in ((a, a.memberships.get()) for a, _u in agencies(3))]
    ending, lapsed, far = others
    term_ends(ending, 30)
    term_ends(lapsed, -1)
    deadlines_sweep()
    profile = supervisor_user().supervisor
    horizon = timezone.localdate() + 60 * DAY  # the policy's notice days
    listed = set(membership_list_for_supervisor_renewals(profile, horizon))
    assert listed == {ending, refetch(lapsed)}
    assert far not in listed and membership not in listed
