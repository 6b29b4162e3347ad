"""The national classes of 《信用修复管理办法》 as policy defaults, and the deployment's local basis.

轻微 / 一般 / 严重 records take their repair minimum and publication period from their class under the
policy in force when recorded: a 一般 record may be repaired after 3 months, a 严重 one after 12, a 轻微
one once its obligation is fulfilled and, by default, is not published as a notice. A local basis
entered with a policy version is shown after the national one wherever a basis is shown.
"""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.models import NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from credit_rules.models import DecisionRecord, LocalBasis, MeasureKind, PolicyVersion, Severity, Source
from credit_rules.policy import policy_at, policy_draft_from, policy_publish
from credit_rules.services import subject_for_agency
from tests.factories import AgencyFactory, applicant, apply_measure, notice_lapses, pending_notice, record_event, warn
from workflows.selectors.agency import ledger_list_for_agency_credit
from workflows.services import membership as membership_services
from workflows.services.credit.events import credit_event_record
from workflows.services.credit.repairs import repair_problem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

DAY = datetime.timedelta(days=1)
LOCAL = "某市网上中介服务超市管理办法（示例文号）第十条"  # a deployment's own entry, made up by this test


def version_two(**fields) -> PolicyVersion:
    """A version 2 drafted from version 1 with ``fields`` changed, in force from a moment ago."""
    draft = policy_draft_from(base=PolicyVersion.objects.get(version=1))
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.save()
    return draft


def publish_now(draft: PolicyVersion) -> PolicyVersion:
    return policy_publish(version=draft, effective_from=timezone.now() - datetime.timedelta(seconds=1))


# --- repair minimum by class ------------------------------------------------------------------------------


def test_a_general_record_is_repairable_after_three_months_not_before():
    # given two 一般 records (contract not signed in time): one just short of three months old, one just past
    agency = AgencyFactory()
    now = timezone.now()
    young = record_event(agency, "CONTRACT_LATE", at=now - relativedelta(months=3) + DAY)
    old = record_event(agency, "CONTRACT_LATE", at=now - relativedelta(months=3) - DAY)
    # then each keeps its class, and may be repaired three months after it took effect
    assert young.severity == old.severity == Severity.GENERAL
    assert young.repairable_after == young.effective_at + relativedelta(months=3)
    assert "之后方可申请修复" in repair_problem(young, now)
    assert repair_problem(old, now) is None


def test_a_serious_record_is_repairable_after_twelve_months_not_before():
    agency = AgencyFactory()
    now = timezone.now()
    young = record_event(agency, "DECLINE_WIN", at=now - relativedelta(months=12) + DAY)
    old = record_event(agency, "DECLINE_WIN", at=now - relativedelta(months=12) - DAY)
    assert young.severity == Severity.SERIOUS
    assert young.repairable_after == young.effective_at + relativedelta(months=12)
    assert "之后方可申请修复" in repair_problem(young, now)
    assert repair_problem(old, now) is None


def test_expulsion_grade_records_are_never_repairable():
    agency = AgencyFactory()
    entry = record_event(agency, "FALSE_MATERIALS", at=timezone.now() - relativedelta(months=40))
    assert entry.severity == Severity.SERIOUS and entry.repairable_after is None
    assert repair_problem(entry) == "该类记录按规定不可修复。"


def test_measures_take_the_class_their_measure_implies():
    agency = AgencyFactory()
    (suspension,) = apply_measure(agency, MeasureKind.SUSPEND, months=1)
    (restriction,) = apply_measure(agency, MeasureKind.RESTRICT, rule="CR-ESC-004")
    (expulsion,) = apply_measure(agency, MeasureKind.EXPEL, months=36, rule="CR-ESC-003")
    assert (suspension.severity, restriction.severity, expulsion.severity) == ("serious", "minor", "serious")
    assert suspension.repairable_after == suspension.effective_at + relativedelta(months=12)
    assert restriction.repairable_after == restriction.effective_at + relativedelta(months=3)
    assert expulsion.repairable_after is None


def test_the_repair_minimum_follows_the_policy_in_force_when_recorded():
    # given a version 2 that waits 6 months before a 一般 record may be repaired
    agency = AgencyFactory()
    before = record_event(agency, "CONTRACT_LATE", at=timezone.now() - 10 * DAY)
    publish_now(version_two(general_repair_months=6, general_publish_min_months=6))
    after = record_event(agency, "CONTRACT_LATE")
    # then the record of version 1 keeps its 3 months; the new one has 6
    assert before.repairable_after == before.effective_at + relativedelta(months=3)
    assert after.repairable_after == after.effective_at + relativedelta(months=6)


# --- publication by class -------------------------------------------------------------------------------


def test_a_slight_record_is_not_published_as_a_notice_by_default_and_is_repairable_at_once():
    # given a 轻微 record (a poor service rating) that a caller asks to publish
    agency = AgencyFactory()
    entry = credit_event_record(
        subject=subject_for_agency(agency), code="RATING_POOR", source=Source.RATING, publish="warning"
    )
    # then no notice is asked for; it may be repaired as soon as its obligation is fulfilled
    assert entry.severity == Severity.SLIGHT
    assert not NoticeRequest.objects.exists()
    assert entry.repairable_after == entry.effective_at
    assert repair_problem(entry) is None


