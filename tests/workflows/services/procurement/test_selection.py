"""Closing the sign-up (workflows.services.procurement.selection): with too few sign-ups the project
fails (流标) and is announced, and the buyer relaunches it as a new draft."""

from __future__ import annotations

import pytest

from cms.models import NoticeRequest
from tests.factories import agencies, buyer_user, published_project
from tests.helpers import after
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def test_too_few_signups_fail_and_the_buyer_relaunches():
    buyer = buyer_user()
    pool = agencies(2)
    project = published_project("draw", buyer=buyer)
    for agency, user in pool:
        assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok
    deadlines_sweep(after(project.signup_deadline))
    project.refresh_from_db()
    assert project.state == "failed"
    assert "流标" in project.cancel_reason
    assert NoticeRequest.objects.filter(kind="termination").exists()
    from workflows.services.procurement.projects import project_relaunch

    again = project_relaunch(project=project, actor=buyer)
    assert again.state == "draft" and again.relaunch_of == project and again.requirements.count() == 1
