"""The credit report's pages: the agency downloads its report (from 我的信用), anyone verifies one.

The verification page takes the PDF (its SHA-256 is computed here and looked up) or a pasted digest (the
file's, or the report content's printed on the PDF) and says whether it matches an issued report; on a match
it shows the facts the report attested, as of the moment it was generated. Only organisation data is shown.
"""

from __future__ import annotations

import hashlib
import uuid

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from credit_rules.models import MeasureKind
from credit_rules.selectors import EntryStatus
from marketplace.forms import PlainForm
from marketplace.models import Agency
from marketplace.validators import validate_document_upload
from opendata.exports_models import CreditReport
from workflows.views.common import agency_required, refusal_redirect

from .reports import credit_report_issue, digest_clean, report_match


@require_POST
@agency_required
@refusal_redirect(lambda agency: redirect("agency-credit"))
def report_issue(request: HttpRequest, agency: Agency) -> HttpResponse:
    """生成信用报告: a new signed report of the agency's public credit profile, downloaded as a PDF."""

    def verify_url(report_id: uuid.UUID) -> str:
        return request.build_absolute_uri(reverse("credit-report-verify", args=[report_id]))

    issued = credit_report_issue(agency, verify_url=verify_url)
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    filename = f"credit-report-{agency.uscc}-{issued.report.generated_at:%Y%m%d%H%M%S}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportVerifyForm(PlainForm):
    """The PDF to check, or a digest pasted from it (one of the two)."""

    file = forms.FileField(
        label=gettext_lazy("信用报告 PDF 文件"),
        required=False,
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
        help_text=gettext_lazy("上传机构提供的信用报告 PDF，平台计算其 SHA-256 并与签发记录核对。"),
    )
    digest = forms.CharField(
        label=gettext_lazy("或输入摘要"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("报告上印制的“报告内容 SHA-256”，或 PDF 文件的 SHA-256（64 位十六进制字符）。"),
    )

    def clean_digest(self) -> str:
        text = self.cleaned_data.get("digest") or ""
        value = digest_clean(text)
        if text.strip() and not value:
            raise forms.ValidationError(_("摘要应为 64 位十六进制字符。"))
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        upload, digest = data.get("file"), data.get("digest")
        if bool(upload) == bool(digest):
            raise forms.ValidationError(_("请上传信用报告 PDF，或输入报告上的摘要（二者选一）。"))
        if upload:
            sha = hashlib.sha256()
            for chunk in upload.chunks():
                sha.update(chunk)
            data["digest"] = sha.hexdigest()
        return data


def _facts_view(facts: dict) -> dict:
    """The stored facts with their codes put in the reader's language, for the page."""
    measures = [{**m, "label": _label(MeasureKind, m["kind"])} for m in facts.get("measures", [])]
    records = [
        {**r, "status_label": _label(EntryStatus, r["status"]), "measure_label": _label(MeasureKind, r["measure"])}
        for r in facts.get("records", [])
    ]
    return {**facts, "measures": measures, "records": records, "generated": parse_datetime(facts["generated_at"])}


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


@require_http_methods(["GET", "POST"])
def report_verify(request: HttpRequest, report_id: uuid.UUID | None = None) -> HttpResponse:
    """验证信用报告: upload the PDF or paste its digest; the answer, and on a match the facts it attested."""
    report = get_object_or_404(CreditReport.objects.only("id", "generated_at"), pk=report_id) if report_id else None
    bound = request.method == "POST"
    form = ReportVerifyForm(request.POST if bound else None, request.FILES if bound else None)
    check = None
    if bound and form.is_valid():
        check = report_match(form.cleaned_data["digest"], report_id)
    context = {
        "form": form,
        "report": report,
        "check": check,
        "facts": _facts_view(check.facts) if check and check.report else None,
        "action": request.path,
    }
    return render(request, "opendata/public_report_verify.html", context)
