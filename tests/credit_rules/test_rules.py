"""Table-driven tests for every credit rule: given facts, the exact outcomes it returns."""

from __future__ import annotations

import datetime
import re
from dataclasses import fields as dataclass_fields

import pytest

from credit_rules.gate import _outcomes
from credit_rules.models import MeasureKind, PolicyVersion
from credit_rules.policy import Policy, policy_at
from credit_rules.rules import REGISTRY, Facts
from credit_rules.rules.base import EventRow, Listing, fast_track, lift, order, record, refuse
from credit_rules.standing import ActiveMeasure

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

UTC = datetime.UTC
AT = datetime.datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Huizhou
USCC = "91441302MA4W12345R"


def moment(y: int, m: int, d: int) -> datetime.datetime:
    """Noon in Huizhou on that date, so local dates in messages are unambiguous."""
    return datetime.datetime(y, m, d, 4, 0, tzinfo=UTC)


def measure(kind: str, *, entry: int = 7, start=None, end=None, rule: str = "CR-ESC-001") -> ActiveMeasure:
    return ActiveMeasure(entry, kind, start or moment(2026, 2, 1), end, rule, "措施")


SUSPENDED = measure(MeasureKind.SUSPEND, end=moment(2026, 4, 1))
SUSPENDED_FOR_LISTING = measure(MeasureKind.SUSPEND, entry=9, end=None, rule="CR-LST-001")
EXPELLED = measure(MeasureKind.EXPEL, start=moment(2025, 6, 1), end=moment(2028, 6, 1), rule="CR-ESC-003")
RESTRICTED_FOR_D = measure(MeasureKind.RESTRICT, entry=11, rule="CR-ESC-004")
RESTRICTED_BY_HAND = measure(MeasureKind.RESTRICT, entry=12, rule="CR-SUP-001")
REWARDED = measure(MeasureKind.REWARD, entry=13, end=moment(2026, 9, 1), rule="CR-RWD-001")
REWARDED_LONG = measure(MeasureKind.REWARD, entry=14, end=moment(2027, 6, 1), rule="CR-RWD-002")
LISTING = Listing("最高人民法院失信被执行人名单", "未履行生效判决", datetime.date(2025, 11, 3))
SERIOUS_OLD = EventRow(3, "DECLINE_WIN", "无故放弃中选资格", "serious", moment(2024, 5, 6))
GRAVE_NEW = EventRow(5, "FALSE_MATERIALS", "提供虚假材料", "grave", moment(2025, 8, 9))
TWO_YEARS_AGO = AT - datetime.timedelta(days=730)
LAST_MONTH = AT - datetime.timedelta(days=30)
SUSPEND_LABEL = str(MeasureKind.SUSPEND.label)
EXPEL_LABEL = str(MeasureKind.EXPEL.label)

