"""Writes to the marketplace's static data: organisations, staff accounts, supervisors."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from .errors import ApplicationError, Conflict
from .models import Agency, AgencyStaff, BuyerStaff, BuyerUnit, Region, ServiceCategory, SupervisorProfile
from .roles import Role

User = get_user_model()


def user_create(
    *, username: str, password: str, role: Role | str, full_name: str = "", email: str = ""
) -> AbstractBaseUser:
    """Create a login in one role group."""
    user = User.objects.create_user(username=username, password=password, email=email, first_name=full_name)
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)
    return user


@transaction.atomic
def buyer_staff_add(*, unit: BuyerUnit, user, is_admin: bool = False, position: str = "") -> BuyerStaff:
    """Attach an account to a buyer unit and grant it the unit's object permissions."""
    link = BuyerStaff.objects.create(unit=unit, user=user, is_admin=is_admin, position=position)
    assign_perm("marketplace.act_for_buyerunit", user, unit)
    if is_admin:
        assign_perm("marketplace.administer_buyerunit", user, unit)
    return link


@transaction.atomic
def agency_staff_add(*, agency: Agency, user, is_admin: bool = False, position: str = "") -> AgencyStaff:
    """Attach an account to an agency and grant it the agency's object permissions."""
    link = AgencyStaff.objects.create(agency=agency, user=user, is_admin=is_admin, position=position)
    assign_perm("marketplace.act_for_agency", user, agency)
    if is_admin:
        assign_perm("marketplace.administer_agency", user, agency)
    return link


@transaction.atomic
def agency_register(
    *,
    uscc: str,
    name: str,
    region: Region,
    username: str,
    password: str,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    legal_representative: str = "",
    categories: Iterable[ServiceCategory] = (),
) -> Agency:
    """Create an agency with its first administrator account (before it applies to enter).

    Two submissions racing past the form's uniqueness check meet at the unique constraints: the
    second writes nothing and is refused as a ``Conflict``.
    """
    try:
        with transaction.atomic():
            return _agency_register(
                uscc=uscc,
                name=name,
                region=region,
                username=username,
                password=password,
                contact_name=contact_name,
                contact_phone=contact_phone,
                address=address,
                legal_representative=legal_representative,
                categories=categories,
            )
    except IntegrityError:
        raise Conflict(_("该机构或用户名刚刚已被注册，请勿重复提交。")) from None


def _agency_register(
    *,
    uscc: str,
    name: str,
    region: Region,
    username: str,
    password: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    legal_representative: str,
    categories: Iterable[ServiceCategory],
) -> Agency:
    agency = Agency(
        uscc=uscc,
        name=name,
        region=region,
        contact_name=contact_name,
        contact_phone=contact_phone,
        address=address,
        legal_representative=legal_representative,
    )
    try:
        agency.full_clean()
    except ValidationError as exc:
        raise ApplicationError.from_validation(exc) from None
    agency.save()
    agency.categories.set(categories)
    user = user_create(username=username, password=password, role=Role.AGENCY, full_name=contact_name)
    agency_staff_add(agency=agency, user=user, is_admin=True)
    return agency


def agency_identity_verified_mark(*, agency: Agency, at) -> None:
    """Record that the agency proved control of its USCC (called by the identity verification's verifying
    transition only, in workflows): from now on it is on the public credit pages and may enter the market."""
    fresh = Agency.objects.select_for_update().get(pk=agency.pk)
    if fresh.identity_verified_at is None:
        fresh.identity_verified_at = at
        # A save, not an update: the cached public lists drop on the agency's post_save (credit_rules.signals).
        fresh.save(update_fields=["identity_verified_at"])
    agency.identity_verified_at = fresh.identity_verified_at


@transaction.atomic
def supervisor_create(
    *,
    user,
    authority: str,
    regions: Iterable[Region] = (),
    categories: Iterable[ServiceCategory] = (),
    all_regions: bool = False,
    all_categories: bool = False,
) -> SupervisorProfile:
    """Make an account a supervisor with its scope of regions and service categories."""
    profile = SupervisorProfile.objects.create(
        user=user, authority=authority, all_regions=all_regions, all_categories=all_categories
    )
    profile.regions.set(regions)
    profile.categories.set(categories)
    group, _ = Group.objects.get_or_create(name=Role.SUPERVISOR)
    user.groups.add(group)
    # No Django admin: a supervisor works in /supervisor/ and moderates in /cms/ (docs/architecture.md, Authority).
    return profile


@transaction.atomic
def credit_office_add(*, user) -> None:
    """Make an account the platform credit office (平台信用管理): policy, commitment letters, platform-wide lists.

    It edits and publishes the credit policy and commitment letters in the Django admin, so it is staff;
    what it may do there comes with the ``credit_office`` group (marketplace migration 0004).
    """
    group, _ = Group.objects.get_or_create(name=Role.CREDIT_OFFICE)
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
