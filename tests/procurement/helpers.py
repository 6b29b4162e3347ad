"""Builders for procurement tests: a buyer, an operator, admitted agencies, and a project taken
through the real services, with time acceleration instead of clock mocking."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from django.utils import timezone

from marketplace.models import QualificationLevel, QualificationType, ServiceCategory
from tests.factories import (
    AgencyFactory,
    QualificationFactory,
    admitted_agency,
    buyer_user,
    operator_user,
    supervisor_user,
)
from workflows.models import Project
from workflows.services.procurement import projects as project_services
from workflows.services.procurement.projects import Requirement


def after(moment, seconds: float = 1):
    """A moment just past a deadline, for the sweeps (which act on the time they are given)."""
    return moment + datetime.timedelta(seconds=seconds)


def wait_past(moment) -> None:
    """Sleep until ``moment`` (an accelerated deadline) has passed."""
    delay = (moment - timezone.now()).total_seconds()
    if delay > -0.001:
        time.sleep(delay + 0.01)


def agencies(n: int, *, supervisor=None, level_rank: int = 1):
    """``n`` admitted real-estate appraisal agencies holding a valid Q-RE licence; returns [(agency, user)]."""
    supervisor = supervisor or supervisor_user()
    qtype = QualificationType.objects.get(code="Q-RE")
    out = []
    for _ in range(n):
        agency = AgencyFactory(categories=[ServiceCategory.objects.get(code="VAL-RE")])
        QualificationFactory(
            agency=agency,
            qualification_type=qtype,
            level=QualificationLevel.objects.get(qualification_type=qtype, rank=level_rank),
        )
        agency, _membership, user = admitted_agency(agency, supervisor=supervisor)
        out.append((agency, user))
    return out


def project_data(method: str, **overrides) -> dict:
    data = {
        "name": "惠城区某安置房项目房地产估价服务",
        "category": ServiceCategory.objects.get(code="VAL-RE"),
        "content": "对安置房项目 120 套房屋进行市场价值评估，出具估价报告。",
        "scale": "120 套，约 1.2 万平方米",
        "budget": Decimal("80000"),
        "quote_kind": Project.QuoteKind.AMOUNT,
        "quote_floor": Decimal("40000"),
        "quote_ceiling": Decimal("80000"),
        "method": method,
    }
    if method == Project.Method.SCORED:
        data.update(weight_price=40, weight_credit=30, weight_proposal=30)
    data.update(overrides)
    return data


def requirement(rank: int = 2) -> Requirement:
    qtype = QualificationType.objects.get(code="Q-RE")
    return Requirement(qtype, QualificationLevel.objects.get(qualification_type=qtype, rank=rank))


def published_project(method: str, *, buyer=None, operator=None, **overrides) -> Project:
    """A project created, submitted and published through the services."""
    buyer = buyer or buyer_user()
    operator = operator or operator_user()
    unit = buyer.buyerstaff_set.get().unit
    project = project_services.project_create(
        buyer=unit, actor=buyer, data=project_data(method, **overrides), requirements=[requirement()]
    )
    assert project_services.project_submit(project=project, actor=buyer).ok
    result = project_services.project_review(project=project, actor=operator, publish=True)
    assert result.ok, result.messages
    project.refresh_from_db()
    return project