# (rule code, case id, facts that differ from a clean grade-A agency, the exact outcomes)
CASES = [
    # --- entry (入驻) ------------------------------------------------------------------------
    (
        "CR-ONB-001",
        "listed",
        {"listings": (LISTING,)},
        [refuse(source=LISTING.source, reason=LISTING.reason, listed_on="2025-11-03")],
    ),
    ("CR-ONB-001", "not-listed", {}, []),
    ("CR-ONB-002", "expelled", {"measures": (EXPELLED,)}, [refuse(until="2028-06-01")]),
    (
        "CR-ONB-002",
        "expelled-until-lifted",
        {"measures": (measure(MeasureKind.EXPEL, end=None),)},
        [refuse(until="—")],
    ),
    ("CR-ONB-002", "only-suspended", {"measures": (SUSPENDED,)}, []),
    (
        "CR-ONB-003",
        "latest-serious-event-named",
        {"serious_events": (SERIOUS_OLD, GRAVE_NEW)},
        [refuse(date="2025-08-09", title="提供虚假材料", months=36)],
    ),
    ("CR-ONB-003", "clean-record", {}, []),
    ("CR-ONB-004", "suspended", {"measures": (SUSPENDED,)}, [refuse(until="2026-04-01")]),
    ("CR-ONB-004", "restricted-only", {"measures": (RESTRICTED_FOR_D,)}, []),
    (
        "CR-ONB-005",
        "a-for-12-months",
        {"context": {"member_since": TWO_YEARS_AGO}, "score_green_start": 96},
        [fast_track(months=12)],
    ),
    ("CR-ONB-005", "new-member", {"context": {"member_since": LAST_MONTH}}, []),
    ("CR-ONB-005", "never-member", {"context": {}}, []),
    (
        "CR-ONB-005",
        "bad-event-in-window",
        {"context": {"member_since": TWO_YEARS_AGO}, "negatives_in_green_window": 1},
        [],
    ),
    ("CR-ONB-005", "was-b-a-year-ago", {"context": {"member_since": TWO_YEARS_AGO}, "score_green_start": 85}, []),
    ("CR-ONB-005", "b-now", {"context": {"member_since": TWO_YEARS_AGO}, "score": 88, "grade": "B"}, []),
    (
        # the reward in force is the green channel, however new the membership
        "CR-ONB-005",
        "rewarded",
        {"measures": (REWARDED,), "context": {"member_since": LAST_MONTH}, "score_green_start": 80},
        [fast_track(months=12)],
    ),
    ("CR-ONB-006", "agency-renews-alone", {"context": {"actor_role": "agency"}}, [refuse()]),
    (
        "CR-ONB-006",
        "agency-with-green-channel",
        {"context": {"actor_role": "agency", "member_since": TWO_YEARS_AGO}},
        [],
    ),
    ("CR-ONB-006", "supervisor-renews", {"context": {"actor_role": "supervisor"}}, []),
    # --- selection (选取) and contract ---------------------------------------------------------
    ("CR-SEL-001", "suspended", {"measures": (SUSPENDED,)}, [refuse(until="2026-04-01", rule="CR-ESC-001")]),
    (
        "CR-SEL-001",
        "suspended-by-hand-until-lifted",
        {"measures": (measure(MeasureKind.SUSPEND, rule=""),)},
        [refuse(until="—", rule="—")],
    ),
    ("CR-SEL-001", "not-suspended", {"measures": (RESTRICTED_FOR_D,)}, []),
    ("CR-SEL-002", "expelled", {"measures": (EXPELLED,)}, [refuse(until="2028-06-01")]),
    ("CR-SEL-002", "not-expelled", {"measures": (SUSPENDED,)}, []),
    ("CR-SEL-003", "listed", {"listings": (LISTING,)}, [refuse(source=LISTING.source, listed_on="2025-11-03")]),
    ("CR-SEL-003", "not-listed", {}, []),
    (
        "CR-SEL-004",
        "restricted-with-one-open",
        {"measures": (RESTRICTED_FOR_D,), "context": {"open_engagements": 1}},
        [refuse(open=1)],
    ),
    (
        "CR-SEL-004",
        "restricted-with-none-open",
        {"measures": (RESTRICTED_FOR_D,), "context": {"open_engagements": 0}},
        [],
    ),
    ("CR-SEL-004", "unrestricted-with-three-open", {"context": {"open_engagements": 3}}, []),
    (
        "CR-SEL-005",
        "restricted-direct",
        {"measures": (RESTRICTED_FOR_D,), "context": {"method": "direct"}},
        [refuse()],
    ),
    ("CR-SEL-005", "restricted-draw", {"measures": (RESTRICTED_FOR_D,), "context": {"method": "draw"}}, []),
    ("CR-SEL-005", "unrestricted-direct", {"context": {"method": "direct"}}, []),
    (
        "CR-SEL-006",
        "suspended-member",
        {"context": {"member_state": "suspended", "member_state_label": "暂停"}},
        [refuse(state="暂停")],
    ),
    ("CR-SEL-006", "draft-without-label", {"context": {"member_state": "draft"}}, [refuse(state="draft")]),
    ("CR-SEL-006", "active", {"context": {"member_state": "active"}}, []),
    ("CR-SEL-006", "restricted", {"context": {"member_state": "restricted"}}, []),
    ("CR-SEL-006", "state-unknown", {}, []),
    (
        "CR-SEL-007",
        "missing-two",
        {"context": {"missing_qualifications": ["房地产估价机构备案", "土地估价机构备案"]}},
        [refuse(missing="房地产估价机构备案、土地估价机构备案")],
    ),
    ("CR-SEL-007", "qualified", {"context": {"missing_qualifications": []}}, []),
    (
        "CR-SEL-008",
        "avoided",
        {"context": {"avoid_reason": "曾为本单位提供同一事项咨询"}},
        [refuse(reason="曾为本单位提供同一事项咨询")],
    ),
    ("CR-SEL-008", "not-avoided", {"context": {"avoid_reason": ""}}, []),
    (
        "CR-CON-001",
        "suspended-after-selection",
        {"measures": (SUSPENDED,), "context": {"selected_at": moment(2026, 1, 20)}},
        [
            refuse(measure=SUSPEND_LABEL, since="2026-02-01"),
            order(MeasureKind.REVOKE, measure=SUSPEND_LABEL, since="2026-02-01"),
        ],
    ),
    (
        # A suspension in force when the win is confirmed or contracted counts whenever it began.
        "CR-CON-001",
        "suspended-before-selection-still-revokes",
        {"measures": (SUSPENDED,), "context": {"selected_at": moment(2026, 2, 10)}},
        [
            refuse(measure=SUSPEND_LABEL, since="2026-02-01"),
            order(MeasureKind.REVOKE, measure=SUSPEND_LABEL, since="2026-02-01"),
        ],
    ),
    (
        "CR-CON-001",
        "expelled-before-selection-still-revokes",
        {"measures": (EXPELLED, SUSPENDED), "context": {"selected_at": moment(2026, 2, 10)}},
        [
            refuse(measure=EXPEL_LABEL, since="2025-06-01"),
            order(MeasureKind.REVOKE, measure=EXPEL_LABEL, since="2025-06-01"),
        ],
    ),
    (
        "CR-CON-001",
        "no-selection-date",
        {"measures": (SUSPENDED,)},
        [
            refuse(measure=SUSPEND_LABEL, since="2026-02-01"),
            order(MeasureKind.REVOKE, measure=SUSPEND_LABEL, since="2026-02-01"),
        ],
    ),
    ("CR-CON-001", "no-measure", {"context": {"selected_at": moment(2026, 1, 20)}}, []),
    # --- challenges (质疑) and complaints (投诉) about a result ---------------------------------
    ("CR-SEL-009", "challenge-pending", {"context": {"challenges_pending": 2}}, [refuse(pending=2)]),
    ("CR-SEL-009", "none-pending", {"context": {"challenges_pending": 0}}, []),
    (
        "CR-SEL-009",
        "policy-does-not-hold",
        {"context": {"challenges_pending": 1}, "policy": {"challenge_holds_award": False}},
        [],
    ),
    (
        "CR-SEL-010",
        "complaint-upheld",
        {"context": {"upheld": True, "project": "ZJCS-2026-000123"}},
        [order(MeasureKind.REVOKE, project="ZJCS-2026-000123")],
    ),
    ("CR-SEL-010", "not-upheld", {"context": {}}, []),
    # --- random inspections (双随机抽查) ----------------------------------------------------------
    (
        "CR-INS-001",
        "failed",
        {"context": {"plan": "SJCC-2026-00001", "result": "fail", "result_label": "不合格"}},
        [record("INSPECTION_FAIL", plan="SJCC-2026-00001", result="不合格")],
    ),
    (
        "CR-INS-001",
        "rectify",
        {"context": {"plan": "SJCC-2026-00001", "result": "rectify", "result_label": "责令整改"}},
        [record("INSPECTION_RECTIFY", plan="SJCC-2026-00001", result="责令整改")],
    ),
    ("CR-INS-001", "passed", {"context": {"plan": "SJCC-2026-00001", "result": "pass"}}, []),
    (
        "CR-INS-001",
        "item-not-in-policy",
        {"context": {"result": "fail"}, "policy": {"catalogue_without": ("INSPECTION_FAIL",)}},
        [],
    ),
    # --- service and payment ----------------------------------------------------------------
    (
        "CR-SVC-001",
        "declined",
        {"context": {"project": "ZJCS-2026-000001", "reason": "人员调整"}},
        [record("DECLINE_WIN", project="ZJCS-2026-000001", reason="人员调整")],
    ),
    (
        "CR-SVC-002",
        "contract-missed",
        {"context": {"project": "ZJCS-2026-000001", "due": "2026-03-01 17:00"}},
        [
            record("CONTRACT_LATE", project="ZJCS-2026-000001", due="2026-03-01 17:00"),
            order(MeasureKind.REVOKE, project="ZJCS-2026-000001", due="2026-03-01 17:00"),
        ],
    ),
    (
        "CR-SVC-003",
        "late",
        {"context": {"project": "ZJCS-2026-000001", "due": "2026-03-01 17:00"}},
        [record("DELIVERY_LATE", project="ZJCS-2026-000001", due="2026-03-01 17:00")],
    ),
    (
        "CR-SVC-004",
        "excellent",
        {"context": {"project": "P", "average": "4.6"}},
        [record("RATING_EXCELLENT", project="P", average="4.6")],
    ),
    (
        "CR-SVC-004",
        "poor",
        {"context": {"project": "P", "average": "2.4"}},
        [record("RATING_POOR", project="P", average="2.4")],
    ),
    ("CR-SVC-001", "item-not-in-policy", {"policy": {"catalogue_without": ("DECLINE_WIN",)}}, []),
    (
        "CR-SVC-002",
        "item-not-in-policy-still-revokes",
        {"policy": {"catalogue_without": ("CONTRACT_LATE",)}, "context": {"project": "P", "due": "D"}},
        [order(MeasureKind.REVOKE, project="P", due="D")],
    ),
    ("CR-SVC-002", "win-already-gone", {"context": {"win_open": False}}, []),
    ("CR-SVC-003", "item-not-in-policy", {"policy": {"catalogue_without": ("DELIVERY_LATE",)}}, []),
    ("CR-PAY-001", "item-not-in-policy", {"policy": {"catalogue_without": ("BUYER_LATE_PAYMENT",)}}, []),
    ("CR-SVC-004", "middling", {"context": {"project": "P", "average": "3.6"}}, []),
    ("CR-SVC-004", "closed-unrated", {"context": {"project": "P"}}, []),
    ("CR-SVC-005", "expelled", {"measures": (EXPELLED,)}, [refuse(since="2025-06-01")]),
    ("CR-SVC-005", "expelled-buyer-continues", {"measures": (EXPELLED,), "context": {"buyer_continues": True}}, []),
    ("CR-SVC-005", "not-expelled", {"measures": (SUSPENDED,)}, []),
    (
        "CR-PAY-001",
        "late",
        {"context": {"project": "P", "due": "2026-03-01"}},
        [record("BUYER_LATE_PAYMENT", project="P", due="2026-03-01")],
    ),
    # --- buyer (政务诚信): recorded against the buyer unit, never a refusal -----------------------
    (
        "CR-BUY-001",
        "contract-left-unsigned",
        {"context": {"project": "P", "due": "2026-03-01 17:00", "extended": "2026-03-06 17:00"}},
        [record("BUYER_CONTRACT_LATE", project="P", due="2026-03-01 17:00", extended="2026-03-06 17:00")],
    ),
    ("CR-BUY-001", "item-not-in-policy", {"policy": {"catalogue_without": ("BUYER_CONTRACT_LATE",)}}, []),
    (
        "CR-BUY-002",
        "not-accepted-in-time",
        {"context": {"project": "P", "submitted": "2026-02-10 10:00", "due": "2026-02-25 10:00"}},
        [record("BUYER_ACCEPTANCE_LATE", project="P", submitted="2026-02-10 10:00", due="2026-02-25 10:00")],
    ),
    ("CR-BUY-002", "item-not-in-policy", {"policy": {"catalogue_without": ("BUYER_ACCEPTANCE_LATE",)}}, []),
    (
        "CR-BUY-003",
        "window-closed-unrated",
        {"context": {"project": "P", "due": "2026-03-01 17:00"}},
        [record("BUYER_RATING_MISSED", project="P", due="2026-03-01 17:00")],
    ),
    ("CR-BUY-003", "item-not-in-policy", {"policy": {"catalogue_without": ("BUYER_RATING_MISSED",)}}, []),
    ("CR-BUY-004", "third-failure", {"context": {"failures": 3}}, [record("BUYER_WARNING", count=3, window=12)]),
    ("CR-BUY-004", "second-failure", {"context": {"failures": 2}}, []),
    ("CR-BUY-004", "policy-never-warns", {"policy": {"buyer_failures_to_warn": 0}, "context": {"failures": 9}}, []),
    (
        "CR-BUY-004",
        "policy-warns-at-two-in-six-months",
        {"policy": {"buyer_failures_to_warn": 2, "buyer_failures_window_months": 6}, "context": {"failures": 2}},
        [record("BUYER_WARNING", count=2, window=6)],
    ),
    # --- the membership term (入驻有效期): AT is 2026-03-02 in Huizhou ----------------------------
    (
        "CR-ONB-007",
        "term-ended-yesterday",
        {"context": {"term_until": datetime.date(2026, 3, 1)}},
        [refuse(until="2026-03-01")],
    ),
    ("CR-ONB-007", "term-ended-as-stored", {"context": {"term_until": "2025-12-31"}}, [refuse(until="2025-12-31")]),
    ("CR-ONB-007", "last-day-of-term", {"context": {"term_until": datetime.date(2026, 3, 2)}}, []),
    ("CR-ONB-007", "no-term", {"context": {"term_until": None}}, []),
    ("CR-ONB-007", "not-told", {}, []),
    ("CR-SEL-006", "lapsed-left-to-the-term-rule", {"context": {"member_state": "lapsed"}}, []),
    (
        "CR-SUP-001",
        "suspend-two-months",
        {"context": {"measure": MeasureKind.SUSPEND, "months": 2}},
        [order(MeasureKind.SUSPEND, months=2, measure_label=SUSPEND_LABEL)],
    ),
    ("CR-SUP-001", "finding-only", {"context": {"measure": ""}}, []),
    (
        # a rule's prior notice carries that rule's own order: the supervisors' rule stays silent
        "CR-SUP-001",
        "rule-notice",
        {"context": {"measure": MeasureKind.SUSPEND, "months": 1, "rule_code": "CR-ESC-001"}},
        [],
    ),
    # --- reward (奖) ----------------------------------------------------------------------------
    (
        "CR-RWD-001",
        "a-for-12-months",
        {"context": {"member_since": TWO_YEARS_AGO}, "score_green_start": 96},
        [order(MeasureKind.REWARD, months=12, window=12)],
    ),
    ("CR-RWD-001", "already-rewarded", {"context": {"member_since": TWO_YEARS_AGO}, "measures": (REWARDED,)}, []),
    ("CR-RWD-001", "new-member", {"context": {"member_since": LAST_MONTH}}, []),
    ("CR-RWD-001", "no-member-told", {}, []),
    (
        "CR-RWD-001",
        "negative-in-window",
        {"context": {"member_since": TWO_YEARS_AGO}, "negatives_in_green_window": 1},
        [],
    ),
    ("CR-RWD-001", "was-b-a-year-ago", {"context": {"member_since": TWO_YEARS_AGO}, "score_green_start": 85}, []),
    ("CR-RWD-001", "b-now", {"context": {"member_since": TWO_YEARS_AGO}, "score": 88, "grade": "B"}, []),
    ("CR-RWD-001", "suspended", {"context": {"member_since": TWO_YEARS_AGO}, "measures": (SUSPENDED,)}, []),
    ("CR-RWD-001", "listed", {"context": {"member_since": TWO_YEARS_AGO}, "listings": (LISTING,)}, []),
    (
        "CR-RWD-001",
        "policy-without-rewards",
        {"context": {"member_since": TWO_YEARS_AGO}, "policy": {"reward_months": 0}},
        [],
    ),
    (
        "CR-RWD-002",
        "honour-at-grade-a",
        {"context": {"new_rewards": True, "new_title": "列入红名单或获表彰"}},
        [order(MeasureKind.REWARD, months=12, title="列入红名单或获表彰")],
    ),
    (
        "CR-RWD-002",
        "honour-outlasts-the-reward-in-force",
        {"measures": (REWARDED,), "context": {"new_rewards": True, "new_title": "纳税信用 A 级"}},
        [order(MeasureKind.REWARD, months=12, title="纳税信用 A 级")],
    ),
    ("CR-RWD-002", "reward-in-force-runs-longer", {"measures": (REWARDED_LONG,), "context": {"new_rewards": True}}, []),
    ("CR-RWD-002", "honour-at-grade-b", {"score": 85, "grade": "B", "context": {"new_rewards": True}}, []),
    ("CR-RWD-002", "honour-while-restricted", {"measures": (RESTRICTED_FOR_D,), "context": {"new_rewards": True}}, []),
    ("CR-RWD-002", "item-that-does-not-reward", {"context": {"new_rewards": False, "new_points": 2}}, []),
    ("CR-RWD-002", "policy-without-rewards", {"policy": {"reward_months": 0}, "context": {"new_rewards": True}}, []),
    ("CR-RWD-003", "negative-entry-lands", {"measures": (REWARDED,), "context": {"new_points": -5}}, [lift(13)]),
    (
        "CR-RWD-003",
        "punitive-measure-recorded",
        {"measures": (REWARDED, REWARDED_LONG), "context": {"new_measure": MeasureKind.SUSPEND}},
        [lift(13), lift(14)],
    ),
    ("CR-RWD-003", "punitive-in-force-on-review", {"measures": (REWARDED, RESTRICTED_BY_HAND)}, [lift(13)]),
    ("CR-RWD-003", "listed-on-review", {"measures": (REWARDED,), "listings": (LISTING,)}, [lift(13)]),
    ("CR-RWD-003", "positive-entry", {"measures": (REWARDED,), "context": {"new_points": 2}}, []),
    ("CR-RWD-003", "reward-recorded", {"measures": (REWARDED,), "context": {"new_measure": MeasureKind.REWARD}}, []),
    ("CR-RWD-003", "not-rewarded", {"context": {"new_points": -5}}, []),
    # --- escalation -----------------------------------------------------------------------------
    (
        "CR-ESC-006",
        "serious-record-with-open-wins",
        {
            "policy": {"revoke_wins_on": ["serious"]},
            "context": {"new_severity": "serious", "new_title": "T", "open_wins": 2},
        },
        [order(MeasureKind.REVOKE, title="T", count=2)],
    ),
    (
        "CR-ESC-006",
        "minor-record",
        {"policy": {"revoke_wins_on": ["serious"]}, "context": {"new_severity": "minor", "open_wins": 2}},
        [],
    ),
    (
        "CR-ESC-006",
        "the-record-expels",
        {
            "policy": {"revoke_wins_on": ["serious"]},
            "context": {"new_severity": "serious", "open_wins": 2, "new_expels": True},
        },
        [],
    ),
    (
        "CR-ESC-006",
        "no-open-win",
        {"policy": {"revoke_wins_on": ["serious"]}, "context": {"new_severity": "serious", "open_wins": 0}},
        [],
    ),
    (
        "CR-ESC-001",
        "second-warning",
        {"warnings_in_window": 2, "context": {"new_is_warning": True}},
        [order(MeasureKind.SUSPEND, months=1, window=12, count=2)],
    ),
    (
        "CR-ESC-001",
        "warning-while-suspended",
        {"warnings_in_window": 3, "measures": (SUSPENDED,), "context": {"new_is_warning": True}},
        [order(MeasureKind.SUSPEND, months=3, window=12, count=3)],
    ),
    ("CR-ESC-001", "first-warning", {"warnings_in_window": 1, "context": {"new_is_warning": True}}, []),
    ("CR-ESC-001", "not-a-warning", {"warnings_in_window": 2, "context": {"new_is_warning": False}}, []),
    (
        "CR-ESC-002",
        "third-complaint",
        {"complaints_in_window": 3, "context": {"new_is_quality_complaint": True}},
        [order(MeasureKind.EXPEL, months=36, window=12, count=3)],
    ),
    ("CR-ESC-002", "second-complaint", {"complaints_in_window": 2, "context": {"new_is_quality_complaint": True}}, []),
    ("CR-ESC-002", "other-event", {"complaints_in_window": 3, "context": {}}, []),
    (
        "CR-ESC-003",
        "false-materials",
        {"context": {"new_expels": True, "new_title": "提供虚假材料"}},
        [order(MeasureKind.EXPEL, months=36, title="提供虚假材料")],
    ),
    ("CR-ESC-003", "ordinary-event", {"context": {"new_expels": False}}, []),
    ("CR-ESC-004", "falls-to-d", {"score": 55, "grade": "D"}, [order(MeasureKind.RESTRICT, score=55)]),
    ("CR-ESC-004", "already-restricted", {"score": 55, "grade": "D", "measures": (RESTRICTED_FOR_D,)}, []),
    ("CR-ESC-004", "grade-c", {"score": 60, "grade": "C"}, []),
    (
        "CR-ESC-004",
        "policy-without-d-restriction",
        {"score": 40, "grade": "D", "policy": {"restrict_on_grade_d": False}},
        [],
    ),
    (
        "CR-ESC-005",
        "back-to-c",
        {"score": 65, "grade": "C", "measures": (RESTRICTED_FOR_D,)},
        [lift(11, score=65, grade="C")],
    ),
    ("CR-ESC-005", "still-d", {"score": 59, "grade": "D", "measures": (RESTRICTED_FOR_D,)}, []),
    ("CR-ESC-005", "restricted-by-supervisor", {"measures": (RESTRICTED_BY_HAND,)}, []),
    ("CR-LST-001", "newly-listed", {"listings": (LISTING,)}, [order(MeasureKind.SUSPEND, source=LISTING.source)]),
    (
        "CR-LST-001",
        "listed-and-suspended-for-a-warning",
        {"listings": (LISTING,), "measures": (SUSPENDED,)},
        [order(MeasureKind.SUSPEND, source=LISTING.source)],
    ),
    ("CR-LST-001", "already-suspended-for-listing", {"listings": (LISTING,), "measures": (SUSPENDED_FOR_LISTING,)}, []),
    ("CR-LST-001", "not-listed", {}, []),
    ("CR-LST-002", "delisted", {"measures": (SUSPENDED, SUSPENDED_FOR_LISTING)}, [lift(9)]),
    ("CR-LST-002", "still-listed", {"listings": (LISTING,), "measures": (SUSPENDED_FOR_LISTING,)}, []),
    ("CR-LST-002", "other-suspension", {"measures": (SUSPENDED,)}, []),
    # --- exit (退出) ----------------------------------------------------------------------------
    ("CR-EXIT-001", "two-open", {"context": {"open_engagements": 2}}, [refuse(open=2)]),
    ("CR-EXIT-001", "none-open", {"context": {"open_engagements": 0}}, []),
    ("CR-EXIT-001", "not-counted", {}, []),
]


