"""Agencies on the entry path, built through the membership services: an applicant with a filled-in
application, a submitted application, an admitted member."""

from __future__ import annotations

from marketplace.models import Agency
from tests.factories.people import AgencyFactory, QualificationFactory, agency_user, supervisor_user
from tests.helpers import pdf_file, refetch
from workflows.models import Membership
from workflows.services import membership as membership_services

STATEMENT = "专业从事房地产估价，承诺依法诚信执业。"


def applicant(
    agency: Agency | None = None,
    *,
    user=None,
    qualified: bool = True,
    scan: bool = False,
    statement: str | None = STATEMENT,
) -> tuple[Agency, Membership, object]:
    """An agency with a clerk and an entry application in draft: (agency, membership, user).

    ``qualified``: give the agency a valid Q-RE licence if it holds none (``scan``: with a scanned
    PDF, as the supervisor's review page shows it). ``statement``: the application's text (None:
    the application is only started).
    """
    agency = agency or AgencyFactory()
    if qualified and not agency.qualifications.exists():
        QualificationFactory(agency=agency, **({"document": pdf_file("licence.pdf")} if scan else {}))
    user = user or agency_user(agency)
    membership = membership_services.membership_start(agency=agency, actor=user)
    if statement is not None:
        membership = membership_services.membership_update_application(
            membership=membership, actor=user, statement=statement
        )
    return agency, refetch(membership), user


def submitted_application(agency: Agency | None = None, *, user=None, scan: bool = False):
    """An entry application signed and submitted (or admitted at once by the green channel): (agency, membership, user)."""
    agency, membership, user = applicant(agency, user=user, scan=scan)
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok, result.messages
    return agency, refetch(membership), user


def admitted_agency(agency: Agency | None = None, *, user=None, supervisor=None):
    """An agency taken through the real entry path (apply, submit, approve); returns (agency, membership, user)."""
    agency, membership, user = submitted_application(agency, user=user)
    result = membership_services.membership_review(
        membership=membership, actor=supervisor or supervisor_user(), decision="approve"
    )
    assert result.ok, result.messages
    return agency, refetch(membership), user
