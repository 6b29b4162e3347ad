"""Whose agencies an account has authority over: the platform credit office, or a supervisor's scope.

Two levels, and nothing between them:

* the **platform credit office** (group ``credit_office``, 平台信用管理) has authority over every
  agency, and over organisations not (yet) on the platform;
* a **supervisor** (group ``supervisor`` with a ``SupervisorProfile``) has authority over the
  agencies its region and category scope covers (``selectors.supervisor_scope_q``), and over no
  organisation that is not registered here: an unregistered organisation has no region or category
  on the platform to be in scope of.

Anyone else has authority over no agency. Operators and superusers are platform staff, not credit
authorities: they may moderate every notice (cms), but they do not withdraw notices or import lists.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Agency
from .roles import Role, has_role
from .selectors import supervisor_profile_of, supervisor_scope_q


def is_credit_office(user) -> bool:
    """Whether the account acts for the platform credit office (平台信用管理)."""
    return has_role(user, Role.CREDIT_OFFICE)


def agencies_in_authority(user) -> QuerySet[Agency]:
    """The agencies the account has credit authority over (all, a supervisor's scope, or none)."""
    if is_credit_office(user):
        return Agency.objects.all()
    return Agency.objects.filter(supervisor_scope_q(supervisor_profile_of(user)))


def authority_covers_uscc(user, uscc: str) -> bool:
    """Whether the organisation with this USCC is within the account's credit authority.

    The credit office covers every code, registered here or not; a supervisor only a registered
    agency in its scope.
    """
    if is_credit_office(user):
        return True
    return bool(uscc) and agencies_in_authority(user).filter(uscc=uscc).exists()
