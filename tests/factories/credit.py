"""Credit states built through the credit services: events and warnings on an agency's ledger, measures,
credit cases at each step, suspended members, and external-list files.

Only the clock is ever simulated (``hearing_lapsed``, also for a rule's prior notice: ``notice_lapses``); every
record is written by the services.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.utils import timezone

from credit_rules.gate import MeasureOrder
from credit_rules.models import LedgerEntry, MeasureKind, Source
from credit_rules.services import subject_for_agency
from marketplace.models import Agency
from tests.factories.people import AgencyFactory, supervisor_user
from tests.factories.procurement import agencies
from workflows.models import CreditCase
from workflows.services.credit import cases as case_services
from workflows.services.credit import events as event_services
from workflows.services.credit import measures as measure_services
from workflows.services.credit.external import external_list_import
from workflows.services.credit.sweeps import credit_sweep

# --- the ledger ---------------------------------------------------------------------------------------


def record_event(agency: Agency, code: str, *, at=None, actor=None, source: str = Source.SUPERVISOR) -> LedgerEntry:
    """A catalogue event on the agency's ledger, escalated by the policy as in production."""
    return event_services.credit_event_record(
        subject=subject_for_agency(agency), code=code, source=source, actor=actor, at=at
    )


def warn(agency: Agency, supervisor, what: str = "逾期提交成果，经责令整改仍未说明理由。") -> LedgerEntry:
    """A supervisor's credit warning (published; two within the policy's window suspend)."""
    return event_services.warning_issue(agency=agency, actor=supervisor, facts=what, evidence_summary=what)


def apply_measure(agency: Agency, kind: str, *, months: int | None = None, rule: str = "CR-ESC-001"):
    """A measure ordered by ``rule`` and applied to the agency (its membership follows); returns the entries."""
    return measure_services.measures_apply(
        subject=subject_for_agency(agency), orders=[MeasureOrder(rule, kind, months=months)]
    )


SUSPENDING_WARNINGS = ("逾期提交成果。", "成果质量不合格。")


def pending_notice(agency: Agency) -> CreditCase:
    """The agency's open prior notice of an automatic measure (失信告知), the newest."""
    return CreditCase.objects.filter(agency=agency, state__in=CreditCase.OPEN).exclude(rule_code="").latest("pk")


def warned_twice(agency: Agency, supervisor, facts: Sequence[str] = SUSPENDING_WARNINGS) -> CreditCase:
    """Two credit warnings within the policy's window: the policy's suspension (CR-ESC-001) is notified to the
    agency first (失信告知), and nothing is in force yet. Returns the notice, its response period running."""
    _warnings_notified(agency, supervisor, facts)
    return pending_notice(agency)


def _warnings_notified(agency: Agency, supervisor, facts: Sequence[str]) -> list[LedgerEntry]:
    warnings = [warn(agency, supervisor, what) for what in facts]
    assert not subject_for_agency(agency).is_suspended
    notice = pending_notice(agency)
    assert notice.state == CreditCase.State.NOTIFIED and notice.measure == MeasureKind.SUSPEND
    return warnings


def notice_lapses(notice: CreditCase) -> dict[str, int]:
    """The notice's response period runs out unanswered and the credit sweep runs: the measure takes effect."""
    hearing_lapsed(notice)
    return credit_sweep()


def suspend_by_warnings(agency: Agency, supervisor, facts: Sequence[str] = SUSPENDING_WARNINGS) -> list[LedgerEntry]:
    """Two credit warnings within the policy's window: the suspension the policy orders (CR-ESC-001) is notified,
    its response period lapses unanswered and the credit sweep applies it. Returns the warnings."""
    warnings = _warnings_notified(agency, supervisor, facts)
    notice_lapses(pending_notice(agency))
    assert subject_for_agency(agency).is_suspended
    return warnings


def suspended_member(*, supervisor=None, level_rank: int = 1, facts: Sequence[str] = SUSPENDING_WARNINGS):
    """A member qualified for the procurement builders, suspended by two warnings: (agency, user)."""
    supervisor = supervisor or supervisor_user()
    ((agency, user),) = agencies(1, supervisor=supervisor, level_rank=level_rank)
    suspend_by_warnings(agency, supervisor, facts)
    return agency, user


# --- credit cases ---------------------------------------------------------------------------------------

CASE_FACTS = "多次未按时提交成果，经约谈仍未整改。"


def hearing_lapsed(case: CreditCase) -> None:
    """The notified agency's response period (陈述申辩期) runs out without a statement.

    Only the clock is simulated: the stored due date moves to a moment ago, as if the days had passed.
    """
    CreditCase.objects.filter(pk=case.pk).update(response_due=timezone.now() - datetime.timedelta(seconds=1))
    case.refresh_from_db()


def proposed_case(
    agency: Agency, supervisor, *, measure=MeasureKind.SUSPEND, months: int | None = 1, facts: str = CASE_FACTS
) -> CreditCase:
    return case_services.case_propose(agency=agency, actor=supervisor, facts=facts, measure=measure, months=months)


def notified_case(agency: Agency, supervisor, **kwargs) -> CreditCase:
    """A proposed case the agency has been told of (its response period running)."""
    case = proposed_case(agency, supervisor, **kwargs)
    assert case_services.case_notify(case=case, actor=supervisor).ok
    return CreditCase.objects.get(pk=case.pk)


def applied_case(agency: Agency, supervisor, *, note: str = "陈述申辩理由不成立。", **kwargs) -> CreditCase:
    """A case notified, its response period over, and decided: the measure applied."""
    case = notified_case(agency, supervisor, **kwargs)
    hearing_lapsed(case)
    result = case_services.case_decide(case=case, actor=supervisor, apply=True, note=note)
    assert result.ok, result.messages
    return CreditCase.objects.get(pk=case.pk)


# --- external lists -------------------------------------------------------------------------------------

LISTING_HEADER = "uscc,name,reason,source,listed_on,delisted_on\n"
LISTING_REASON = "未履行生效法律文书确定的义务"
LISTING_SOURCE = "失信被执行人名单"


def listing_row(
    agency: Agency,
    *,
    reason: str = LISTING_REASON,
    source: str = LISTING_SOURCE,
    listed_on: datetime.date | str = "2026-01-05",
    delisted_on: datetime.date | str | None = "",
) -> str:
    """One line of a list file naming the agency."""
    return ",".join(
        str(v)
        for v in (agency.uscc, agency.name, reason, source, listed_on, "" if delisted_on is None else delisted_on)
    )


def listing_csv(*rows: str | Iterable[str]) -> bytes:
    """A list file (UTF-8 CSV with the expected header) of the given lines (or rows of fields)."""
    lines = [row if isinstance(row, str) else ",".join(row) for row in rows]
    return (LISTING_HEADER + "".join(f"{line}\n" for line in lines)).encode()


def list_agency(agency: Agency, *, filename: str = "sxbzxr.csv", **row):
    """Import a list file naming the agency (delisted if ``delisted_on`` is given); returns (batch, affected)."""
    return external_list_import(content=listing_csv(listing_row(agency, **row)), filename=filename)


def credit_subject():
    """The credit subject (ledger owner) of a new agency with an empty ledger."""
    return subject_for_agency(AgencyFactory())
