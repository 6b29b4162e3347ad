"""The agency's credit report (信用报告): a PDF of its public credit profile with a verification URL and digest,
recorded when issued; the public verification page confirms the very PDF (or its printed digest) and shows what it
attested as of its date, and rejects a tampered copy. No natural person's data on either."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credit_rules.models import MeasureKind
from credit_rules.policy import policy_at
from credit_rules.standing import standing_compute
from opendata.exports.report_facts import canonical, sha256_hex
from opendata.models import CreditReport
from tests.factories import AgencyFactory, agency_user
from tests.factories.credit import apply_measure, record_event
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

SECRETS = ("联系人甄秘密", "13912345678", "法人邬隐私")


def _agency(**fields):
    return AgencyFactory(
        name="惠州信用报告评估有限公司",
        contact_name=SECRETS[0],
        contact_phone=SECRETS[1],
        legal_representative=SECRETS[2],
        **fields,
    )


def _issue(client, agency):
    client.force_login(agency_user(agency))
    response = client.post(reverse("agency-credit-report"))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def _verify(client, *, pdf: bytes | None = None, digest: str = "", report=None):
    url = reverse("credit-report-verify", args=[report.pk]) if report else reverse("credit-report-verify-any")
    data = {"digest": digest}
    if pdf is not None:
        data["file"] = SimpleUploadedFile("report.pdf", pdf, content_type="application/pdf")
    return client.post(url, data)


def test_the_report_states_the_profile_and_is_recorded_with_its_digests(client):
    # given an agency with a poor rating and a suspension in force
    agency = _agency()
    record_event(agency, "RATING_POOR")
    apply_measure(agency, MeasureKind.SUSPEND, months=1)
    standing = standing_compute(agency.credit, None)

    # when it downloads its credit report
    pdf = _issue(client, agency)

    # then the PDF is recorded by its SHA-256 with the canonical facts it states
    report = CreditReport.objects.get()
    assert pdf.startswith(b"%PDF") and report.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    facts = json.loads(report.facts)
    assert canonical(facts) == report.facts and sha256_hex(report.facts) == report.facts_sha256
    assert facts["report_id"] == str(report.pk) and report.agency_id == agency.pk
    assert facts["organisation"] == {"name": agency.name, "uscc": agency.uscc, "region": agency.region.name}
    assert facts["standing"] == {"grade": standing.grade, "score": standing.score}
    assert [m["kind"] for m in facts["measures"]] == ["suspend"]
    assert {r["code"] for r in facts["records"]} >= {"RATING_POOR"}
    assert facts["policy"]["version"] == policy_at().version.version
    # and the PDF prints the verification URL, the report id and the facts' digest
    verify_url = "http://testserver" + reverse("credit-report-verify", args=[report.pk])
    assert verify_url.encode() in pdf and report.facts_sha256.encode() in pdf and str(report.pk).encode() in pdf
    # and no natural person's data is in what it states
    for secret in SECRETS:
        assert secret not in report.facts


def test_the_credit_page_offers_the_report(client):
    agency = _agency()
    client.force_login(agency_user(agency))
    body = client.get(reverse("agency-credit")).content.decode()
    assert f'action="{reverse("agency-credit-report")}"' in body and "下载信用报告（PDF）" in body


def test_an_agency_without_a_public_profile_is_told_why_and_nothing_is_recorded(client):
    agency = _agency(identity="submitted")
    client.force_login(agency_user(agency))
    response = client.post(reverse("agency-credit-report"), follow=True)
    assert any("身份核验通过后才能生成信用报告" in m for m in messages_of(response))
    assert not CreditReport.objects.exists()


def test_only_an_agency_may_issue_and_only_by_post(client):
    assert client.post(reverse("agency-credit-report")).status_code == 302  # to the login page
    client.force_login(agency_user(_agency()))
    assert client.get(reverse("agency-credit-report")).status_code == 405


def test_the_verification_page_confirms_the_pdf_and_shows_what_it_attested(client):
    # given an issued report
    agency = _agency()
    pdf = _issue(client, agency)
    report = CreditReport.objects.get()
    client.logout()

    # when anyone uploads it on the report's verification page
    response = _verify(client, pdf=pdf, report=report)
    body = response.content.decode()

    # then it matches, byte for byte, and the facts are shown as of the moment it was generated
    assert response.context["check"].by_file is True
    assert "一致：这是本平台签发的信用报告" in body and "逐字节一致" in body
    assert agency.name in body and agency.uscc in body and report.facts_sha256 in body
    assert "以下为截至" in body
    for secret in SECRETS:
        assert secret not in body


def test_the_printed_digest_or_the_files_digest_pasted_is_confirmed_too(client):
    pdf = _issue(client, _agency())
    report = CreditReport.objects.get()
    by_facts = _verify(client, digest=report.facts_sha256.upper())
    by_file = _verify(client, digest=hashlib.sha256(pdf).hexdigest(), report=report)
    assert by_facts.context["check"].report == report and by_facts.context["check"].by_file is False
    assert by_file.context["check"].report == report and by_file.context["check"].by_file is True


def test_a_tampered_copy_or_another_reports_digest_is_rejected(client):
    # given two issued reports
    pdf = _issue(client, _agency())
    first = CreditReport.objects.get()
    _issue(client, AgencyFactory())
    second = CreditReport.objects.exclude(pk=first.pk).get()

    # when a copy with one byte changed is uploaded, or the second report's digest on the first's page
    tampered = pdf.replace(b"/Title", b"/Titlf", 1)
    assert tampered != pdf
    rejected = [
        _verify(client, pdf=tampered, report=first),
        _verify(client, pdf=tampered),
        _verify(client, digest=second.facts_sha256, report=first),
    ]

    # then each is said not to match, with no facts shown
    for response in rejected:
        body = response.content.decode()
        assert response.context["check"].report is None and response.context["facts"] is None
        assert "不一致：未找到与之相符的信用报告" in body and first.facts_sha256 not in body


def test_the_form_asks_for_one_of_the_two_and_limits_the_upload(client, settings):
    nothing = client.post(reverse("credit-report-verify-any"), {})
    assert "请上传信用报告 PDF，或输入报告上的摘要（二者选一）。" in nothing.content.decode()
    bad = _verify(client, digest="not a digest")
    assert "摘要应为 64 位十六进制字符。" in bad.content.decode()
    settings.MAX_UPLOAD_BYTES = 1024
    big = _verify(client, pdf=b"%PDF-1.4\n" + b"0" * 4096)
    assert "文件过大" in big.content.decode() and big.context["check"] is None


def test_an_unknown_report_id_is_not_found(client):
    assert client.get(reverse("credit-report-verify", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
