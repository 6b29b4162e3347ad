"""Signing up (workflows.services.procurement.signups): a quote out of band, late or sent twice is refused
with its reason and writes nothing; a suspended agency is refused by the credit gate, with the rule."""

from __future__ import annotations

import pytest

from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError
from tests.factories import agencies, published_project, suspended_member
from tests.helpers import wait_past
from workflows.models import SignUp
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def test_quotes_out_of_band_late_and_twice_are_refused_with_nothing_written(settings):
    ((agency, user),) = agencies(1)
    settings.ZJCS_TIME_SCALE = 300_000  # time acceleration: the sign-up week lasts about two seconds
    project = published_project("draw")
    for bad, says in (("39999", "之间"), ("80000.01", "之间"), ("abc", "数字")):
        with pytest.raises(ApplicationError, match=says):
            signup_services.signup_submit(project=project, agency=agency, actor=user, quote=bad)
    assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok
    with pytest.raises(ApplicationError, match="重复"):
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    wait_past(project.signup_deadline)
    with pytest.raises(ApplicationError, match="截止"):
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    assert SignUp.objects.filter(project=project).count() == 1


def test_suspended_agency_signup_is_refused_with_its_reason():
    agency, user = suspended_member(facts=("一", "二"))
    assert subject_for_agency(agency).is_suspended
    project = published_project("draw")
    outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    assert not outcome.ok
    assert "CR-SEL-001" in [r.rule_code for r in outcome.refusals]
    assert not SignUp.objects.filter(project=project).exists()
