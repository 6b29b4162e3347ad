"""What a credit report states: the facts of the agency's public profile at a moment, as canonical JSON.

The facts are the public profile's (``credit_rules.selectors.agency_profile_for_public``): organisation name,
USCC and region, grade and score from the ledger, the measures in force, the public records still counting,
and the policy version in force. Values are as recorded (titles in Chinese, codes, ISO dates), so the JSON
is the same whatever the reader's language; nothing about a natural person is in it.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.utils import timezone

from credit_rules.models import CreditSubject, MeasureKind
from credit_rules.policy import policy_at
from credit_rules.selectors import entry_status
from credit_rules.standing import Standing, standing_compute
from marketplace.models import Agency

FACTS_VERSION = 1  # the layout of the JSON below; a new layout gets a new number


def canonical(facts: dict) -> str:
    """The one serialisation hashed and stored: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _day(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).date().isoformat() if moment else None


def report_facts(profile: Agency, report_id: str, at: datetime.datetime) -> dict:
    """The facts a report issued at ``at`` states, from an agency loaded by ``agency_profile_for_public``."""
    policy = policy_at(at)
    try:
        subject = profile.credit
    except CreditSubject.DoesNotExist:
        subject = None
    if subject is not None:
        standing = standing_compute(subject, at)
        entries = subject.public_entries  # type: ignore[attr-defined]  # prefetched by the selector
    else:
        standing = Standing(subject_id=0, at=at, score=policy.base_score, grade=policy.grade_for(policy.base_score))
        entries = []
    records = []
    for entry in entries:
        status = entry_status(entry, entry.followups.all(), at)
        if status.withdrawn:
            continue  # repaired and overturned records no longer count, as on the profile
        summary = entry.evidence.get("summary", "") if isinstance(entry.evidence, dict) else ""
        records.append(
            {
                "date": _day(entry.effective_at),
                "kind": entry.kind,
                "code": entry.code,
                "title": entry.title,
                "measure": entry.measure or "",
                "points": entry.points if entry.kind == "event" else None,
                "expires": _day(entry.expires_at),
                "rule_code": entry.rule_code,
                "summary": str(summary),
                "status": status.value,
            }
        )
    measures = [
        {
            "kind": m.kind,
            "label": str(MeasureKind(m.kind).label) if m.kind in MeasureKind.values else m.kind,
            "title": m.title,
            "rule_code": m.rule_code,
            "starts": _day(m.starts_at),
            "ends": _day(m.ends_at),
        }
        for m in standing.measures
    ]
    return {
        "format": FACTS_VERSION,
        "report_id": report_id,
        "generated_at": _iso(at),
        "organisation": {
            "name": profile.name,
            "uscc": profile.uscc,
            "region": profile.region.name if profile.region else "",
        },
        "standing": {"grade": standing.grade, "score": standing.score},
        "measures": measures,
        "records": records,
        "policy": {"version": policy.version.version, "demonstration": bool(policy.is_demonstration)},
    }
