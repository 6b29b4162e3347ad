"""The demo data tells the credit stories the README promises, through the real services."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from credit_rules.models import CreditSubject, DecisionRecord
from workflows.models import Membership
from workflows.services import membership as membership_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.postgres
def test_the_seed_leaves_the_planner_knowing_the_tables(demo):
    # Rows written in bulk with no statistics make the planner loop over "tiny" tables (the red list took 1.1 s
    # at 1,200 agencies); the seed runs ANALYZE, which writes each column's statistics (pg_statistic, in the
    # test's transaction: none are left from an earlier run).
    tables = [model._meta.db_table for model in (CreditSubject, Membership, DecisionRecord)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tablename FROM pg_stats WHERE tablename = ANY(%s)", [tables])
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(tables)


def membership_of(username):
    return Membership.objects.filter(agency__staff__user__username=username).order_by("-created_at").first()


def test_every_seeded_agency_is_a_member_with_a_credit_subject(demo):
    assert Membership.objects.filter(state="active").count() >= 55
    assert CreditSubject.objects.filter(kind="agency").count() >= 60


def test_bad_record_agency_is_refused_entry_with_the_reason(demo):
    user = get_user_model().objects.get(username="agency_demo3")
    membership = membership_of("agency_demo3")
    assert membership.state == "draft"
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert not result.ok
    assert [r.rule_code for r in result.refusals] == ["CR-ONB-003"]
    assert "无故放弃中选资格" in result.refusals[0].message
    membership.refresh_from_db()
    assert membership.state == "draft"
    assert DecisionRecord.objects.filter(allowed=False, transition="membership.submit").exists()


def test_expelled_agency_is_blacklisted_and_cannot_reapply(demo):
    user = get_user_model().objects.get(username="agency_demo4")
    assert membership_of("agency_demo4").state == "expelled"
    subject = CreditSubject.objects.get(agency__staff__user=user)
    assert subject.is_expelled
    agency = subject.agency
    fresh = membership_services.membership_start(agency=agency, actor=user)
    fresh = membership_services.membership_update_application(membership=fresh, actor=user, statement="重新申请入驻")
    result = membership_services.membership_submit(membership=fresh, actor=user, accept_commitment=True)
    assert "CR-ONB-002" in [r.rule_code for r in result.refusals]


def test_scenario_states(demo):
    assert membership_of("agency_demo2").state == "active"
    assert CreditSubject.objects.get(agency__staff__user__username="agency_demo2").warning_count == 1
    assert CreditSubject.objects.get(agency__staff__user__username="agency_demo5").score == 105


def test_seed_is_idempotent_for_the_credit_stories(demo):
    before = (Membership.objects.count(), CreditSubject.objects.count())
    from credit_rules.models import LedgerEntry

    entries = LedgerEntry.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert (Membership.objects.count(), CreditSubject.objects.count()) == before
    assert LedgerEntry.objects.count() == entries


def test_a_buyer_unit_has_a_late_payment_on_its_record_and_a_supervising_department(demo):
    # the demo buyer left an accepted service's fee unpaid past its due date: its 政务诚信 record shows it
    buyer = CreditSubject.objects.get(kind="buyer")
    assert buyer.buyer_unit.name == "惠州市住房和城乡建设局"
    assert buyer.buyer_unit.supervising_department == "惠州市人民政府"
    assert list(buyer.ledger.values_list("code", flat=True)) == ["BUYER_LATE_PAYMENT"]
    # and every member's term is still running: the deadline sweep lapses none
    assert not Membership.objects.filter(state="lapsed").exists()
