"""Back office for credit: the platform credit office edits the policy as versioned drafts and publishes them —
its thresholds, class periods, catalogue and each code's local basis (the deployment's own measures).

Only the platform credit office (group ``credit_office``, 平台信用管理) writes here: policy drafts,
their publication, and new commitment letter versions. The role is checked as well as Django's model
permissions (which the ``credit_office`` group holds, marketplace migration 0004), so a permission
granted to another group by hand does not make it a policy author; a superuser reads but does not
write unless it is also in the group. Plain supervisors have no Django admin at all: their pages are
/supervisor/, filtered to their scope.

Ledger, decisions and listings are read-only here: the ledger is append-only and corrections go
through the services (objection, repair), never through an admin form. A commitment letter in force
is read-only too (the model refuses to change it): a new wording is a new version.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.authority import is_credit_office
from marketplace.forms import PlainModelForm

from .models import (
    CatalogueEntry,
    CommitmentLetter,
    CreditSubject,
    DecisionRecord,
    ExternalListImport,
    ExternalListing,
    LedgerEntry,
    LocalBasis,
    MeasureKind,
    PolicyVersion,
)
from .policy import policy_draft_from, policy_publish
from .rules import REGISTRY


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that are written by services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CreditOfficeWrites:
    """Adding, changing and deleting need the platform credit office role as well as the model permission."""

    def has_add_permission(self, request, *args):
        return is_credit_office(request.user) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request, obj=None):
        return is_credit_office(request.user) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request, obj=None):
        return is_credit_office(request.user) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class CatalogueInline(CreditOfficeWrites, admin.TabularInline):
    model = CatalogueEntry
    extra = 0
    fields = [
        "code",
        "name",
        "name_en",
        "points",
        "severity",
        "is_warning",
        "is_quality_complaint",
        "expels",
        "rewards",
        "repairable",
        "public",
        "basis",
    ]

    def has_change_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)


def local_basis_codes() -> list[tuple[Any, Any]]:
    """The codes a local basis may be entered for: every rule, catalogue code and measure."""
    rules = [(code, f"{code} {rule.title}") for code, rule in sorted(REGISTRY.items())]
    events = sorted(set(CatalogueEntry.objects.values_list("code", flat=True)))
    measures = [(f"MEASURE_{kind.upper()}", f"MEASURE_{kind.upper()} {label}") for kind, label in MeasureKind.choices]
    return [(_("规则"), rules), (_("信用事项"), [(c, c) for c in events]), (_("信用措施"), measures)]


class LocalBasisForm(PlainModelForm):
    code = forms.ChoiceField(label=_("规则或事项代码"))

    class Meta:
        model = LocalBasis
        fields = ["code", "text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = local_basis_codes()


class LocalBasisInline(CatalogueInline):
    """The deployment's own basis per code, shown after the national basis; frozen once published."""

    model = LocalBasis  # type: ignore[assignment]
    form = LocalBasisForm
    fields = ["code", "text"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(CreditOfficeWrites, admin.ModelAdmin):
    """Drafts are editable; a published version is frozen and a new draft copies it (credit office only)."""

    list_display = ["version", "effective_from", "published_at", "is_demonstration", "note", "created_by"]
    inlines = [CatalogueInline, LocalBasisInline]
    actions = ["publish", "new_draft"]
    readonly_fields = ["published_at", "created_by", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "version",
                    "effective_from",
                    "note",
                    "is_demonstration",
                    "published_at",
                    "created_by",
                    "created_at",
                ]
            },
        ),
        (
            _("计分与等级"),
            {"fields": ["base_score", "grade_a_min", "grade_b_min", "grade_c_min", "event_window_months"]},
        ),
        (
            _("升级与措施"),
            {
                "fields": [
                    "entry_lookback_months",
                    "warnings_to_suspend",
                    "warnings_window_months",
                    "suspend_months_first",
                    "suspend_months_repeat",
                    "complaints_to_expel",
                    "complaints_window_months",
                    "reentry_bar_months",
                    "restrict_on_grade_d",
                    "green_channel_months",
                    "reward_months",
                ]
            },
        ),
        (
            _("程序"),
            {
                "fields": [
                    "case_response_days",
                    "immediate_measures",
                    "objection_window_days",
                    "warning_withdraw_working_days",
                    "objection_decide_working_days",
                    "moderate_measure_notices",
                    "rating_excellent_min",
                    "rating_poor_max",
                ]
            },
        ),
        (
            _("质疑与投诉"),
            {
                "fields": [
                    "challenge_answer_working_days",
                    "challenge_holds_award",
                    "complaint_window_working_days",
                    "complaint_decide_working_days",
                ]
            },
        ),
        (
            _("失信信息类别的公示与修复期限（《信用修复管理办法》）"),
            {
                "fields": [
                    "slight_published",
                    "slight_publish_max_months",
                    "slight_repair_months",
                    "general_publish_min_months",
                    "general_publish_max_months",
                    "general_repair_months",
                    "serious_publish_min_months",
                    "serious_publish_max_months",
                    "serious_repair_months",
                ]
            },
        ),
        (
            _("政务诚信与入驻有效期"),
            {
                "fields": [
                    "buyer_failures_to_warn",
                    "buyer_failures_window_months",
                    "buyer_acceptance_days",
                    "buyer_contract_grace_days",
                    "term_notice_days",
                    "zombie_months",
                    "zombie_prompt_days",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return [f.name for f in PolicyVersion._meta.concrete_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)

    @admin.action(description=_("发布所选草稿（自其生效时间起适用）"), permissions=["change"])
    def publish(self, request, queryset):
        for version in queryset.filter(published_at__isnull=True):
            policy_publish(version=version)
            self.message_user(request, _("政策 v%(v)s 已发布。") % {"v": version.version}, messages.SUCCESS)

    @admin.action(description=_("以所选版本为基础新建草稿"), permissions=["add"])
    def new_draft(self, request, queryset):
        for version in queryset:
            draft = policy_draft_from(base=version, note=f"基于 v{version.version}", user=request.user)
            self.message_user(request, _("已新建草稿 v%(v)s。") % {"v": draft.version}, messages.SUCCESS)


@admin.register(CommitmentLetter)
class CommitmentLetterAdmin(CreditOfficeWrites, admin.ModelAdmin):
    """A letter in force (or signed by anyone) is read-only; a new wording is a new version, from a later date."""

    list_display = ["version", "title", "effective_from", "in_force", "digest"]
    fields = ["version", "title", "body", "effective_from", "digest"]
    readonly_fields = ["version", "digest"]

    @admin.display(boolean=True, description=_("已生效"))
    def in_force(self, obj: CommitmentLetter) -> bool:
        return obj.effective_from <= timezone.now()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen():
            return self.fields
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen()) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen()) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = (CommitmentLetter.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        super().save_model(request, obj, form, change)


@admin.register(CreditSubject)
class CreditSubjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "kind", "score", "grade", "is_restricted", "is_suspended", "is_expelled"]
    list_filter = ["kind", "grade", "is_suspended", "is_expelled", "is_restricted", "is_rewarded"]
    search_fields = ["name", "uscc"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["subject", "seq", "kind", "code", "points", "measure", "effective_at", "expires_at", "rule_code"]
    list_select_related = ["subject"]
    list_filter = ["kind", "measure", "source"]
    search_fields = ["subject__name", "subject__uscc", "code"]


@admin.register(DecisionRecord)
class DecisionRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "transition", "target", "allowed", "subject", "actor"]
    list_select_related = ["subject", "actor"]
    list_filter = ["allowed", "transition"]


@admin.register(ExternalListImport)
class ExternalListImportAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "filename", "rows", "imported_by"]


@admin.register(ExternalListing)
class ExternalListingAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "source", "listed_on", "delisted_on"]
    search_fields = ["name", "uscc"]
