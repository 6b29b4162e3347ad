"""What the agency's life in the market asks of procurement: open engagements, open sign-ups."""

from __future__ import annotations

from marketplace.models import Agency

from ..models import Engagement, Project, SignUp
from .transitions import transition_run


def open_engagement_count(agency: Agency) -> int:
    """Engagements not yet rated or terminated: they keep an agency from leaving."""
    return Engagement.objects.filter(agency=agency, state__in=Engagement.OPEN).count()


def agency_open_signups_withdraw(agency: Agency, *, actor=None, reason: str = "") -> int:
    """On expulsion: withdraw the agency's sign-ups to projects still taking sign-ups."""
    withdrawn = 0
    signups = SignUp.objects.filter(
        agency=agency, state__in=[SignUp.State.SUBMITTED, SignUp.State.ADMITTED], project__state=Project.State.OPEN
    )
    for signup in signups:
        if transition_run(obj=signup, name="withdraw", actor=actor, params={"note": reason}):
            withdrawn += 1
    return withdrawn
