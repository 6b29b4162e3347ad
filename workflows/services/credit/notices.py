"""Public notices of credit entries: the snapshot a notice publishes, and the request that publishes it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cms.services import notice_request
from credit_rules.models import LedgerEntry, MeasureKind
from credit_rules.policy import policy_at

NOTICE_FOR_MEASURE: dict[str, str] = {
    MeasureKind.SUSPEND: "suspension",
    MeasureKind.EXPEL: "expulsion",
    MeasureKind.REWARD: "red_list",
}


HOW_TO_OBJECT = (
    "对本记录有异议的，可自公告之日起 30 日内通过平台“我的信用”提出异议；符合条件的，可在规定期限后申请信用修复。"
)


def entry_notice_key(entry: LedgerEntry) -> str:
    return f"credit:{entry.subject.uscc}:{entry.seq}"


def entry_notice_payload(entry: LedgerEntry, **extra: Any) -> dict[str, Any]:
    """A snapshot of a credit entry for a public notice: organisation data only, never persons.

    ``public_until`` is the end of the publication period of the entry's class under the policy in
    force when it took effect (《信用修复管理办法》's maximum by default); the notice leaves the active
    lists after it. Informational records (red list, repair notices) have no such end.
    """
    subject = entry.subject
    until = policy_at(entry.effective_at).publication_end(entry.severity, entry.effective_at)
    return {
        "title": f"{entry.title}：{subject.name}",
        "agency": {"name": subject.name, "uscc": subject.uscc},
        "measure": entry.measure or "",
        "code": entry.code,
        "entry_title": entry.title,
        "points": entry.points,
        "rule_code": entry.rule_code,
        "basis": entry.basis,
        "evidence_summary": str(entry.evidence.get("summary", "")),
        "starts_at": timezone.localtime(entry.effective_at).date().isoformat(),
        "ends_at": timezone.localtime(entry.expires_at).date().isoformat() if entry.expires_at else "",
        "public_until": timezone.localtime(until).date().isoformat() if until else "",
        "how_to_object": HOW_TO_OBJECT,
        "ledger_hash": entry.hash,
        **extra,
    }


def entry_publish(entry: LedgerEntry, kind: str) -> None:
    """Ask for the entry's notice, unless the policy does not publish its class (轻微, by default)."""
    policy = policy_at(entry.effective_at)
    if not policy.periods(entry.severity).published:
        return
    notice_request(
        kind=kind,
        source_key=entry_notice_key(entry),
        payload=entry_notice_payload(entry),
        moderated=policy.moderate_measure_notices and kind in ("suspension", "expulsion"),
    )