def policy_with(*, catalogue_without: tuple[str, ...] = (), **changes) -> Policy:
    """Policy v1 with some thresholds changed (and some catalogue items left out), as an unsaved draft would hold them."""
    base = policy_at(AT)
    values = {f.name: getattr(base.version, f.name) for f in PolicyVersion._meta.concrete_fields}
    catalogue = {code: item for code, item in base.catalogue.items() if code not in catalogue_without}
    return Policy(PolicyVersion(**{**values, **changes, "id": None}), catalogue)


def facts(**overrides) -> Facts:
    """A clean grade-A agency at AT under the default policy, with ``overrides`` applied."""
    policy_changes = overrides.pop("policy", None)
    values = {
        "subject_id": 1,
        "uscc": USCC,
        "at": AT,
        "policy": policy_with(**policy_changes) if policy_changes else policy_at(AT),
        "score": 100,
        "grade": "A",
        "score_green_start": 100,
        "warnings_in_window": 0,
        "complaints_in_window": 0,
        "negatives_in_green_window": 0,
        "measures": (),
        "serious_events": (),
        "listings": (),
        "context": {},
    }
    values.update(overrides)
    return Facts(**values)


@pytest.mark.parametrize(("code", "given", "expected"), [pytest.param(c, g, e, id=f"{c}:{i}") for c, i, g, e in CASES])
def test_rule_outcomes(code, given, expected):
    # given the facts of the case
    f = facts(**dict(given))
    # when the rule looks at them
    outcomes = _outcomes(REGISTRY[code].func(f))
    # then it says exactly what the table says (kind, params, measure, months, lifted entry)
    assert outcomes == expected
    # and its message renders with every placeholder filled
    for outcome in outcomes:
        text = REGISTRY[code].render(outcome.params)
        assert "%(" not in text, text


