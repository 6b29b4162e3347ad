"""Read-only back-office views of workflow rows: states change only through services.

Bid secrecy holds here too: before a project's sign-up closes (and for good once it is cancelled before
its close) no admin list shows who signed up — not the sign-ups, not their transition log, not the
gate's decisions on them — and a project's draw secret is never shown.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from credit_rules.admin import DecisionRecordAdmin as CreditDecisionRecordAdmin
from credit_rules.models import DecisionRecord

from .models import (
    CreditCase,
    Engagement,
    IdentityVerification,
    Membership,
    NotificationDelivery,
    Objection,
    Project,
    RepairRequest,
    SignUp,
    TransitionLog,
)


def sealed_signups():
    """Sign-ups the close has not admitted or rejected, on a project still open or cancelled before its close."""
    return SignUp.objects.filter(
        project__state__in=(Project.State.OPEN, Project.State.CANCELLED),
        state__in=(SignUp.State.SUBMITTED, SignUp.State.WITHDRAWN),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["agency", "state", "submitted_at", "member_since", "term_until", "suspended_until"]
    list_filter = ["state"]
    list_select_related = ["agency"]
    search_fields = ["agency__name", "agency__uscc"]


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(ReadOnlyAdmin):
    # The method shows which agencies predate verification ("legacy", workflows migration 0010). The licence
    # scan is not shown here: it is served only by the operator's and the agency's access-checked views.
    list_display = ["agency", "method", "state", "submitted_at", "decided_at", "reviewer"]
    list_filter = ["method", "state"]
    list_select_related = ["agency", "reviewer"]
    search_fields = ["agency__name", "agency__uscc"]
    exclude = ["licence"]


@admin.register(CreditCase)
class CreditCaseAdmin(ReadOnlyAdmin):
    list_display = ["agency", "measure", "ground_code", "state", "proposed_at", "decided_at"]
    list_filter = ["state", "measure"]
    list_select_related = ["agency"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["agency", "entry", "state", "submitted_at", "due_on"]
    list_filter = ["state"]
    list_select_related = ["agency", "entry"]


@admin.register(RepairRequest)
class RepairRequestAdmin(ReadOnlyAdmin):
    list_display = ["agency", "entry", "state", "submitted_at"]
    list_filter = ["state"]
    list_select_related = ["agency", "entry"]


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "content_type", "object_id", "transition", "from_state", "to_state", "outcome", "actor"]
    list_filter = ["outcome", "transition", "content_type"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(
                content_type=ContentType.objects.get_for_model(SignUp),
                object_id__in=sealed_signups().values("pk"),
            )
        )


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "buyer", "method", "state", "signup_deadline"]
    list_filter = ["state", "method"]
    list_select_related = ["buyer"]
    search_fields = ["code", "name"]
    # The draw secret is never displayed: before the draw it would let anyone compute the ranking.
    # Sealed quotes live on SignUp and are never listed here.
    exclude = ["draw_secret"]


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ["project", "agency", "state", "submitted_at", "rank"]
    exclude = ["sealed_quote"]
    list_select_related = ["project", "agency"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(pk__in=sealed_signups().values("pk"))


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    list_display = ["project", "agency", "state", "amount", "contract_due", "service_end"]
    list_select_related = ["project", "agency"]


admin.site.unregister(DecisionRecord)


@admin.register(DecisionRecord)
class DecisionRecordAdmin(CreditDecisionRecordAdmin):
    """The credit app's decision list, without the gate's decisions on sign-ups still sealed."""

    def get_queryset(self, request):
        sealed_targets = sealed_signups().annotate(
            label=Concat(Value(f"{SignUp._meta.label_lower}:"), Cast("pk", CharField()), output_field=CharField())
        )
        return super().get_queryset(request).exclude(target__in=sealed_targets.values("label"))


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every notification sent on every channel, with how it went."""

    list_display = ["notification", "channel", "status", "detail", "at"]
    list_filter = ["channel", "status"]
    list_select_related = ["notification"]
