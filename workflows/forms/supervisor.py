"""Forms of the supervisor's pages: review, credit events, cases, decisions, external lists."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit_rules.external import ImportRejected, RowError, listing_rows
from credit_rules.models import MeasureKind
from credit_rules.policy import policy_at
from marketplace.forms import PlainForm, USCCField
from marketplace.models import Agency, SupervisorProfile
from marketplace.personal_data import validate_public_text
from marketplace.validators import validate_document_upload

from ..models import CreditCase
from ..selectors.supervisor import agency_in_scope_by_uscc
from ..services.credit.cases import case_hearing_pending

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EVENT_CODES = ("CREDIT_WARNING", "QUALITY_COMPLAINT", "HONOUR_TAX_A", "HONOUR_RED_LIST")
GRAVE_GROUNDS = ("FALSE_MATERIALS", "COLLUSION")
# External lists can be long (up to 200,000 rows); a CSV row is well under 200 bytes.
EXTERNAL_LIST_MAX_BYTES = 40 * 1024 * 1024

F = TypeVar("F", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's own copy of a declared field, as the kind it was declared."""
    field = form.fields[name]
    assert isinstance(field, kind), f"{name} is a {type(field).__name__}, not a {kind.__name__}"
    return field


def catalogue_label(code: str) -> str:
    """The catalogue name of a code in the policy in force, with its points."""
    entry = policy_at().entry(code)
    if entry.points:
        return str(_("%(name)s（%(points)+d 分）") % {"name": entry.label, "points": entry.points})
    return entry.label


class AgencyInScopeField(USCCField):
    """An agency picked by its USCC; it must lie in the supervisor's scope."""

    def __init__(self, *, profile: SupervisorProfile | None = None, **kwargs):
        self.profile = profile
        kwargs.setdefault("label", _("机构统一社会信用代码"))
        kwargs.setdefault("help_text", _("输入 18 位统一社会信用代码，或在上方按名称搜索后点击“选择”。"))
        super().__init__(**kwargs)

    def clean(self, value) -> Agency:
        uscc = super().clean(value)
        agency = agency_in_scope_by_uscc(self.profile, uscc)
        if agency is None:
            raise forms.ValidationError(
                _("未找到统一社会信用代码为 %(uscc)s 的机构，或该机构不在您的监管范围内。"),
                code="not_found",
                params={"uscc": uscc},
            )
        return agency


