"""The public project search and the buyers' record as a year's data grows: every search from an index.

The project search matches the project's name, its code and its buyer's name. The buyer's name is in
another table, which no index of the projects serves: as one OR with a join, every search read every
project. The matching buyers are now looked up by their own name index and their projects taken by
``buyer_id``; one- and two-character terms use the characters-and-pairs indexes (PostgreSQL only).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.utils import timezone

from credit_rules.buyer_record import buyer_list_for_directory
from marketplace import paging
from marketplace.models import BuyerUnit, ServiceCategory
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import AgencyFactory, buyer_user
from tests.helpers import explained
from workflows.models import Project
from workflows.selectors.public import ProjectFilters, project_list_for_search

pytestmark = pytest.mark.django_db

PROJECTS = 30_000
BUYERS = 30_000
WORDS = ("土地估价", "房屋测绘", "环境评价", "工程审计", "规划设计")


def _bulk_year() -> BuyerUnit:
    """``BUYERS`` buyer units and ``PROJECTS`` published projects among them; one unit and a few projects carry a
    pair no other name has (翠微); then ANALYZE."""
    region = AgencyFactory().region
    creator = buyer_user()
    category = ServiceCategory.objects.filter(parent__isnull=False).order_by("pk").first()
    units = BuyerUnit.objects.bulk_create(
        [
            BuyerUnit(
                uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(i, "BY"), authority="1", kind="1"),
                name=f"惠州市{'翠微' if i == 7 else ''}第{i}局",
                region=region,
            )
            for i in range(BUYERS)
        ],
        batch_size=5_000,
    )
    now = timezone.now()
    Project.objects.bulk_create(
        [
            Project(
                code=f"ZJCS-2026-{i:06d}",
                name=f"{'翠微' if i % 5000 == 11 else ''}惠州项目{WORDS[i % len(WORDS)]}服务（{i}）",
                buyer=units[i % BUYERS],
                created_by=creator,
                category=category,
                content="",
                budget=100_000,
                quote_floor=50_000,
                quote_ceiling=100_000,
                state=Project.State.OPEN,
                published_at=now - timezone.timedelta(minutes=i),
            )
            for i in range(PROJECTS)
        ],
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        for index in (
            "project_name_trgm",
            "project_code_trgm",
            "project_name_grams",
            "buyer_name_trgm",
            "buyer_name_grams",
        ):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for model in (Project, BuyerUnit):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return units[7]


def _plans(make_queryset) -> str:
    """EXPLAIN ANALYZE of every query making and reading the first page runs."""

    def first_page():
        page = paging.CappedPaginator(make_queryset(), 20).page(1)
        return list(page.object_list)

    return "\n\n".join(explained(first_page)[1])


@pytest.mark.postgres
def test_every_project_and_buyer_search_is_served_by_an_index():
    unit = _bulk_year()
    searches = {
        "name": lambda: project_list_for_search(ProjectFilters(q="翠微惠州项目")),
        "code": lambda: project_list_for_search(ProjectFilters(q="2026-012345")),
        "buyer": lambda: project_list_for_search(ProjectFilters(q=unit.name)),
        "short": lambda: project_list_for_search(ProjectFilters(q="翠微")),
        "buyers' record": lambda: buyer_list_for_directory("翠微第"),
        "buyers' record short": lambda: buyer_list_for_directory("翠微"),
    }
    plans = {name: _plans(make) for name, make in searches.items()}
    for name, plan in plans.items():
        for query in plan.split("\n\n"):
            for table in (Project._meta.db_table, BuyerUnit._meta.db_table):
                assert not re.search(rf"Seq Scan on {table}\b", query), f"{name}:\n{query}"
    assert "project_name_trgm" in plans["name"] and "buyer_name_trgm" in plans["name"]
    assert "project_code_trgm" in plans["code"]
    assert "project_name_grams" in plans["short"] and "buyer_name_grams" in plans["short"]
    assert "buyer_name_grams" in plans["buyers' record short"]
    # and they find what they should: the buyer's projects by its name, the pair in names of both
    by_buyer = set(project_list_for_search(ProjectFilters(q=unit.name)).values_list("buyer_id", flat=True))
    assert by_buyer == {unit.pk}
    short = project_list_for_search(ProjectFilters(q="翠微"))
    assert short.count() == PROJECTS // BUYERS + PROJECTS // 5000  # the unit's projects and the named ones
