"""Read-only back-office views of workflow rows: states change only through services."""

from django.contrib import admin

from .models import (
    CreditCase,
    Engagement,
    Membership,
    NotificationDelivery,
    Objection,
    Project,
    RepairRequest,
    SignUp,
    TransitionLog,
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


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "buyer", "method", "state", "signup_deadline"]
    list_filter = ["state", "method"]
    list_select_related = ["buyer"]
    search_fields = ["code", "name"]
    # Sealed quotes live on SignUp and are never listed here.


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ["project", "agency", "state", "submitted_at", "rank"]
    exclude = ["sealed_quote"]
    list_select_related = ["project", "agency"]


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    list_display = ["project", "agency", "state", "amount", "contract_due", "service_end"]
    list_select_related = ["project", "agency"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every notification sent on every channel, with how it went."""

    list_display = ["notification", "channel", "status", "detail", "at"]
    list_filter = ["channel", "status"]
    list_select_related = ["notification"]
