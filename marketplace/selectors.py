"""Reads of the marketplace's static data, shaped for the pages that use them."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import Agency, AgencyStaff, BuyerStaff, BuyerUnit, Qualification, ServiceCategory, SupervisorProfile


def agency_for_user(user) -> Agency | None:
    """The agency an account works for, or None."""
    if not user.is_authenticated:
        return None
    link = AgencyStaff.objects.select_related("agency").filter(user=user).first()
    return link.agency if link else None


def buyer_unit_for_user(user) -> BuyerUnit | None:
    """The buyer unit an account works for, or None."""
    if not user.is_authenticated:
        return None
    link = BuyerStaff.objects.select_related("unit").filter(user=user).first()
    return link.unit if link else None


def agencies_for_user(user, perm: str = "marketplace.act_for_agency") -> QuerySet[Agency]:
    """Agencies the user may act for, filtered in SQL by guardian."""
    return get_objects_for_user(user, perm, klass=Agency.objects.all(), accept_global_perms=False)


def buyer_units_for_user(user, perm: str = "marketplace.act_for_buyerunit") -> QuerySet[BuyerUnit]:
    """Buyer units the user may act for, filtered in SQL by guardian."""
    return get_objects_for_user(user, perm, klass=BuyerUnit.objects.all(), accept_global_perms=False)


def supervisor_scope_q(profile: SupervisorProfile | None, prefix: str = "") -> Q:
    """A filter on agencies (reached through ``prefix``) that lie in a supervisor's scope.

    Region and category scopes are both required; an empty scope sees nothing.
    """
    if profile is None:
        return Q(pk__in=[])
    q = Q()
    if not profile.all_regions:
        q &= Q(**{f"{prefix}region__in": profile.regions.all()})
    if not profile.all_categories:
        agency_ref = OuterRef(f"{prefix}pk" if prefix else "pk")
        in_scope = Agency.categories.through.objects.filter(
            agency_id=agency_ref, servicecategory__in=profile.categories.all()
        )
        q &= Q(Exists(in_scope))
    return q


def supervisor_covers(profile: SupervisorProfile | None, agency: Agency) -> bool:
    """Whether one agency lies in a supervisor's scope."""
    return Agency.objects.filter(pk=agency.pk).filter(supervisor_scope_q(profile)).exists()


def category_tree() -> list[ServiceCategory]:
    """Top-level categories with their children prefetched, for pickers and the directory."""
    return list(ServiceCategory.objects.filter(parent=None).prefetch_related("children"))


def qualifications_valid_on(day: datetime.date) -> QuerySet[Qualification]:
    """Qualifications still in force on a day; expired ones drop out with no human step."""
    return Qualification.objects.filter(valid_until__gte=day)
