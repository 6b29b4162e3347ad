"""Reads of the marketplace's static data, shaped for the pages that use them."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import Agency, BuyerUnit, Qualification, ServiceCategory, SupervisorProfile
from .roles import Role, has_role


def agencies_for_user(user, perm: str = "marketplace.act_for_agency") -> QuerySet[Agency]:
    """Agencies the user may act for, filtered in SQL by guardian."""
    return get_objects_for_user(user, perm, klass=Agency.objects.all(), accept_global_perms=False)


def buyer_units_for_user(user, perm: str = "marketplace.act_for_buyerunit") -> QuerySet[BuyerUnit]:
    """Buyer units the user may act for, filtered in SQL by guardian."""
    return get_objects_for_user(user, perm, klass=BuyerUnit.objects.all(), accept_global_perms=False)


# Who a signed-in account acts for. Every view, role decorator and permission check asks these, so
# the pages, the services and the transitions never disagree about it: the guardian object permission
# granted when staff are attached (``services.agency_staff_add`` / ``buyer_staff_add``) is the one source.
#
# The answer found is kept on the user object (like ``roles.roles_of``): a request's ``request.user`` is
# loaded afresh for each request, so the role decorator, the header and the page ask the database once per
# request. "None" is never kept: an account being attached finds its organisation at once (an account is
# staff of one organisation at most, so one found does not change).

_ACTED_FOR = "_zjcs_acted_for"


def _acted_for(user, key: str, find):
    kept = getattr(user, _ACTED_FOR, None)
    if kept is not None and key in kept:
        return kept[key]
    found = find()
    if found is not None:
        if kept is None:
            kept = {}
            setattr(user, _ACTED_FOR, kept)
        kept[key] = found
    return found


def agency_acted_for(user) -> Agency | None:
    """The agency this account acts for (the first by id if it may act for several), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _acted_for(user, "agency", lambda: agencies_for_user(user).order_by("pk").first())


def buyer_unit_acted_for(user) -> BuyerUnit | None:
    """The buyer unit this account acts for (the first by id if it may act for several), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _acted_for(user, "buyer_unit", lambda: buyer_units_for_user(user).order_by("pk").first())


def supervisor_profile_of(user) -> SupervisorProfile | None:
    """The supervisor profile of an account in the supervisor role, or None."""
    if not getattr(user, "is_authenticated", False) or not has_role(user, Role.SUPERVISOR):
        return None
    return _acted_for(user, "supervisor", lambda: SupervisorProfile.objects.filter(user=user).first())


def acts_for_agency(user, agency: Agency) -> bool:
    """Whether the account may act for this agency (guardian object permission)."""
    return user is not None and user.has_perm("marketplace.act_for_agency", agency)


def acts_for_buyer_unit(user, unit: BuyerUnit) -> bool:
    """Whether the account may act for this buyer unit (guardian object permission)."""
    return user is not None and user.has_perm("marketplace.act_for_buyerunit", unit)


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
