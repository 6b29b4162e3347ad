"""Reads for the supervisor's risk flag pages, filtered to the supervisor's scope in SQL."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from marketplace.models import Agency, SupervisorProfile
from marketplace.selectors import supervisor_scope_q

from ..models import Project, RiskFlag

AGENCIES = Prefetch("agencies", queryset=Agency.objects.select_related("region").order_by("pk"))


def risk_flag_list_for_supervisor(profile: SupervisorProfile, *, kind: str = "", state: str = "") -> QuerySet[RiskFlag]:
    """Flags in scope, newest first, with their agencies, buyer unit and project; filtered by kind and state."""
    flags = RiskFlag.objects.filter(RiskFlag.scope_q(profile))
    if kind:
        flags = flags.filter(kind=kind)
    if state:
        flags = flags.filter(state=state)
    return flags.select_related("buyer", "project").prefetch_related(AGENCIES).order_by("-detected_at", "-pk")


def risk_flag_get_for_supervisor(profile: SupervisorProfile, pk: int) -> RiskFlag:
    """One flag in scope (404 outside it), with what its page shows."""
    flag = (
        RiskFlag.objects.filter(RiskFlag.scope_q(profile), pk=pk)
        .select_related("buyer", "buyer__region", "project", "category", "case", "decided_by")
        .prefetch_related(AGENCIES)
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def risk_flag_agencies_in_scope(profile: SupervisorProfile, flag: RiskFlag) -> list[Agency]:
    """The flag's agencies a case may be opened against: those in the supervisor's scope."""
    return list(flag.agencies.filter(supervisor_scope_q(profile)).order_by("pk"))


def risk_evidence_for_page(flag: RiskFlag) -> dict:
    """The flag's evidence with every part the page shows present (empty when the kind has none)."""
    e = flag.evidence or {}
    projects = []
    for p in e.get("projects") or e.get("wins") or []:
        role = next((r for r in ("winner", "bidder", "agency") if r in p), "")
        projects.append(
            {
                "code": p["code"],
                "name": p["name"],
                "reason": p.get("reason", ""),
                "role": role,
                "agency": p.get(role),
                "state": str(Project.State(p["state"]).label) if p.get("state") in Project.State.values else "",
                "reworks": p.get("reworks"),
                "late": p.get("late", False),
            }
        )
    return {
        "agencies": e.get("agencies", []),
        "agency": e.get("agency"),
        "share": e.get("share", ""),
        "project": e.get("project"),
        "floor": e.get("floor", ""),
        "ceiling": e.get("ceiling", ""),
        "equal": e.get("equal", []),
        "quotes": e.get("quotes", []),
        "projects": projects,
        "phone_tail": e.get("phone_tail", ""),
        "address": e.get("address", ""),
        "issues": e.get("issues"),
        "threshold": e.get("threshold"),
        "window_days": e.get("window_days"),
    }
