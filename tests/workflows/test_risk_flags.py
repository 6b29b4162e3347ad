"""Risk flags (docs/risk-flags.md): each pattern found in seeded records and its innocent look-alike left alone,
a re-run adding nothing, decided flags staying decided, no credit effect, and the supervisor's scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from credit_rules.models import LedgerEntry
from marketplace.models import Region
from tests.factories import (
    AgencyFactory,
    agencies,
    buyer_user,
    contracted_engagement,
    operator_user,
    published_project,
    signup_closed,
    signups_submit,
    supervisor_user,
)
from tests.helpers import pdf_content, refetch
from workflows import tasks
from workflows.models import CreditCase, RiskFlag
from workflows.selectors import risk as detect
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import projects as project_services
from workflows.services.risk import risk_flag_case_open, risk_flag_dismiss, risk_flags_scan

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=30)


def scan() -> dict[str, int]:
    """The scan as it runs once every deadline of the seeded projects has passed."""
    return risk_flags_scan(timezone.now() + LATER)


def closed(pool, quotes, method="price", *, buyer=None, operator=None, **overrides):
    project = published_project(method, buyer=buyer, operator=operator, **overrides)
    signups_submit(project, pool, quotes)
    return signup_closed(project)


def flags(kind: str):
    return list(RiskFlag.objects.filter(kind=kind))


# --- 1. single effective bidder ------------------------------------------------------------------------------------


def test_a_buyer_whose_projects_close_with_one_bidder_again_and_again_is_flagged():
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    for i in range(detect.SINGLE_BIDDER_MIN_PROJECTS):
        project = closed([pool[i]], [Decimal("52345.67")], buyer=buyer, operator=operator)
        assert project.state == "failed"  # too few for the method: 流标
    # a project of the same buyer with a full field does not count and changes nothing
    closed(pool, [Decimal("52000"), Decimal("61000"), Decimal("47000")], buyer=buyer, operator=operator)

    assert scan() == {"single_bidder": 1}

    (flag,) = flags("single_bidder")
    unit = buyer.buyerstaff_set.get().unit
    assert flag.buyer == unit and flag.region == unit.region and flag.category.code == "VAL-RE"
    assert len(flag.evidence["projects"]) == detect.SINGLE_BIDDER_MIN_PROJECTS
    assert flag.agencies.count() == 0  # three different sole bidders: the buyer is the subject
    assert {p["bidder"]["uscc"] for p in flag.evidence["projects"]} == {a.uscc for a, _u in pool}


def test_single_bidders_below_the_threshold_or_with_no_valid_bid_are_not_flagged():
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(1)
    for _ in range(detect.SINGLE_BIDDER_MIN_PROJECTS - 1):
        closed(pool, [Decimal("52345.67")], buyer=buyer, operator=operator)
    # nobody signed up at all: no market, not a single bidder
    closed([], [], buyer=buyer, operator=operator)

    assert scan() == {}
    assert not RiskFlag.objects.exists()


# --- 2. co-bidding clusters and rotation ---------------------------------------------------------------------------


def test_the_same_trio_taking_turns_to_win_by_price_is_a_cluster_and_a_rotation():
    operator = operator_user()
    pool = agencies(3)
    low, mid, high = Decimal("47000"), Decimal("52000"), Decimal("61000")
    # the lowest quote wins a price selection: A, B, C, A
    for quotes in ([low, mid, high], [mid, low, high], [high, mid, low], [low, high, mid]):
        project = closed(pool, quotes, operator=operator)
        assert project.state == "awarded"

    assert scan() == {"co_bidding": 1, "rotation": 1}

    cluster, rotation = RiskFlag.objects.get(kind="co_bidding"), RiskFlag.objects.get(kind="rotation")
    members = {a.pk for a, _u in pool}
    assert set(cluster.agencies.values_list("pk", flat=True)) == members
    assert set(rotation.agencies.values_list("pk", flat=True)) == members
    assert len(cluster.evidence["projects"]) == 4
    winners = [w["winner"]["uscc"] for w in rotation.evidence["wins"]]
    assert winners == [pool[0][0].uscc, pool[1][0].uscc, pool[2][0].uscc, pool[0][0].uscc]


def test_a_trio_meeting_only_three_times_is_not_a_cluster():
    operator = operator_user()
    pool = agencies(3)
    for _ in range(detect.CLUSTER_MIN_PROJECTS - 1):
        closed(pool, [Decimal("47000"), Decimal("52000"), Decimal("61000")], operator=operator)

    assert scan() == {}


def test_turns_taken_by_the_verifiable_draw_are_chance_not_rotation():
    operator = operator_user()
    pool = agencies(3)
    for _ in range(detect.CLUSTER_MIN_PROJECTS):
        closed(pool, [Decimal("47000"), Decimal("52000"), Decimal("61000")], "draw", operator=operator)

    # the same field four times is still worth a look; who won is the draw's doing
    assert scan() == {"co_bidding": 1}


# --- 3. quotes at the ceiling, equal quotes ------------------------------------------------------------------------


def test_quotes_all_at_the_ceiling_and_equal_quotes_are_flagged_once_opened():
    operator = operator_user()
    pool = agencies(3)
    at_ceiling = closed(pool, [Decimal("79900"), Decimal("79500"), Decimal("80000")], operator=operator)
    equal = closed(pool[:3], [Decimal("61234.56"), Decimal("61234.56"), Decimal("47123.45")], operator=operator)

    assert scan() == {"quotes_ceiling": 1, "quotes_equal": 1}

    (ceiling_flag,) = flags("quotes_ceiling")
    assert ceiling_flag.project == at_ceiling
    assert [q["quote"] for q in ceiling_flag.evidence["quotes"]] == ["79500.00", "79900.00", "80000.00"]
    (equal_flag,) = flags("quotes_equal")
    assert equal_flag.project == equal and equal_flag.evidence["equal"] == ["61234.56"]
    assert set(equal_flag.agencies.values_list("pk", flat=True)) == {pool[0][0].pk, pool[1][0].pk}


def test_quotes_at_the_buyers_floor_and_a_spread_near_the_ceiling_are_not_flagged():
    operator = operator_user()
    pool = agencies(3)
    # the floor the buyer set is the obvious price to offer: equal there is no sign of anything
    closed(pool, [Decimal("40000"), Decimal("40000"), Decimal("52345.67")], operator=operator)
    # two near the ceiling, one well below it
    closed(pool, [Decimal("79900"), Decimal("79500"), Decimal("61000")], operator=operator)

    assert scan() == {}


def test_sealed_quotes_are_never_read_before_the_deadline():
    operator = operator_user()
    pool = agencies(3)
    project = published_project("price", operator=operator)
    signups_submit(project, pool, [Decimal("61234.56"), Decimal("61234.56"), Decimal("80000")])

    # the sign-up is still open: nothing about the quotes may be known, even when the scan runs later
    assert risk_flags_scan(timezone.now()) == {}
    assert scan() == {}
    assert not project.signups.exclude(quote=None).exists()


# --- 4. direct selection concentrated on one agency ----------------------------------------------------------------


def direct(buyer, operator, agency):
    return published_project(
        "direct", buyer=buyer, operator=operator, direct_agency=agency, direct_reason="该机构承担过前期服务，熟悉情况。"
    )


def test_a_buyer_directly_selecting_the_same_agency_is_flagged():
    buyer, operator = buyer_user(), operator_user()
    (favourite, _u), (other, _v) = agencies(2)
    for agency in (favourite, favourite, favourite, other):
        direct(buyer, operator, agency)

    assert scan() == {"direct_concentration": 1}

    (flag,) = flags("direct_concentration")
    assert list(flag.agencies.all()) == [favourite]
    assert flag.buyer == buyer.buyerstaff_set.get().unit and flag.evidence["share"] == "3/4"


def test_direct_selections_spread_over_agencies_are_not_flagged():
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    for agency, _u in pool:
        direct(buyer, operator, agency)
    # another buyer choosing one agency twice only
    other = buyer_user()
    direct(other, operator, pool[0][0])
    direct(other, operator, pool[0][0])

    assert scan() == {}


# --- the scan: idempotent, decided flags stay decided, no credit effect --------------------------------------------


def test_a_rerun_adds_nothing_and_a_dismissed_flag_stays_dismissed():
    buyer, operator = buyer_user(), operator_user()
    (agency, _u), _other = agencies(2)
    supervisor = supervisor_user()
    for _ in range(detect.DIRECT_MIN_PROJECTS):
        direct(buyer, operator, agency)
    ledger_before = LedgerEntry.objects.count()

    assert scan() == {"direct_concentration": 1}
    assert scan() == {"direct_concentration": 0}
    flag = RiskFlag.objects.get()
    assert risk_flag_dismiss(flag=flag, actor=supervisor, reason="该机构为本地唯一具备资质的单位。").ok

    direct(buyer, operator, agency)  # the pattern grows
    assert scan() == {"direct_concentration": 0}
    flag = RiskFlag.objects.get()
    assert flag.state == "dismissed" and flag.dismiss_reason == "该机构为本地唯一具备资质的单位。"
    assert flag.evidence["share"] == "3/3"  # a decided flag keeps what the supervisor saw
    assert LedgerEntry.objects.count() == ledger_before  # flags never touch the ledger


def test_opening_a_case_proposes_it_and_marks_the_flag_without_any_measure():
    buyer, operator = buyer_user(), operator_user()
    (agency, _u), (bystander, _v) = agencies(2)
    supervisor = supervisor_user()
    for _ in range(detect.DIRECT_MIN_PROJECTS):
        direct(buyer, operator, agency)
    scan()
    flag = RiskFlag.objects.get()
    ledger_before = LedgerEntry.objects.count()

    with pytest.raises(Exception, match="涉及的机构"):
        risk_flag_case_open(flag=flag, actor=supervisor, agency=bystander, facts="直接选取集中。", measure="restrict")
    result = risk_flag_case_open(flag=flag, actor=supervisor, agency=agency, facts="直接选取集中。", measure="restrict")

    assert result.ok
    flag = RiskFlag.objects.get()
    assert flag.state == "case_opened" and flag.case.agency == agency
    assert flag.case.state == CreditCase.State.PROPOSED
    assert LedgerEntry.objects.count() == ledger_before


def test_the_periodic_task_runs_the_scan():
    buyer, operator = buyer_user(), operator_user()
    ((agency, _u),) = agencies(1)
    for _ in range(detect.DIRECT_MIN_PROJECTS):
        direct(buyer, operator, agency)

    assert tasks.risk_flags_sweep.delay().get() == {"direct_concentration": 1}
    assert tasks.risk_flags_sweep.delay().get() == {"direct_concentration": 0}


def test_a_case_is_opened_only_against_an_agency_in_the_supervisors_scope():
    buyer, operator = buyer_user(), operator_user()
    ((agency, _u),) = agencies(1)
    far = AgencyFactory(region=Region.objects.get(code="441303"))
    for _ in range(detect.DIRECT_MIN_PROJECTS):
        direct(buyer, operator, agency)
    scan()
    flag = RiskFlag.objects.get()
    flag.agencies.add(far)  # a group flag: one member in the supervisor's scope, one outside it
    here = supervisor_user(regions=[agency.region], all_categories=True)

    with pytest.raises(Exception, match="不在您的监管范围内"):
        risk_flag_case_open(flag=flag, actor=here, agency=far, facts="报价雷同。", measure="restrict")
    assert not CreditCase.objects.exists() and RiskFlag.objects.get().state == "open"


def test_dismissing_needs_a_reason_and_a_supervisor_in_scope():
    buyer, operator = buyer_user(), operator_user()
    ((agency, _u),) = agencies(1)
    for _ in range(detect.DIRECT_MIN_PROJECTS):
        direct(buyer, operator, agency)
    scan()
    flag = RiskFlag.objects.get()
    outsider = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)

    with pytest.raises(Exception, match="排除理由"):
        risk_flag_dismiss(flag=flag, actor=supervisor_user(), reason="  ")
    refused = risk_flag_dismiss(flag=flag, actor=outsider, reason="无问题")

    assert not refused.ok and RiskFlag.objects.get().state == "open"


# --- scope ---------------------------------------------------------------------------------------------------------


def test_supervisors_see_only_the_flags_in_their_scope():
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    for i in range(detect.SINGLE_BIDDER_MIN_PROJECTS):
        closed([pool[i]], [Decimal("52345.67")], buyer=buyer, operator=operator)
        direct(buyer, operator, pool[0][0])
    scan()
    assert RiskFlag.objects.count() == 2

    everything = supervisor_user()
    elsewhere = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)
    here = supervisor_user(regions=[pool[0][0].region], all_categories=True)

    def seen(user):
        return set(RiskFlag.objects.filter(RiskFlag.scope_q(user.supervisor)).values_list("kind", flat=True))

    assert seen(everything) == {"single_bidder", "direct_concentration"}
    assert seen(here) == {"single_bidder", "direct_concentration"}
    assert seen(elsewhere) == set()


# --- 5. agencies sharing contact details, addresses or staff -------------------------------------------------------


def test_agencies_sharing_a_phone_written_differently_or_an_address_are_flagged():
    first = AgencyFactory(contact_phone="0752-2123456", address="惠城区江北三新南路 8 号 1201 室")
    second = AgencyFactory(contact_phone="+86 0752 212 3456", address="惠城区江北三新南路 8 号 1502 室")
    third = AgencyFactory(contact_phone="0752-2000003", address="惠阳区淡水 开城大道 18 号 3 楼")
    fourth = AgencyFactory(contact_phone="0752-2000004", address="惠阳区淡水开城大道18号3楼")

    assert scan() == {"shared_identity": 2}

    by_members = {frozenset(f.agencies.values_list("pk", flat=True)): f for f in flags("shared_identity")}
    phone = by_members[frozenset({first.pk, second.pk})]
    assert phone.evidence["phone_tail"] == "3456" and phone.evidence["address"] == ""  # other rooms, other doors
    assert "2123456" not in str(phone.evidence)  # a contact's number is personal: its tail only
    address = by_members[frozenset({third.pk, fourth.pk})]
    assert address.evidence["address"] == third.address and address.evidence["phone_tail"] == ""


def test_blank_contacts_and_one_building_with_different_rooms_are_not_flagged():
    AgencyFactory(contact_phone="", address="")
    AgencyFactory(contact_phone="", address="")
    AgencyFactory(contact_phone="0752-2000001", address="惠城区江北三新南路 8 号 1201 室")
    AgencyFactory(contact_phone="0752-2000002", address="惠城区江北三新南路 8 号 1502 室")
    AgencyFactory(contact_phone="分机 801", address="惠城区")  # too short to be anyone's own

    assert scan() == {}


# --- 6. buyers who fail, cancel and relaunch -----------------------------------------------------------------------


def relaunched(project, buyer, operator):
    fresh = project_services.project_relaunch(project=project, actor=buyer)
    assert project_services.project_submit(project=fresh, actor=buyer).ok
    assert project_services.project_review(project=fresh, actor=operator, publish=True).ok
    return refetch(fresh)


def test_a_project_failed_and_cancelled_again_and_again_is_flagged_for_its_buyer():
    buyer, operator = buyer_user(), operator_user()
    project = signup_closed(published_project("price", buyer=buyer, operator=operator))
    assert project.state == "failed"
    project = signup_closed(relaunched(project, buyer, operator))
    project = relaunched(project, buyer, operator)
    assert project_services.project_cancel(project=project, actor=buyer, reason="需求调整，重新编制服务内容。").ok
    relaunched(refetch(project), buyer, operator)

    assert scan() == {"relaunches": 1}

    (flag,) = flags("relaunches")
    assert flag.buyer == buyer.buyerstaff_set.get().unit and flag.category.code == "VAL-RE"
    assert [p["state"] for p in flag.evidence["projects"]] == ["failed", "failed", "cancelled", "open"]


def test_one_failure_relaunched_and_awarded_is_not_flagged():
    buyer, operator = buyer_user(), operator_user()
    project = signup_closed(published_project("price", buyer=buyer, operator=operator))
    fresh = relaunched(project, buyer, operator)
    signups_submit(fresh, agencies(3))
    assert signup_closed(fresh).state == "awarded"

    assert scan() == {}


# --- 7. late results and reworks concentrated per agency -----------------------------------------------------------


def returned(deal, buyer, times: int):
    for _ in range(times):
        assert engagement_services.result_submit(
            engagement=deal.engagement, actor=deal.winner_user, file=pdf_content("report.pdf")
        ).ok
        assert engagement_services.result_review(
            engagement=refetch(deal.engagement), actor=buyer, accept=False, note="估价对象面积与产权证不符。"
        ).ok


def test_reworks_for_several_buyers_are_flagged_for_the_agency():
    pool = agencies(3)
    first, second = buyer_user(), buyer_user()
    deal = contracted_engagement("price", buyer=first, pool=pool)
    returned(deal, first, 2)
    other = contracted_engagement("price", buyer=second, pool=pool)
    assert other.engagement.agency == deal.engagement.agency
    returned(other, second, 1)

    assert scan() == {"delivery": 1}

    (flag,) = flags("delivery")
    assert list(flag.agencies.all()) == [deal.engagement.agency] and flag.evidence["issues"] == 3
    assert [p["reworks"] for p in flag.evidence["projects"]] == [2, 1]


def test_reworks_all_asked_by_one_buyer_are_not_flagged():
    buyer = buyer_user()
    deal = contracted_engagement("price", buyer=buyer)
    returned(deal, buyer, 3)

    assert scan() == {}
