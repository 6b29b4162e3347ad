"""What the gate and the services ask about an agency's place in the market: its open membership, its open
engagements, what it lacks for a project, the facts the gate is told at each transition."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Agency
from marketplace.selectors import qualifications_valid_on

from ..models import AvoidEntry, Engagement, Membership, Project, SignUp


def current_membership(agency: Agency) -> Membership | None:
    """The agency's open membership (not rejected, expelled or withdrawn), if any."""
    return agency.memberships.exclude(state__in=Membership.FINAL).order_by("-created_at").first()


def renewal_opens_on(membership: Membership, notice_days: int) -> datetime.date | None:
    """The first day the agency may ask to renew: the policy's notice days before its term ends (None: no term)."""
    if membership.term_until is None:
        return None
    return membership.term_until - datetime.timedelta(days=notice_days)


def renewal_open(membership: Membership, notice_days: int, today: datetime.date) -> bool:
    """Renewal is open to the agency once its term is within the notice days of its end, or has lapsed."""
    if membership.state == Membership.State.LAPSED:
        return True
    opens = renewal_opens_on(membership, notice_days)
    return membership.state in Membership.RENEWABLE and opens is not None and today >= opens


def member_since(agency: Agency) -> datetime.datetime | None:
    """When the agency first entered, counting earlier memberships that ended well (withdrawn)."""
    return (
        agency.memberships.filter(member_since__isnull=False)
        .exclude(state__in=[Membership.State.EXPELLED])
        .order_by("member_since")
        .values_list("member_since", flat=True)
        .first()
    )


def open_engagement_count(agency: Agency) -> int:
    """Engagements not yet rated or terminated: they keep an agency from leaving."""
    return Engagement.objects.filter(agency=agency, state__in=Engagement.OPEN).count()


def open_win_count(agency: Agency) -> int:
    """Wins not yet accepted: selected or confirmed sign-ups whose engagement (if any) is not accepted or rated."""
    done = [Engagement.State.ACCEPTED, Engagement.State.RATED, Engagement.State.TERMINATED]
    return (
        SignUp.objects.filter(agency=agency, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
        .exclude(engagement__state__in=done)
        .count()
    )


def _requirements_of(project: Project) -> list:
    """The project's requirements with their type and level: the ones a page prefetched, else one query."""
    prefetched = getattr(project, "_prefetched_objects_cache", {}).get("requirements")
    if prefetched is not None:
        return list(prefetched)
    return list(project.requirements.select_related("qualification_type", "min_level"))


def missing_qualifications(project: Project, agency: Agency, day: datetime.date) -> list[str]:
    """What the agency lacks for this project, judged on licences valid on ``day``."""
    missing: list[str] = []
    if not agency.categories.filter(pk=project.category_id).exists():
        missing.append(_("未登记服务事项「%(cat)s」") % {"cat": project.category.label})
    requirements = _requirements_of(project)
    if not requirements:
        return missing
    held = list(qualifications_valid_on(day).filter(agency=agency).values_list("qualification_type_id", "level__rank"))

    def meets(req) -> bool:
        return any(t == req.qualification_type_id and rank <= req.min_level.rank for t, rank in held)

    unmet = [r for r in requirements if not meets(r)]
    any_mode = project.qualification_mode == Project.QualificationMode.ANY
    if (any_mode and len(unmet) == len(requirements)) or (not any_mode and unmet):
        missing += [
            _("%(type)s%(level)s及以上") % {"type": r.qualification_type.label, "level": r.min_level.label}
            for r in unmet
        ]
    return missing


_UNKNOWN: Any = object()


def signup_context(
    project: Project, agency: Agency, at: datetime.datetime, *, membership: Membership | None = _UNKNOWN
) -> dict[str, Any]:
    """The workflow facts the gate needs for this agency and project (``membership``: the agency's current
    membership when the caller has just read it)."""
    if membership is _UNKNOWN:
        membership = current_membership(agency)
    state = membership.state if membership else "none"
    label = membership.get_state_display() if membership else _("未入驻")
    avoid = AvoidEntry.objects.filter(project=project, agency=agency).values_list("reason", flat=True).first()
    return {
        "member_state": state,
        "member_state_label": str(label),
        "term_until": membership.term_until if membership else None,
        "open_engagements": open_engagement_count(agency),
        "missing_qualifications": missing_qualifications(project, agency, timezone.localtime(at).date()),
        "avoid_reason": avoid or "",
        "method": project.method,
        "project": project.code,
    }


def gate_facts(agency: Agency, obj: Any, at: datetime.datetime) -> dict[str, Any]:
    """What the gate is told about the agency when a transition of ``obj`` concerns it.

    Its membership (state and term), and its open engagements — other than ``obj`` itself, when ``obj`` is one, so a
    restricted agency's own pending contract does not count against its cap. For a sign-up, also
    the project's facts (``signup_context``); for an engagement, when its agency was selected.
    """
    if isinstance(obj, SignUp):
        return {**signup_context(obj.project, agency, at), "selected_at": obj.selected_at}
    membership = obj if isinstance(obj, Membership) else current_membership(agency)
    others = Engagement.objects.filter(agency=agency, state__in=Engagement.OPEN)
    if isinstance(obj, Engagement):
        others = others.exclude(pk=obj.pk)
    facts: dict[str, Any] = {
        "member_state": membership.state if membership else "none",
        "member_state_label": str(membership.get_state_display() if membership else _("未入驻")),
        "term_until": membership.term_until if membership else None,
        "open_engagements": others.count(),
    }
    project = obj if isinstance(obj, Project) else getattr(obj, "project", None)
    if project is not None:
        facts.update(method=project.method, project=project.code)
    if isinstance(obj, Engagement):
        facts["selected_at"] = obj.signup.selected_at if obj.signup is not None else None
        # Set when the buyer decided the agency finishes a service a measure reached.
        facts["buyer_continues"] = bool(obj.buyer_continues)
    return facts
