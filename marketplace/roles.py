"""The signed-in roles; each is a Django group. The public needs no account.

Four roles act for an organisation or a scope: buyer, agency, supervisor (region and category scope,
``SupervisorProfile``), operator. ``credit_office`` (平台信用管理) is the platform-level credit
authority: the only role that publishes a credit policy version or a commitment letter version, and
imports an external dishonesty list for every agency. Who may do what is written out in
docs/architecture.md ("Authority"); the scope questions are answered in ``marketplace.authority``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role group a user account belongs to."""

    BUYER = "buyer", _("项目业主")
    AGENCY = "agency", _("中介机构")
    SUPERVISOR = "supervisor", _("监管部门")
    OPERATOR = "operator", _("运营机构")
    CREDIT_OFFICE = "credit_office", _("平台信用管理")


def roles_of(user) -> frozenset[str]:
    """The role names of a user, memoised on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_zjcs_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._zjcs_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in roles_of(user)
