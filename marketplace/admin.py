from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import (
    Agency,
    AgencyStaff,
    BuyerStaff,
    BuyerUnit,
    Qualification,
    QualificationLevel,
    QualificationType,
    Region,
    ServiceCategory,
    SupervisorProfile,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent"]
    search_fields = ["code", "name"]


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "sort_order"]
    list_filter = ["parent"]
    search_fields = ["code", "name", "name_en"]


class QualificationLevelInline(admin.TabularInline):
    model = QualificationLevel
    extra = 0


@admin.register(QualificationType)
class QualificationTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "issuing_body"]
    filter_horizontal = ["categories"]
    inlines = [QualificationLevelInline]


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    autocomplete_fields = []


class AgencyStaffInline(admin.TabularInline):
    model = AgencyStaff
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(GuardedModelAdmin):
    list_display = ["name", "uscc", "region", "identity_verified_at"]
    list_select_related = ["region"]
    search_fields = ["name", "uscc"]
    list_filter = ["region"]
    filter_horizontal = ["categories"]
    inlines = [QualificationInline, AgencyStaffInline]

    def get_readonly_fields(self, request, obj=None):
        # A USCC never changes once recorded (Organisation.save refuses it too); the verification is the
        # identity verification's to set (workflows), never the admin's.
        return ["uscc", "identity_verified_at"] if obj is not None else ["identity_verified_at"]


class BuyerStaffInline(admin.TabularInline):
    model = BuyerStaff
    extra = 0
    raw_id_fields = ["user"]


@admin.register(BuyerUnit)
class BuyerUnitAdmin(GuardedModelAdmin):
    list_display = ["name", "uscc", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "uscc"]
    inlines = [BuyerStaffInline]

    def get_readonly_fields(self, request, obj=None):
        return ["uscc"] if obj is not None else []


@admin.register(SupervisorProfile)
class SupervisorProfileAdmin(admin.ModelAdmin):
    list_display = ["authority", "user", "all_regions", "all_categories"]
    filter_horizontal = ["regions", "categories"]
    raw_id_fields = ["user"]
