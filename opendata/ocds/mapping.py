"""How the marketplace's words map to OCDS 1.1: ocids, dates, values, methods, parties (docs/ocds.md).

Only organisations appear: a party is a buyer unit or an agency, identified by its USCC under the org-id
scheme ``CN-USCI``; no contact point, no legal representative, no person's name or phone is ever written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from workflows.models import Project

OCDS_VERSION = "1.1"
CURRENCY = "CNY"
# The org-id.guide register's code for the Unified Social Credit Identifier (统一社会信用代码, GB 32100-2015).
ORG_SCHEME = "CN-USCI"
# The placeholder shipped in settings: a deployment registers its own prefix with the Open Contracting Partnership.
PLACEHOLDER_PREFIX = "ocds-xxxxxx"
# Our own classification scheme for the service categories (服务事项): itemClassificationScheme is an open codelist.
CATEGORY_SCHEME = "ZJCS-SERVICE"

# Selection method -> (procurementMethod from the closed OCDS codelist, procurementMethodDetails, awardCriteria,
# awardCriteriaDetails). Why each: docs/ocds.md, "Selection methods".
METHODS: dict[str, tuple[str, str, str | None, str]] = {
    Project.Method.DRAW: ("open", "随机抽取 (Random draw)", None, "随机抽取 (Random draw among eligible sign-ups)"),
    Project.Method.PRICE: ("open", "竞价选取 (Price competition)", "priceOnly", "竞价选取 (Lowest price)"),
    Project.Method.SCORED: ("open", "比选 (Scored comparison)", "ratedCriteria", "比选 (Price, credit and proposal)"),
    Project.Method.DIRECT: ("direct", "直接选取 (Direct selection)", "singleBidOnly", "直接选取 (Direct selection)"),
}


def ocid_prefix() -> str:
    return settings.ZJCS_OCID_PREFIX


def ocid_for(code: str) -> str:
    return f"{ocid_prefix()}-{code}"


def code_from_ocid(ocid: str) -> str | None:
    """The project code an ocid names, or None when it does not carry this deployment's prefix."""
    prefix = f"{ocid_prefix()}-"
    return ocid[len(prefix) :] if ocid.startswith(prefix) and len(ocid) > len(prefix) else None


def when(at: datetime.datetime | None) -> str | None:
    """An OCDS date-time: UTC, to the second, with its zone."""
    if at is None:
        return None
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value(amount: Decimal | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    number = int(amount) if amount == amount.to_integral_value() else float(amount)
    return {"amount": number, "currency": CURRENCY}


def absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def party_id(org) -> str:
    return f"{ORG_SCHEME}-{org.uscc}"


def party(org, roles: list[str]) -> dict[str, Any]:
    """An organisation (a buyer unit or an agency): its name, USCC and region; nothing about any person."""
    found: dict[str, Any] = {
        "id": party_id(org),
        "name": org.name,
        "identifier": {"scheme": ORG_SCHEME, "id": org.uscc, "legalName": org.name},
        "address": {"region": org.region.name, "countryName": "中国"},
        "roles": roles,
    }
    if org.address:
        found["address"]["streetAddress"] = org.address
    return found


def org_ref(org) -> dict[str, str]:
    return {"id": party_id(org), "name": org.name}


def method(project: Project) -> dict[str, Any]:
    """The tender's method fields for a project's selection method."""
    standard, details, criteria, criteria_details = METHODS[project.method]
    found: dict[str, Any] = {
        "procurementMethod": standard,
        "procurementMethodDetails": details,
        "awardCriteriaDetails": criteria_details,
    }
    if criteria:
        found["awardCriteria"] = criteria
    if project.method == Project.Method.DIRECT and project.direct_reason:
        found["procurementMethodRationale"] = project.direct_reason
    return found


def draw_documents(project: Project) -> list[dict[str, Any]]:
    """The draw proof (docs/draw.md) as award documents: the machine-readable proof and its public page."""
    if project.method != Project.Method.DRAW or not project.draw_proof:
        return []
    return [
        {
            "id": f"{project.code}-draw-proof",
            "documentType": "evaluationReports",
            "title": "随机抽取证明 (Draw proof)",
            "description": "可复算的随机抽取证明 (A proof anyone can recompute: docs/draw.md)",
            "url": absolute(reverse("draw-proof-json", kwargs={"code": project.code})),
            "format": "application/json",
            "language": "zh",
        },
        {
            "id": f"{project.code}-draw-proof-page",
            "documentType": "evaluationReports",
            "title": "随机抽取证明页面 (Draw proof page)",
            "url": absolute(reverse("draw-proof", kwargs={"code": project.code})),
            "format": "text/html",
            "language": "zh",
        },
    ]


def publisher() -> dict[str, str]:
    return {"name": settings.WAGTAIL_SITE_NAME}
