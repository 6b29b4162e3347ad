"""Reads for the challenge (质疑) and complaint (投诉) pages, one function per page, everything loaded up front."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace.models import Agency, BuyerUnit, SupervisorProfile
from marketplace.selectors import supervisor_scope_q

from ..models import Challenge, Project, ServiceComplaint, SignUp

CHALLENGE_RELATED = ("project", "project__buyer", "winner__agency", "agency")


@dataclass
class AgencyComplaintsPage:
    """ "我的质疑/投诉": the agency's challenges, and the complaints about its service."""

    challenges: list[Challenge]
    complaints: list[ServiceComplaint]


def complaints_for_agency_page(agency: Agency) -> AgencyComplaintsPage:
    """The agency's own challenges (newest first) and the service complaints about it (two queries)."""
    return AgencyComplaintsPage(
        challenges=list(Challenge.objects.filter(agency=agency).select_related(*CHALLENGE_RELATED)),
        complaints=list(ServiceComplaint.objects.filter(agency=agency).select_related("project", "buyer")),
    )


@dataclass
class ChallengeFormPage:
    """The challenge form of one project: the result challenged, and whether a challenge may be filed now."""

    project: Project
    winner: SignUp | None
    in_publicity: bool
    is_bidder: bool


def project_for_challenge_form(agency: Agency, code: str) -> ChallengeFormPage:
    """The project whose result the agency would challenge (404 when the code is unknown)."""
    project = get_object_or_404(Project.objects.select_related("buyer", "category"), code=code)
    winner = (
        SignUp.objects.filter(project=project, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
        .select_related("agency")
        .first()
    )
    in_publicity = bool(
        project.state == Project.State.AWARDED
        and project.publicity_ends_at
        and timezone.now() < project.publicity_ends_at
    )
    is_bidder = SignUp.objects.filter(project=project, agency=agency).exclude(state=SignUp.State.WITHDRAWN).exists()
    return ChallengeFormPage(project, winner, in_publicity, is_bidder)


def challenge_get_for_agency(agency: Agency, pk: int) -> Challenge:
    """One of the agency's own challenges (404 otherwise)."""
    return get_object_or_404(Challenge.objects.select_related(*CHALLENGE_RELATED), pk=pk, agency=agency)


def service_complaint_get_for_agency(agency: Agency, pk: int) -> ServiceComplaint:
    """A complaint about the agency's service (404 otherwise)."""
    return get_object_or_404(ServiceComplaint.objects.select_related("project", "buyer"), pk=pk, agency=agency)


@dataclass
class BuyerChallengesPage:
    """The challenges to one of the buyer's projects."""

    project: Project
    challenges: list[Challenge]


def challenges_for_buyer_project(unit: BuyerUnit, code: str) -> BuyerChallengesPage:
    """The challenges to the unit's project (404 when the project is not the unit's)."""
    project = get_object_or_404(Project, code=code, buyer=unit)
    challenges = list(Challenge.objects.filter(project=project).select_related(*CHALLENGE_RELATED))
    return BuyerChallengesPage(project, challenges)


def challenge_get_for_buyer(unit: BuyerUnit, pk: int) -> Challenge:
    """A challenge to one of the unit's projects (404 otherwise)."""
    return get_object_or_404(Challenge.objects.select_related(*CHALLENGE_RELATED), pk=pk, project__buyer=unit)


@dataclass
class SupervisorComplaints:
    """The supervisor queue's complaint section: complaints about results, and about services, in scope."""

    challenges: list[Challenge]
    service_complaints: list[ServiceComplaint]

    @property
    def total(self) -> int:
        return len(self.challenges) + len(self.service_complaints)


def complaints_for_supervisor_queue(profile: SupervisorProfile) -> SupervisorComplaints:
    """Complaints waiting for the supervisor's decision in scope, nearest due date first (two queries)."""
    return SupervisorComplaints(
        challenges=list(
            Challenge.objects.filter(state=Challenge.State.COMPLAINED)
            .filter(supervisor_scope_q(profile, prefix="winner__agency__"))
            .select_related(*CHALLENGE_RELATED)
            .order_by("decision_due", "pk")
        ),
        service_complaints=list(
            ServiceComplaint.objects.filter(state__in=ServiceComplaint.OPEN)
            .filter(supervisor_scope_q(profile, prefix="agency__"))
            .select_related("agency", "buyer")
            .order_by("decision_due", "pk")
        ),
    )


def _challenges_in_scope(profile: SupervisorProfile) -> QuerySet[Challenge]:
    """Challenges that reached the supervisor as complaints, about a winner in its scope."""
    return (
        Challenge.objects.exclude(complained_at=None)
        .filter(supervisor_scope_q(profile, prefix="winner__agency__"))
        .select_related(*CHALLENGE_RELATED)
    )


def challenge_get_for_supervisor(profile: SupervisorProfile, pk: int) -> Challenge:
    """A complaint about a result in the supervisor's scope (404 otherwise)."""
    found = _challenges_in_scope(profile).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def service_complaint_get_for_supervisor(profile: SupervisorProfile, pk: int) -> ServiceComplaint:
    """A complaint about a service of an agency in the supervisor's scope (404 otherwise)."""
    qs = ServiceComplaint.objects.filter(supervisor_scope_q(profile, prefix="agency__")).select_related(
        "agency", "project", "buyer"
    )
    return get_object_or_404(qs, pk=pk)


def agency_for_complaint_form(uscc: str) -> Agency:
    """The agency a member of the public or a buyer complains about (404 when unknown)."""
    return get_object_or_404(Agency, uscc=uscc)


def challenge_for_evidence(agency: Agency | None, unit: BuyerUnit | None, profile: SupervisorProfile | None, pk: int):
    """A challenge whose evidence the asker may read: the challenger, the project's buyer, a supervisor in scope."""
    if agency is not None and (found := Challenge.objects.filter(pk=pk, agency=agency).first()):
        return found
    if unit is not None and (found := Challenge.objects.filter(pk=pk, project__buyer=unit).first()):
        return found
    if profile is not None:
        return challenge_get_for_supervisor(profile, pk)
    raise Http404


def service_complaint_for_evidence(agency: Agency | None, profile: SupervisorProfile | None, pk: int):
    """A service complaint whose evidence the asker may read: the agency complained about, a supervisor in scope."""
    if agency is not None and (found := ServiceComplaint.objects.filter(pk=pk, agency=agency).first()):
        return found
    if profile is not None:
        return service_complaint_get_for_supervisor(profile, pk)
    raise Http404
