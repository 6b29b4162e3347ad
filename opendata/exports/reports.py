"""Issuing and verifying credit reports (信用报告).

``credit_report_issue`` states the facts of the agency's public profile now, renders the PDF and records the
report (its id, agency, time, the SHA-256 of the PDF bytes and the canonical JSON of the facts with its own
SHA-256) in one transaction: the PDF handed over is exactly the one whose digest is on record.
``report_match`` answers whether a file's or a pasted digest belongs to an issued report.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.selectors import agency_profile_for_public
from marketplace.errors import ApplicationError
from marketplace.models import Agency
from opendata.exports_models import CreditReport

from .report_facts import canonical, report_facts, sha256_hex
from .report_pdf import report_pdf

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class IssuedReport:
    report: CreditReport
    pdf: bytes


def credit_report_issue(
    agency: Agency, *, verify_url: Callable[[uuid.UUID], str], at: datetime.datetime | None = None
) -> IssuedReport:
    """A new report of ``agency`` as of ``at`` (now): its PDF and the row that lets anyone verify it.

    Refused for an agency without a public profile (identity not verified): the report states what the
    public profile shows.
    """
    at = at or timezone.now()
    profile = agency_profile_for_public(agency.uscc).first()
    if profile is None:
        raise ApplicationError(_("身份核验通过后才能生成信用报告：报告载明的是机构公开信用档案的内容。"))
    report_id = uuid.uuid4()
    facts = canonical(report_facts(profile, str(report_id), at))
    facts_digest = sha256_hex(facts)
    pdf = report_pdf(json.loads(facts), verify_url(report_id), facts_digest)
    with transaction.atomic():
        report = CreditReport.objects.create(
            id=report_id,
            agency=agency,
            generated_at=at,
            pdf_sha256=sha256_hex(pdf),
            facts_sha256=facts_digest,
            facts=facts,
        )
    return IssuedReport(report, pdf)


def digest_clean(text: str) -> str:
    """A pasted SHA-256 as stored: lower case, no spaces; ``""`` when it is not 64 hexadecimal digits."""
    value = re.sub(r"\s+", "", text or "").lower()
    return value if HEX64.match(value) else ""


@dataclass(frozen=True)
class ReportCheck:
    """The answer of the verification page: the report a digest belongs to (None: no issued report)."""

    digest: str
    report: CreditReport | None
    by_file: bool  # the digest is the file's: the PDF is byte for byte the one issued

    @property
    def facts(self) -> dict:
        return json.loads(self.report.facts) if self.report else {}


def report_match(digest: str, report_id: uuid.UUID | None = None) -> ReportCheck:
    """The issued report whose PDF or facts have ``digest`` (and, when given, whose id is ``report_id``)."""
    reports = CreditReport.objects.all() if report_id is None else CreditReport.objects.filter(pk=report_id)
    by_file = reports.filter(pdf_sha256=digest).first()
    if by_file is not None:
        return ReportCheck(digest, by_file, True)
    return ReportCheck(digest, reports.filter(facts_sha256=digest).first(), False)
