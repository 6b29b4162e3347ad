"""Credit-graded random inspections (双随机、一公开): strata rates, the green channel's lowest rate, conflict
avoidance, the proof, the ledger feed and the plan's states through the runner."""

from __future__ import annotations

import datetime

import pytest

from cms.models import NoticeRequest
from credit_rules.defaults import INSPECTION_RATES
from credit_rules.models import CreditSubject, LedgerEntry
from marketplace.errors import ApplicationError
from marketplace.models import Agency
from tests.factories import admitted_agency, agency_user, apply_measure, supervisor_user
from tests.helpers import refetch
from workflows import draw
from workflows.models import InspectionPlan, InspectionTarget, Inspector, TransitionLog
from workflows.models.inspection import REWARD_STRATUM
from workflows.services.inspections.plans import (
    default_rates,
    draw_compute,
    plan_close,
    plan_create,
    plan_draw,
    sample_size,
)
from workflows.services.inspections.results import target_record

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 12, 7)
END = datetime.date(2026, 12, 31)


def _agency(n: int, grade: str, rewarded: bool = False) -> Agency:
    """An unsaved agency with a cached standing, for the pure draw."""
    agency = Agency(uscc=USCCS[n], name=f"机构{n}")
    agency.credit = CreditSubject(grade=grade, is_rewarded=rewarded, uscc=agency.uscc, name=agency.name)
    return agency