def test_a_policy_that_publishes_slight_records_shows_them_at_most_three_months():
    publish_now(version_two(slight_published=True))
    agency = AgencyFactory()
    entry = credit_event_record(
        subject=subject_for_agency(agency), code="RATING_POOR", source=Source.RATING, publish="warning"
    )
    payload = NoticeRequest.objects.get().payload
    until = timezone.localtime(entry.effective_at + relativedelta(months=3)).date()
    assert payload["public_until"] == until.isoformat()


def test_a_warning_notice_is_published_until_the_end_of_its_class_period(supervisor):
    # given a supervisor's credit warning (一般: published 3–12 months)
    agency = AgencyFactory()
    entry = warn(agency, supervisor)
    # then its notice shows until twelve months after it took effect, and leaves the lists after that
    until = timezone.localtime(entry.effective_at + relativedelta(months=12)).date()
    request = NoticeRequest.objects.get(kind="warning")
    assert request.payload["public_until"] == until.isoformat()
    assert NoticePage.objects.get(pk=notice_request_publish(request.pk)).public_until == until


def test_class_periods_stay_within_the_national_bounds():
    for fields in (
        {"general_publish_max_months": 13},
        {"serious_publish_min_months": 6},
        {"slight_publish_max_months": 4},
        {"general_repair_months": 1},
    ):
        draft = version_two(**fields)
        with pytest.raises(ValidationError):
            draft.full_clean()
        draft.delete()
    version_two(general_publish_min_months=6, general_repair_months=6).full_clean()


# --- local basis ----------------------------------------------------------------------------------------


def test_a_local_basis_is_shown_after_the_national_one_in_decisions_the_ledger_and_refusal_panels():
    # given a version 2 whose deployment entered its own basis for a gate rule, an event and a measure
    draft = version_two()
    for code in ("CR-ONB-004", "CONTRACT_LATE", "MEASURE_SUSPEND"):
        LocalBasis.objects.create(policy=draft, code=code, text=f"{LOCAL}（{code}）")
    publish_now(draft)
    assert policy_at().local["CR-ONB-004"] == f"{LOCAL}（CR-ONB-004）"
    agency, membership, user = applicant()

    # when an event is recorded, a supervisor suspends the agency, and it then applies for entry
    event = record_event(agency, "CONTRACT_LATE")
    (suspension,) = apply_measure(agency, MeasureKind.SUSPEND, months=1, rule="CR-SUP-001")
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)

    # then the ledger keeps both bases, national first
    assert event.basis.startswith(policy_at().entry("CONTRACT_LATE").basis.rstrip("。"))
    assert event.basis.endswith(f"本地依据：{LOCAL}（CONTRACT_LATE）")
    assert "国发〔2016〕33号" in suspension.basis and suspension.basis.endswith(f"本地依据：{LOCAL}（MEASURE_SUSPEND）")
    # the gate's reason and the stored decision carry it
    assert [r.rule_code for r in result.refusals] == ["CR-ONB-004"]
    reason = result.refusals[0]
    assert "国发〔2016〕33号" in reason.basis and reason.basis.endswith(f"本地依据：{LOCAL}（CR-ONB-004）")
    stored = DecisionRecord.objects.filter(allowed=False).latest("at")
    assert stored.reasons[0]["local_basis"] == f"{LOCAL}（CR-ONB-004）"
    # and the agency's refusal panel shows it
    shown = ledger_list_for_agency_credit(agency).refusals[0].reasons[0]
    assert shown.basis == reason.basis


def test_a_measure_ordered_by_a_rule_records_the_rule_local_basis():
    # given a local basis for CR-ESC-001 (warnings suspend)
    draft = version_two()
    LocalBasis.objects.create(policy=draft, code="CR-ESC-001", text=LOCAL)
    publish_now(draft)
    # when a second warning within the window suspends the agency (after its prior notice lapses unanswered)
    agency = AgencyFactory()
    record_event(agency, "CREDIT_WARNING", at=timezone.now() - 10 * DAY)
    record_event(agency, "CREDIT_WARNING")
    notice_lapses(pending_notice(agency))
    # then the suspension keeps the rule's national basis, then the local one
    suspension = subject_for_agency(agency).ledger.get(kind="measure", measure=MeasureKind.SUSPEND)
    assert suspension.rule_code == "CR-ESC-001"
    assert "国办发〔2019〕35号" in suspension.basis and suspension.basis.endswith(f"本地依据：{LOCAL}")


def test_the_shipped_policy_has_no_local_basis_and_bases_are_national_only():
    agency = AgencyFactory()
    entry = record_event(agency, "CONTRACT_LATE")
    assert "本地依据" not in entry.basis and entry.basis == policy_at().entry("CONTRACT_LATE").basis