class ReviewForm(PlainForm):
    """A supervisor's decision on an entry application."""

    DECISIONS = [
        ("approve", _("准予入驻")),
        ("send_back", _("退回修改")),
        ("reject", _("不予入驻")),
    ]

    decision = forms.ChoiceField(label=_("审核结论"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回修改或不予入驻时必填，将告知申请机构。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") in ("send_back", "reject") and not (data.get("note") or "").strip():
            self.add_error("note", _("退回修改或不予入驻须填写理由。"))
        return data


class EventForm(PlainForm):
    """A credit event a supervisor records: a warning, a verified complaint or an honour."""

    agency = AgencyInScopeField()
    code = forms.ChoiceField(label=_("信用事项"), initial="CREDIT_WARNING")
    facts = forms.CharField(
        label=_("事实与依据"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写事实与依据。")},
        help_text=_("写明查实的失信（或守信）事实、时间和依据，供内部审查与异议处理使用。"),
    )
    evidence_summary = forms.CharField(
        label=_("证据摘要（公开）"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写证据摘要。")},
        help_text=_("将随公告公开发布：只写机构名称、事项和证据名称，不得包含自然人姓名、电话、身份证号等个人信息。"),
        validators=[validate_public_text],
    )
    evidence_file = forms.FileField(
        label=_("证据材料（可选）"),
        required=False,
        validators=[validate_document_upload],
        help_text=_("PDF、PNG 或 JPG，仅监管部门和该机构可查看。"),
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"invalid": _("表单已失效，请刷新页面后重新填写。")}
    )

    def __init__(self, *args, profile: SupervisorProfile, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "agency", AgencyInScopeField).profile = profile
        form_field(self, "code", forms.ChoiceField).choices = [(code, catalogue_label(code)) for code in EVENT_CODES]
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def clean(self):
        data = super().clean()
        if "token" in self._errors:
            # A hidden field's error would not show next to any input: say it at the top instead.
            del self._errors["token"]
            raise forms.ValidationError(_("表单已失效，请刷新页面后重新填写。"), code="stale")
        return data


class WarningWithdrawForm(PlainForm):
    """Why the issuing supervisor withdraws a warning (kept with the compensating entry)."""

    reason = forms.CharField(
        label=_("撤回理由"),
        max_length=1000,
        validators=[validate_public_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明警告为何有误（如对象错误、事实有误）；撤回后该记录不再计分，警告公告撤回。"),
    )


class CaseForm(PlainForm):
    """A proposed discretionary measure, or a grave finding, against an agency (立案)."""

    MEASURES = [
        ("", _("（不采取单独措施）")),
        (MeasureKind.RESTRICT, _("限制交易")),
        (MeasureKind.SUSPEND, _("暂停交易资格（1–3 个月）")),
        (MeasureKind.EXPEL, _("清退并列入黑名单")),
    ]

    agency = AgencyInScopeField()
    measure = forms.ChoiceField(label=_("拟采取措施"), choices=MEASURES, required=False)
    months = forms.TypedChoiceField(
        label=_("暂停期限"),
        choices=[("", "—"), (1, _("1 个月")), (2, _("2 个月")), (3, _("3 个月"))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("仅暂停交易资格时填写。"),
    )
    ground_code = forms.ChoiceField(label=_("严重失信事项"), required=False)
    facts = forms.CharField(
        label=_("事实与依据"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("请填写事实与依据。")},
    )
    evidence = forms.FileField(label=_("证据材料（可选）"), required=False, validators=[validate_document_upload])

    def __init__(self, *args, profile: SupervisorProfile, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "agency", AgencyInScopeField).profile = profile
        form_field(self, "ground_code", forms.ChoiceField).choices = [("", _("（无）"))] + [
            (code, catalogue_label(code)) for code in GRAVE_GROUNDS
        ]
        self.fields["ground_code"].help_text = _("经查实提供虚假材料或串通的，按规定直接清退，无需另选措施。")

    def clean(self):
        data = super().clean()
        measure, ground, months = data.get("measure"), data.get("ground_code"), data.get("months")
        if not measure and not ground:
            raise forms.ValidationError(_("请选择拟采取的措施或严重失信事项。"), code="nothing")
        if measure and ground:
            self.add_error("measure", _("严重失信事项按规定直接清退，不能同时另选措施。"))
        if measure == MeasureKind.SUSPEND and not months:
            self.add_error("months", _("暂停交易资格须选择 1–3 个月的期限。"))
        if measure != MeasureKind.SUSPEND:
            data["months"] = None
        return data


class NoteDecisionForm(PlainForm):
    """A decision with a reason (objections, repairs, cases): the chosen action and a required note."""

    action = forms.ChoiceField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("处理意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写处理意见（理由）。")},
    )

    def __init__(self, *args, actions: list[tuple[str, StrOrPromise]], **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "action", forms.ChoiceField).choices = actions


class CaseDecisionForm(NoteDecisionForm):
    """Apply or dismiss a case; applying waits for the agency's response or the end of its period."""

    def __init__(self, *args, case: CreditCase, **kwargs):
        super().__init__(*args, actions=[("apply", _("实施措施")), ("dismiss", _("不予处理"))], **kwargs)
        self.case = case

    def clean(self):
        data = super().clean()
        if data.get("action") == "apply":
            pending = case_hearing_pending(self.case, timezone.now())
            if pending:
                raise forms.ValidationError(pending, code="too_early")
        return data


class ExternalListForm(PlainForm):
    """An external dishonesty list file (失信名单) to import.

    ``agencies`` is the importer's authority: None for the platform credit office (every organisation,
    on the platform or not), else the agencies a supervisor's scope covers. A scoped import is all or
    nothing like any other: a row naming an organisation outside the scope — another region's or
    category's member, or one not registered on the platform — refuses the whole file, each such row
    named (``scope_check``). Importing the rest and acting only on members in scope would not be
    scoped: a listing is platform-wide data the gate reads for every later step of that organisation
    (entry, sign-up), wherever it is, so it would still act outside the scope, with no hearing.
    """

    def __init__(self, *args, agencies: QuerySet[Agency] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = agencies

    file = forms.FileField(
        label=_("名单文件"),
        help_text=_(
            "CSV（UTF-8，首行为列名）或 JSON 对象数组；列：uscc, name, reason, source, listed_on, delisted_on（日期格式 YYYY-MM-DD，delisted_on 可为空）。"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not (name.endswith(".csv") or name.endswith(".json")):
            raise forms.ValidationError(_("只接受 .csv 或 .json 文件。"), code="bad_type")
        if upload.size > EXTERNAL_LIST_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大：上限为 %(limit)s MB，请分批导入。"),
                code="too_large",
                params={"limit": EXTERNAL_LIST_MAX_BYTES // (1024 * 1024)},
            )
        return upload

    def scope_check(self, content: bytes, filename: str | None = None) -> None:
        """Refuse the file (``ImportRejected``, each row named) if a row lies outside the importer's authority.

        A file with bad rows is refused here with the same errors the import itself would give.
        """
        rows = listing_rows(content, filename or self.cleaned_data["file"].name or "")
        if self.agencies is None:
            return
        usccs = sorted({row["uscc"] for _line, row in rows})
        covered: set[str] = set()
        registered: dict[str, str] = {}
        for start in range(0, len(usccs), 5000):  # a list may hold 200,000 rows: stay under SQL variable limits
            part = usccs[start : start + 5000]
            covered.update(self.agencies.filter(uscc__in=part).values_list("uscc", flat=True))
            registered.update(Agency.objects.filter(uscc__in=part).values_list("uscc", "name"))
        errors = []
        for line, row in rows:
            if row["uscc"] in covered:
                continue
            if row["uscc"] in registered:
                message = _("「%(name)s」不在您的监管范围内；超出范围的名单须由平台信用管理部门导入。") % {
                    "name": registered[row["uscc"]]
                }
            else:
                message = _("%(uscc)s 不是本平台登记的中介机构；平台外机构的名单须由平台信用管理部门导入。") % {
                    "uscc": row["uscc"]
                }
            errors.append(RowError(line, "uscc", str(message)))
        if errors:
            raise ImportRejected(errors)