def _usccs(count: int) -> list[str]:
    """Valid USCCs (GB 32100-2015 check character computed)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    out = []
    for n in range(count):
        body = f"91441302MA{n:07d}"
        total = sum(
            alphabet.index(c) * w
            for c, w in zip(body, [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], strict=True)
        )
        out.append(body + alphabet[(31 - total % 31) % 31])
    return out


USCCS = _usccs(200)


def _plan(rates=None) -> InspectionPlan:
    secret = bytes(range(32))
    return InspectionPlan(
        code="SJCC-2026-00001",
        rates=rates or default_rates(),
        draw_secret=secret.hex(),
        draw_commitment=draw.commitment(secret),
    )


def test_every_stratum_is_sampled_at_its_rate_in_draw_order():
    # given 20 agencies of each grade
    pool = [_agency(i, "ABCD"[i // 20]) for i in range(80)]
    inspectors = [Inspector(code="I01"), Inspector(code="I02")]

    outcome = draw_compute(_plan(), pool, inspectors, {})

    # then each grade gives ceil(rate × 20) targets, the first of its stratum in the proof's ranking
    by_stratum: dict[str, list[str]] = {}
    for uscc, stratum, _place, _code in outcome.targets:
        by_stratum.setdefault(stratum, []).append(uscc)
    assert {s: len(v) for s, v in by_stratum.items()} == {g: sample_size(INSPECTION_RATES[g], 20) for g in "ABCD"}
    assert {s: len(v) for s, v in by_stratum.items()} == {"A": 1, "B": 2, "C": 4, "D": 8}
    for grade, picked in by_stratum.items():
        stratum_ranking = [u for u in outcome.proof["ranking"] if outcome.strata[u] == grade]
        assert sorted(picked, key=stratum_ranking.index) == stratum_ranking[: len(picked)]
    # and worse grades are inspected more
    assert INSPECTION_RATES["A"] < INSPECTION_RATES["B"] < INSPECTION_RATES["C"] < INSPECTION_RATES["D"]


def test_reward_rung_agencies_get_the_lowest_rate_whatever_their_grade():
    # given agencies under a reward measure, some of them with a cached grade B
    pool = [_agency(i, "B", rewarded=i < 40) for i in range(60)]

    outcome = draw_compute(_plan(), pool, [Inspector(code="I01")], {})

    assert default_rates()[REWARD_STRATUM] == min(INSPECTION_RATES.values())
    rewarded = [t for t in outcome.targets if t[1] == REWARD_STRATUM]
    graded_b = [t for t in outcome.targets if t[1] == "B"]
    assert len(rewarded) == sample_size(min(INSPECTION_RATES.values()), 40) == 2
    assert len(graded_b) == sample_size(INSPECTION_RATES["B"], 20) == 2
    assert all(outcome.strata[u] == REWARD_STRATUM for u in USCCS[:40])


def test_an_inspector_never_draws_an_agency_they_are_tied_to():
    # given three inspectors, the first two tied to every agency but one each
    pool = [_agency(i, "D") for i in range(30)]
    inspectors = [Inspector(code=c) for c in ("I01", "I02", "I03")]
    ties = {"I01": set(USCCS[:30]) - {USCCS[0]}, "I02": set(USCCS[:15])}

    outcome = draw_compute(_plan(), pool, inspectors, ties)

    assert len(outcome.targets) == sample_size(INSPECTION_RATES["D"], 30)
    for uscc, _stratum, _place, code in outcome.targets:
        assert code is not None
        assert uscc not in ties.get(code, set())
    # and the untied share the work in their drawn order
    assert {code for *_rest, code in outcome.targets} >= {"I03"}


def test_the_inspection_proof_verifies_with_the_public_verifier():
    pool = [_agency(i, "ABCD"[i % 4]) for i in range(12)]
    plan = _plan()

    outcome = draw_compute(plan, pool, [Inspector(code="I01")], {})

    result = draw.proof_verify(outcome.proof, plan.draw_commitment, expected_project_code=plan.code)
    assert result.ok, result.problems
    assert result.ranking == outcome.proof["ranking"]
    assert sorted(m["uscc"] for m in outcome.proof["pool"]) == sorted(USCCS[:12])
    # inspectors are ranked by the same seed's keys of their codes
    seed = bytes.fromhex(outcome.proof["seed"])
    assert outcome.inspector_ranking == draw.ranking(seed, ["I01"])


@pytest.fixture
def market():
    """A supervisor with a colleague of the same department, and five admitted agencies, one rewarded and one
    with a staff account held by the colleague."""
    supervisor = supervisor_user(username="inspector-chief")
    colleague = supervisor_user(username="inspector-two")
    admitted = [admitted_agency(supervisor=supervisor)[0] for _ in range(5)]
    apply_measure(admitted[0], "reward", months=12, rule="CR-RWD-001")
    return supervisor, colleague, admitted


def _published(supervisor, colleague, conflicts=()) -> InspectionPlan:
    return plan_create(
        profile=supervisor.supervisor,
        actor=supervisor,
        title="2026年第四季度评估机构",
        region=None,
        category=None,
        period_start=START,
        period_end=END,
        inspectors=[supervisor.supervisor, colleague.supervisor],
        conflicts=conflicts,
    )


def test_a_plan_goes_draft_drawn_closed_through_the_runner_and_its_finding_reaches_the_ledger(market):
    supervisor, colleague, admitted = market
    # a 100% rate for D only would leave most strata empty; take everyone to check the whole path
    plan = _published(supervisor, colleague)
    InspectionPlan.objects.filter(pk=plan.pk).update(rates=dict.fromkeys(plan.rates, 100))
    plan = refetch(plan)
    assert plan.state == InspectionPlan.State.DRAFT
    assert plan.draw_commitment == draw.commitment(bytes.fromhex(plan.draw_secret))
    plan_notice = NoticeRequest.objects.get(source_key=f"inspection:{plan.code}:plan")
    assert plan_notice.payload["inspection"]["commitment"] == plan.draw_commitment

    # a colleague may not draw someone else's plan
    refused = plan_draw(plan=plan, actor=colleague)
    assert not refused.ok and refetch(plan).state == InspectionPlan.State.DRAFT

    result = plan_draw(plan=plan, actor=supervisor)
    assert result.ok, result.messages
    plan = refetch(plan)
    assert plan.state == InspectionPlan.State.DRAWN
    assert draw.proof_verify(plan.draw_proof, plan.draw_commitment, expected_project_code=plan.code).ok
    targets = list(plan.targets.select_related("agency", "inspector"))
    assert {t.agency for t in targets} == set(admitted)
    assert {t.stratum for t in targets if t.agency == admitted[0]} == {REWARD_STRATUM}
    draw_notice = NoticeRequest.objects.get(source_key=f"inspection:{plan.code}:draw")
    assert {row["uscc"] for row in draw_notice.payload["inspection_targets"]} == {a.uscc for a in admitted}
    # inspectors appear by department and code, never by account
    for row in draw_notice.payload["inspection_targets"]:
        assert set(row["inspector"]) == {"department", "code"}
        assert "inspector-" not in str(row)

    # not closed while a result is missing
    with pytest.raises(ApplicationError):
        plan_close(plan=plan, actor=supervisor)

    failed, *passed = targets
    recorder = failed.inspector.user if failed.inspector else supervisor
    before = LedgerEntry.objects.filter(subject__agency=failed.agency).count()
    assert target_record(target=failed, actor=recorder, result="fail", findings="评估报告未按规范编制。").ok
    failed = refetch(failed)
    assert failed.state == InspectionTarget.State.RECORDED
    entry = LedgerEntry.objects.filter(subject__agency=failed.agency).latest("seq")
    assert LedgerEntry.objects.filter(subject__agency=failed.agency).count() == before + 1
    assert (entry.code, entry.points, entry.rule_code) == ("INSPECTION_FAIL", -10, "CR-INS-001")
    assert failed.entry == entry
    for target in passed:
        assert target_record(target=target, actor=supervisor, result="pass", findings="").ok
        assert not LedgerEntry.objects.filter(subject__agency=target.agency, code__startswith="INSPECTION_").exists()

    assert plan_close(plan=plan, actor=supervisor).ok
    assert refetch(plan).state == InspectionPlan.State.CLOSED
    logs = TransitionLog.objects.filter(transition__in=["draw", "close"]).values_list("transition", flat=True)
    assert set(logs) >= {"draw", "close"}
    results = NoticeRequest.objects.get(source_key=f"inspection:{plan.code}:results")
    assert {row["result"] for row in results.payload["inspection_targets"]} == {"不合格", "合格"}


def test_a_rectify_result_needs_findings_and_records_the_rectify_item(market):
    supervisor, colleague, admitted = market
    plan = _published(supervisor, colleague)
    InspectionPlan.objects.filter(pk=plan.pk).update(rates=dict.fromkeys(plan.rates, 100))
    assert plan_draw(plan=refetch(plan), actor=supervisor).ok
    target = refetch(plan).targets.first()
    with pytest.raises(ApplicationError):
        target_record(target=target, actor=supervisor, result="rectify", findings="  ")
    assert refetch(target).state == InspectionTarget.State.PENDING
    assert target_record(target=target, actor=supervisor, result="rectify", findings="档案缺页，限期补正。").ok
    assert LedgerEntry.objects.filter(subject__agency=target.agency).latest("seq").code == "INSPECTION_RECTIFY"


def test_staff_ties_and_declared_conflicts_keep_an_inspector_off_an_agency(market):
    supervisor, colleague, admitted = market
    agency_user(admitted[1])  # someone else's account: no tie
    from marketplace.services import agency_staff_add

    agency_staff_add(agency=admitted[2], user=colleague, is_admin=False)  # the colleague is its staff
    plan = _published(supervisor, colleague, conflicts=[(supervisor.supervisor, admitted[3])])
    InspectionPlan.objects.filter(pk=plan.pk).update(rates=dict.fromkeys(plan.rates, 100))
    assert plan_draw(plan=refetch(plan), actor=supervisor).ok
    by_agency = {t.agency_id: t.inspector for t in refetch(plan).targets.select_related("inspector")}
    assert by_agency[admitted[2].pk].user == supervisor
    assert by_agency[admitted[3].pk].user == colleague


def test_a_plan_outside_the_supervisors_scope_is_refused(market):
    from marketplace.models import Region

    supervisor, _colleague, _admitted = market
    narrow = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)
    other_region = Region.objects.exclude(code="441303").first()
    with pytest.raises(ApplicationError):
        plan_create(
            profile=narrow.supervisor,
            actor=narrow,
            title="越权计划",
            region=other_region,
            category=None,
            period_start=START,
            period_end=END,
            inspectors=[narrow.supervisor],
        )
    assert not InspectionPlan.objects.filter(title="越权计划").exists()