RULE_CODE = re.compile(r"^CR-[A-Z]+-\d{3}$")


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_rule_is_documented_and_gates_something(code):
    rule = REGISTRY[code]
    assert RULE_CODE.match(rule.code) and rule.code == code
    assert (rule.func.__doc__ or "").strip(), f"{code} has no docstring"
    assert str(rule.basis).strip() and str(rule.message).strip() and str(rule.title).strip()
    assert rule.transitions and all("." in t for t in rule.transitions)
    assert rule.in_force(AT)


def test_every_rule_has_table_cases_that_fire_and_that_pass():
    fired = {code for code, _, _, expected in CASES if expected}
    quiet = {code for code, _, _, expected in CASES if not expected}
    assert set(REGISTRY) - fired == set(), "rules without a case where they act"
    assert set(REGISTRY) - quiet == set(), "rules without a case where they stay silent"
    assert {code for code, *_ in CASES} <= set(REGISTRY), "cases for rules that do not exist"


def test_case_ids_are_unique():
    ids = [(code, case) for code, case, *_ in CASES]
    assert len(ids) == len(set(ids))


def test_facts_builder_covers_every_field():
    # guards the table against a new Facts field silently defaulting
    assert {f.name for f in dataclass_fields(Facts)} == set(facts().__dict__)
