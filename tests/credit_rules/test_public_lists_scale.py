"""The public credit lists as the data grows: cached per URL with correct invalidation, counts capped,
filters on the cached standing's own columns, and (on PostgreSQL) every list served by an index."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import CreditSubject, MeasureKind
from credit_rules.selectors import DirectoryFilters, agency_list_for_directory, subject_list_for_redlist
from marketplace import paging
from marketplace.models import Agency
from marketplace.validators import org_code_for_serial, uscc_build
from tests.credit_rules.test_views import _events, _measure
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def _names(response) -> str:
    return response.content.decode()


def test_a_cached_directory_costs_no_query_and_a_new_measure_shows_on_the_next_request(client):
    # given a directory rendered once for the public, with an agency in good standing
    agency = AgencyFactory(name="惠州缓存测试评估有限公司")
    url = reverse("agency-directory")
    assert "暂停" not in _names(client.get(url, {"q": "缓存测试"})).split("<table", 1)[-1]
    with CaptureQueriesContext(connection) as hit:
        client.get(url, {"q": "缓存测试"})
    assert len(hit) == 0  # served from the cache

    # when a measure is recorded (the ledger append refreshes the cached standing)
    _measure(agency, MeasureKind.SUSPEND, ends_in_days=30)

    # then the next request shows it, and the measure filter finds it
    table = _names(client.get(url, {"q": "缓存测试"})).split("<table", 1)[-1]
    assert "暂停" in table
    assert "惠州缓存测试评估有限公司" in _names(client.get(url, {"measure": "suspend"}))


def test_an_agency_renamed_shows_on_the_next_request(client):
    agency = AgencyFactory(name="惠州旧名评估有限公司")
    url = reverse("agency-directory")
    assert "惠州旧名评估有限公司" in _names(client.get(url))
    agency.name = "惠州新名评估有限公司"
    agency.save()
    page = _names(client.get(url))
    assert "惠州新名评估有限公司" in page and "惠州旧名评估有限公司" not in page


def test_the_red_and_black_lists_show_a_new_measure_on_the_next_request(client):
    rewarded, expelled = AgencyFactory(), AgencyFactory()
    assert rewarded.name not in _names(client.get(reverse("redlist")))
    assert expelled.name not in _names(client.get(reverse("blacklist")))
    _events(rewarded, "HONOUR_RED_LIST")
    _measure(rewarded, MeasureKind.REWARD, rule_code="CR-ONB-006")
    _measure(expelled, MeasureKind.EXPEL)
    assert rewarded.name in _names(client.get(reverse("redlist")))
    assert expelled.name in _names(client.get(reverse("blacklist")))


def test_a_signed_in_visitor_gets_the_directory_rendered(client):
    # a session cookie: the page is the visitor's own (its header), never from or into the shared cache
    AgencyFactory()
    client.cookies["sessionid"] = "x"
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("agency-directory"))
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("agency-directory"))
    assert len(first) > 0 and len(second) > 0


def test_the_base_grade_filter_takes_agencies_without_a_record_and_no_other_grade_does():
    # given an agency with no credit record (base score, grade A) and one brought to grade B
    bare = AgencyFactory()
    poor = AgencyFactory()
    _events(poor, "RATING_POOR", "RATING_POOR", "RATING_POOR")
    grade = CreditSubject.objects.get(agency=poor).grade
    assert grade != "A"
    a = set(agency_list_for_directory(DirectoryFilters(grade="A")))
    other = set(agency_list_for_directory(DirectoryFilters(grade=grade)))
    assert bare in a and poor not in a
    assert poor in other and bare not in other


def test_a_list_longer_than_the_pages_reach_says_so_and_keeps_its_page_links(client, monkeypatch):
    # given 45 agencies and pages that reach 2 × 20 rows
    monkeypatch.setattr(paging, "MAX_PAGES", 2)
    region = AgencyFactory(name="惠州另一家").region
    Agency.objects.bulk_create(
        [
            Agency(
                uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(i, "CP")),
                name=f"惠州分页{i:03d}",
                region=region,
                identity_verified_at=timezone.now(),  # listed: as the operator's verification leaves them
            )
            for i in range(45)
        ]
    )
    # (a search: the unfiltered directory past the cap shows PostgreSQL's estimate instead)
    response = client.get(reverse("agency-directory"), {"q": "分页"})
    paginator = response.context["page_obj"].paginator
    assert (paginator.count, paginator.num_pages, paginator.capped) == (40, 2, True)
    assert "超过 40 家机构，只列出前 2 页" in response.content.decode()
    cache.clear()
    last = client.get(reverse("agency-directory"), {"q": "分页", "page": "2"})
    assert [a.name for a in last.context["page_obj"].object_list][-1] == "惠州分页039"
    # a list within the reach counts exactly
    cache.clear()
    exact = client.get(reverse("agency-directory"), {"q": "分页00"}).context["page_obj"].paginator
    assert (exact.count, exact.capped) == (10, False)


# --- PostgreSQL: the plans ---------------------------------------------------------------------------

BULK = 30_000


def _bulk_directory() -> None:
    """30,000 agencies, a tenth with a credit record (a few at grade B, 30 rewarded through the ledger), then ANALYZE."""
    region = AgencyFactory().region
    agencies = Agency.objects.bulk_create(
        [
            Agency(
                uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(i, "PL")),
                # one in a thousand has a pair no other name has (翠微), for the short search
                name=f"惠州{'翠微' if i % 1000 == 7 else ('融信', '广正', '长青', '海岳')[i % 4]}工程咨询有限公司（{i}）",
                region=region,
                identity_verified_at=timezone.now(),  # listed: as the operator's verification leaves them
            )
            for i in range(BULK)
        ],
        batch_size=5_000,
    )
    CreditSubject.objects.bulk_create(
        [
            CreditSubject(
                kind=CreditSubject.Kind.AGENCY,
                agency=a,
                uscc=a.uscc,
                name=a.name,
                grade="B" if i % 100 == 0 else "A",
                score=80 if i % 100 == 0 else 100,
            )
            for i, a in enumerate(agencies[::10])
        ],
        batch_size=5_000,
    )
    for agency in agencies[5::1000]:
        _events(agency, "HONOUR_RED_LIST")
        _measure(agency, MeasureKind.REWARD, rule_code="CR-ONB-006")
    with connection.cursor() as cursor:
        # Rows inserted in bulk wait in the GIN indexes' pending lists until a vacuum, which a test's
        # transaction cannot run; the planner prices a long pending list high. Merge them as autovacuum would.
        for index in ("agency_name_trgm", "agency_uscc_trgm", "agency_name_grams"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for model in (Agency, CreditSubject):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def _plans(queryset, number: int = 1, *, whole: bool = False) -> str:
    """EXPLAIN ANALYZE of every query a page of the list runs (count, page ids, rows, prefetches).

    ``whole``: the unfiltered directory, counted by the table's estimate as the view does.
    """
    run: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        run.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        estimate = (lambda: paging.rows_estimate(Agency)) if whole else None
        page = paging.CappedPaginator(queryset, 20, estimate=estimate).page(number)
        assert len(page.object_list) == 20 or number == 1
    plans = []
    with connection.cursor() as cursor:
        for sql, params in run:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(plans)


@pytest.mark.postgres
def test_the_directory_its_search_grade_filter_and_the_red_list_use_indexes(client):
    _bulk_directory()
    # the whole directory, past the pages' reach, is counted by the table's estimate, and says so
    paginator = client.get(reverse("agency-directory")).context["page_obj"].paginator
    assert paginator.estimated and paginator.count >= BULK
    assert (
        f"约 {paginator.count} 家机构（数据库的估计数）"
        in client.get(reverse("agency-directory"), {"page": "2"}).content.decode()
    )
    agency, subject = Agency._meta.db_table, CreditSubject._meta.db_table
    directory = agency_list_for_directory()
    one_uscc = Agency.objects.get(name="惠州融信工程咨询有限公司（12344）").uscc
    plans = {
        "page 1": _plans(directory, whole=True),
        "page 250": _plans(directory, 250, whole=True),
        "search": _plans(agency_list_for_directory(DirectoryFilters(q="融信工程咨询有限公司（12"))),
        # the tail of one agency's USCC (every code here shares its head: no index narrows that)
        "search uscc": _plans(agency_list_for_directory(DirectoryFilters(q=one_uscc[-9:]))),
        # two characters (no trigram): a pair few names have, then a character every name has
        "short": _plans(agency_list_for_directory(DirectoryFilters(q="翠微"))),
        "short common": _plans(agency_list_for_directory(DirectoryFilters(q="州"))),
        "grade B": _plans(agency_list_for_directory(DirectoryFilters(grade="B"))),
        "red list": _plans(subject_list_for_redlist()),
    }
    for name, plan in plans.items():
        for query in plan.split("\n\n"):
            # The capped count may read the first 2,001 rows of the table itself (it stops there) as
            # long as it reads no row it does not count: no filter over a scan.
            bounded = query.startswith("Aggregate") and "->  Limit" in query and "Rows Removed by Filter" not in query
            for table in (agency, subject):
                assert bounded or not re.search(rf"Seq Scan on {table}\b", query), f"{name}:\n{query}"
        assert "JIT:" not in plan, f"{name}:\n{plan}"
    assert "agency_name_id" in plans["page 1"] and "agency_name_id" in plans["page 250"]
    assert "agency_name_trgm" in plans["search"]
    assert "agency_name_id" not in plans["search"]  # no walk of every name in order, filtering as it goes
    assert "agency_uscc_trgm" in plans["search uscc"]
    assert "credit_subject_redlist" in plans["red list"]
    assert "agency_name_grams" in plans["short"]
    assert "agency_name_id" not in plans["short"]


def test_an_agency_verified_shows_in_the_cached_directory_on_the_next_request(client):
    # given a directory cached for the public while an agency's licence awaits review
    from tests.factories import operator_user
    from workflows.models import IdentityVerification
    from workflows.services.identity import identity_decide

    agency = AgencyFactory(name="惠州待核验评估有限公司", identity="submitted")
    url = reverse("agency-directory")
    assert "惠州待核验评估有限公司" not in _names(client.get(url))

    # when the operator verifies it
    verification = IdentityVerification.objects.get(agency=agency)
    assert identity_decide(verification=verification, actor=operator_user(), verified=True).ok

    # then the next request lists it (the cached page is not served)
    assert "惠州待核验评估有限公司" in _names(client.get(url))
