"""Risk detection, continued: who the agencies are (shared contact details or addresses), how buyers run
their projects (failing, cancelling and relaunching), how agencies deliver (late results and reworks).

Same contract as ``risk.py``: reads only, ``Finding`` rows, thresholds as named constants (``docs/risk-flags.md``).
The evidence names organisations; a shared phone number (often a person's) shows its last four digits only.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from marketplace.models import Agency

from ..models import Engagement, Project, RiskFlag, TransitionLog
from .risk import WINDOW_DAYS, Finding

# 5. Shared identity: a phone number needs this many digits to count (shorter is an extension or junk); an address
# this many characters once normalised (shorter is a district, not a door).
PHONE_MIN_DIGITS = 7
ADDRESS_MIN_CHARS = 8
# 6. Relaunches: one chain of projects (each the relaunch of the one before) with at least this many ended
# (流标 or 终止) in the window.
RELAUNCH_MIN_ENDED = 3
# 7. Delivery: at least this many late results and reworks for one agency in the window, on at least this many
# engagements, for at least this many different buyer units.
DELIVERY_MIN_ISSUES = 3
DELIVERY_MIN_ENGAGEMENTS = 2
DELIVERY_MIN_BUYERS = 2


def _agency_ref(agency: Agency) -> dict:
    return {"uscc": agency.uscc, "name": agency.name}


def _since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=WINDOW_DAYS)


# --- 5. agencies sharing contact details, addresses or staff ---------------------------------------------------


def phone_key(phone: str) -> str:
    """A phone number as digits only, without the country code: "+86 0752-2123 456" → "07522123456"."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return digits if len(digits) >= PHONE_MIN_DIGITS else ""


def address_key(address: str) -> str:
    """An address without spaces and punctuation, full-width folded: "惠城区 江北 三新南路 8 号" → "惠城区江北三新南路8号"."""
    text = re.sub(r"[\s,，.。·\-—()（）]", "", unicodedata.normalize("NFKC", address or "")).lower()
    return text if len(text) >= ADDRESS_MIN_CHARS else ""


def shared_identity_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Groups of agencies with the same contact phone or the same address.

    Shared staff cannot happen here: a staff account belongs to one agency (``AgencyStaff.user`` is unique). A
    shared legal representative's name is not compared: common names are the look-alike it could not tell apart.
    """
    shared: dict[frozenset[int], dict] = defaultdict(dict)
    by_phone: dict[str, set[int]] = defaultdict(set)
    by_address: dict[str, set[int]] = defaultdict(set)
    agencies = {a.pk: a for a in Agency.objects.only("pk", "uscc", "name", "contact_phone", "address", "region_id")}
    for agency in agencies.values():
        if phone := phone_key(agency.contact_phone):
            by_phone[phone].add(agency.pk)
        if address := address_key(agency.address):
            by_address[address].add(agency.pk)
    for phone, ids in by_phone.items():
        if len(ids) > 1:
            shared[frozenset(ids)]["phone_tail"] = phone[-4:]
    for _key, ids in by_address.items():
        if len(ids) > 1:
            shared[frozenset(ids)]["address"] = agencies[min(ids)].address
    found = []
    for group, what in shared.items():
        members = sorted((agencies[i] for i in group if i in agencies), key=lambda a: a.pk)
        found.append(
            Finding(
                kind=RiskFlag.Kind.SHARED_IDENTITY,
                key="shared_identity:agencies=" + "-".join(str(a.pk) for a in members),
                evidence={
                    "agencies": [_agency_ref(a) for a in members],
                    "phone_tail": what.get("phone_tail", ""),
                    "address": what.get("address", ""),
                },
                agencies=members,
            )
        )
    return found


# --- 6. buyers who fail, cancel and relaunch -----------------------------------------------------------------------


def relaunch_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Chains of relaunched projects that ended (流标 or 终止) again and again: the terms may be tailored."""
    now = now or timezone.now()
    projects = {
        p.pk: p
        for p in Project.objects.filter(Q(relaunch_of__isnull=False) | Q(relaunches__isnull=False))
        .select_related("buyer", "buyer__region", "category")
        .distinct()
    }
    chains: dict[int, list[Project]] = defaultdict(list)
    for project in projects.values():
        root = project
        while root.relaunch_of_id in projects:
            root = projects[root.relaunch_of_id]
        chains[root.pk].append(project)
    found = []
    for root_id, chain in chains.items():
        chain.sort(key=lambda p: (p.created_at, p.pk))
        ended = [
            p
            for p in chain
            if p.state in (Project.State.FAILED, Project.State.CANCELLED) and p.closed_at and p.closed_at >= _since(now)
        ]
        if len(ended) < RELAUNCH_MIN_ENDED:
            continue
        root = projects[root_id]
        found.append(
            Finding(
                kind=RiskFlag.Kind.RELAUNCHES,
                key=f"relaunches:root={root_id}",
                evidence={
                    "projects": [
                        {"code": p.code, "name": p.name, "state": p.state, "reason": p.cancel_reason[:200]}
                        for p in chain
                    ],
                    "threshold": RELAUNCH_MIN_ENDED,
                    "window_days": WINDOW_DAYS,
                },
                buyer=root.buyer,
                region=root.buyer.region,
                category=root.category,
            )
        )
    return found


# --- 7. late results and reworks concentrated per agency -----------------------------------------------------------


def delivery_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Agencies whose results came late or were returned for rework, on several engagements for several buyers."""
    now = now or timezone.now()
    engagements = {
        e.pk: e for e in Engagement.objects.filter(contracted_at__gte=_since(now)).select_related("agency", "project")
    }
    reworks: dict[int, int] = defaultdict(int)
    for object_id in TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Engagement),
        object_id__in=list(engagements),
        transition="return_for_rework",
        outcome=TransitionLog.Outcome.DONE,
    ).values_list("object_id", flat=True):
        reworks[object_id] += 1
    by_agency: dict[int, list[tuple[Engagement, int, bool]]] = defaultdict(list)
    for engagement in engagements.values():
        issues = reworks.get(engagement.pk, 0) + int(engagement.late_recorded)
        if issues:
            by_agency[engagement.agency_id].append(
                (engagement, reworks.get(engagement.pk, 0), engagement.late_recorded)
            )
    found = []
    for agency_id, rows in by_agency.items():
        issues = sum(n + int(late) for _e, n, late in rows)
        buyers = {e.project.buyer_id for e, _n, _late in rows}
        if issues < DELIVERY_MIN_ISSUES or len(rows) < DELIVERY_MIN_ENGAGEMENTS or len(buyers) < DELIVERY_MIN_BUYERS:
            continue
        agency = rows[0][0].agency
        rows.sort(key=lambda r: (r[0].contracted_at, r[0].pk))
        found.append(
            Finding(
                kind=RiskFlag.Kind.DELIVERY,
                key=f"delivery:agency={agency_id}",
                evidence={
                    "agency": _agency_ref(agency),
                    "projects": [
                        {"code": e.project.code, "name": e.project.name, "reworks": n, "late": late}
                        for e, n, late in rows
                    ],
                    "issues": issues,
                    "threshold": DELIVERY_MIN_ISSUES,
                    "window_days": WINDOW_DAYS,
                },
                agencies=[agency],
            )
        )
    return found


DETECTIONS = (shared_identity_findings, relaunch_findings, delivery_findings)
