"""Who may fire a transition: callables ``(instance, user) -> bool`` for django-fsm's ``permission=``.

``user`` is None for the system (periodic sweeps, automatic escalations); only ``system`` admits it.
"""

from __future__ import annotations

from collections.abc import Callable

from marketplace.roles import Role, has_role
from marketplace.selectors import acts_for_agency, acts_for_buyer_unit, supervisor_covers

Check = Callable[[object, object], bool]


def system(instance, user) -> bool:
    """The platform itself acting on a rule or a deadline."""
    return user is None


def agency_staff(instance, user) -> bool:
    """Staff of the agency the row belongs to (guardian object permission)."""
    return user is not None and has_role(user, Role.AGENCY) and acts_for_agency(user, instance.agency)


def supervisor_in_scope(instance, user) -> bool:
    """A supervisor whose region and category scope covers the row's agency."""
    if user is None or not has_role(user, Role.SUPERVISOR):
        return False
    return supervisor_covers(getattr(user, "supervisor", None), instance.agency)


def any_of(*checks: Check) -> Check:
    """Allowed when any of the checks allows."""

    def check(instance, user) -> bool:
        return any(c(instance, user) for c in checks)

    check.__doc__ = " or ".join((c.__doc__ or c.__name__).strip() for c in checks)
    return check


supervisor_or_system = any_of(supervisor_in_scope, system)


def system_on_rule_case(instance, user) -> bool:
    """The platform itself, on a credit case a rule opened (the prior notice of an automatic measure)."""
    return user is None and bool(getattr(instance, "rule_code", ""))


supervisor_or_rule = any_of(supervisor_in_scope, system_on_rule_case)


def buyer_staff(instance, user) -> bool:
    """Staff of the buyer unit that owns the project (guardian object permission)."""
    if user is None or not has_role(user, Role.BUYER):
        return False
    project = instance if hasattr(instance, "buyer_id") else instance.project
    return acts_for_buyer_unit(user, project.buyer)


def project_buyer(instance, user) -> bool:
    """Staff of the buyer unit of the row's project."""
    return buyer_staff(instance.project, user) if user is not None else False


def operator(instance, user) -> bool:
    """The platform's operator (运营机构)."""
    return user is not None and has_role(user, Role.OPERATOR)


operator_or_system = any_of(operator, system)


def supervisor_of_winner(instance, user) -> bool:
    """A supervisor whose scope covers the agency whose win a complaint (投诉) is about."""
    if user is None or not has_role(user, Role.SUPERVISOR):
        return False
    return supervisor_covers(getattr(user, "supervisor", None), instance.winner.agency)


def supervisor_of_flag(instance, user) -> bool:
    """A supervisor whose scope covers the risk flag (an agency it names, or its buyer unit's region and category)."""
    if user is None or not has_role(user, Role.SUPERVISOR):
        return False
    scope = type(instance).scope_q(getattr(user, "supervisor", None))
    return type(instance).objects.filter(pk=instance.pk).filter(scope).exists()


def challenger(instance, user) -> bool:
    """Staff of the agency that filed the challenge (质疑)."""
    return agency_staff(instance, user)


def warning_issuer(instance, user) -> bool:
    """The supervisor who issued the warning, still covering the agency."""
    if user is None or getattr(instance.entry, "recorded_by_id", None) != user.pk:
        return False
    return supervisor_in_scope(instance, user)


def plan_supervisor(instance, user) -> bool:
    """The supervisor who published the inspection plan."""
    return user is not None and has_role(user, Role.SUPERVISOR) and instance.supervisor.user_id == user.pk


def inspection_recorder(instance, user) -> bool:
    """The inspector the draw assigned to the target, or the supervisor who published its plan."""
    if user is None or not has_role(user, Role.SUPERVISOR):
        return False
    if instance.inspector is not None and instance.inspector.user_id == user.pk:
        return True
    return plan_supervisor(instance.plan, user)
