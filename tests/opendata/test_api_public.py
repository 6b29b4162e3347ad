"""The public API shows what the public pages show: same rows, organisations only, quotes only after the close.

Projects, sign-ups and credit records are made through the real services (tests.factories).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from credit_rules.models import MeasureKind
from marketplace.models import Agency
from tests.factories import (
    AgencyFactory,
    agencies,
    apply_measure,
    awarded_project,
    contracted_engagement,
    published_project,
    signups_submit,
)
from tests.helpers import query_count

pytestmark = pytest.mark.django_db

# Natural persons' fields: none may appear as a key anywhere in any response.
PERSON_KEYS = {"contact_name", "contact_phone", "legal_representative", "username", "email", "submitted_by", "user"}


def _get(url: str, params: dict | None = None):
    response = Client().get(url, params or {})
    return response, response.json()


def _keys(data) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found.add(key)
            found |= _keys(value)
    elif isinstance(data, list):
        for item in data:
            found |= _keys(item)
    return found


def test_schema_and_docs_are_served():
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/projects/" in paths and "/api/v1/statistics/" in paths
    assert all(p.startswith("/api/v1/") for p in paths)  # Wagtail's admin API is left out
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # the start-up script is a file of its own (CSP: no inline script)
    assert "cdn" not in html.lower()


def test_projects_list_matches_the_search_page_and_filters():
    project = published_project("draw", name="评估项目甲")
    other = published_project("price", name="测绘项目乙")
    response, data = _get(reverse("api-projects"))
    assert response.status_code == 200
    codes = [row["code"] for row in data["results"]]
    page = Client().get(reverse("project-search"))
    assert codes == [p.code for p in page.context["page_obj"].object_list]
    assert {project.code, other.code} == set(codes)
    _, data = _get(reverse("api-projects"), {"method": "price"})
    assert [row["code"] for row in data["results"]] == [other.code]
    row = data["results"][0]
    assert row["buyer"] == {"uscc": other.buyer.uscc, "name": other.buyer.name}
    assert row["state"] == "open" and row["method_label"]


def test_bad_filter_is_a_problem_with_the_field():
    response = Client().get(reverse("api-projects"), {"state": "draft", "published_from": "1900-01-01"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"].endswith("invalid-request")
    assert {"state", "published_from"} <= set(body["errors"])


def test_unpublished_project_is_not_found():
    response = Client().get(reverse("api-project", args=["NO-SUCH"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_sealed_quotes_are_never_shown_before_the_close():
    project = published_project("price")
    pool = agencies(3)
    signups_submit(project, pool)
    _, data = _get(reverse("api-project", args=[project.code]))
    assert data["closed"] is False
    assert data["ranking"] == [] and data["winner"] is None and data["eligible_count"] is None
    text = json.dumps(data)
    for signup in project.signups.all():
        assert signup.agency.uscc not in text  # who signed up is secret too
    assert "sealed" not in text


def test_after_the_award_the_ranking_shows_quotes_and_the_winner():
    awarded = awarded_project("price")
    _, data = _get(reverse("api-project", args=[awarded.project.code]))
    page = Client().get(reverse("project-public", args=[awarded.project.code])).context["page"]
    assert data["closed"] is True
    assert [r["uscc"] for r in data["ranking"]] == [r.uscc for r in page.ranking]
    assert [r["quote"] for r in data["ranking"]] == [f"{r.quote:.2f}" for r in page.ranking]
    assert data["winner"]["uscc"] == page.winner.uscc
    assert not _keys(data) & PERSON_KEYS


def test_a_project_in_service_shows_its_contract():
    deal = contracted_engagement("draw")
    response, data = _get(reverse("api-project", args=[deal.project.code]))
    assert response.status_code == 200
    contract = data["contract"]
    assert contract["agency"]["uscc"] == deal.engagement.agency.uscc
    assert contract["amount"] == f"{deal.engagement.amount:.2f}" and contract["service_end"]
    assert not _keys(data) & PERSON_KEYS


def test_agencies_only_verified_with_grade_and_measures_and_no_person_data():
    (agency, _user), (restricted, _u2) = agencies(2)
    unverified = AgencyFactory(identity="submitted")
    apply_measure(restricted, MeasureKind.RESTRICT, months=3)
    _, data = _get(reverse("api-agencies"))
    usccs = {row["uscc"] for row in data["results"]}
    assert {agency.uscc, restricted.uscc} <= usccs and unverified.uscc not in usccs
    page = Client().get(reverse("agency-directory"))
    assert [a.uscc for a in page.context["page_obj"].object_list] == [row["uscc"] for row in data["results"]]
    _, data = _get(reverse("api-agencies"), {"measure": "restrict"})
    assert [row["uscc"] for row in data["results"]] == [restricted.uscc]
    assert data["results"][0]["measures"] == ["restrict"]
    assert not _keys(data) & PERSON_KEYS
    stored = Agency.objects.get(pk=agency.pk)
    for value in (stored.contact_name, stored.contact_phone, stored.legal_representative):
        if value:
            assert value not in json.dumps(_get(reverse("api-agency", args=[agency.uscc]))[1], ensure_ascii=False)


def test_blacklist_and_redlist_as_their_pages():
    (expelled, _u), (kept, _u2) = agencies(2)
    apply_measure(expelled, MeasureKind.EXPEL)
    _, data = _get(reverse("api-blacklist"))
    assert [row["uscc"] for row in data["results"]] == [expelled.uscc]
    assert data["results"][0]["expulsions"][0]["rule_code"]
    _, red = _get(reverse("api-redlist"))
    assert red["results"] == []


def test_draw_proofs_and_statistics():
    awarded = awarded_project("draw")
    _, data = _get(reverse("api-draws"))
    assert [row["code"] for row in data["results"]] == [awarded.project.code]
    proof = data["results"][0]["proof"]
    assert proof == awarded.project.__class__.objects.get(pk=awarded.project.pk).draw_proof
    response, stats = _get(reverse("api-statistics"))
    assert response.status_code == 200
    assert stats["projects_by_method"]["draw"] == 1 and len(stats["months"]) == 12


def test_cursor_pagination_walks_every_row_once():
    made = {published_project("draw").code for _ in range(5)}
    seen: list[str] = []
    url = reverse("api-projects") + "?page_size=2"
    while url:
        data = Client().get(url).json()
        seen += [row["code"] for row in data["results"]]
        url = data["next"]
    assert sorted(seen) == sorted(made)


# The most queries each list may run, whatever its number of rows (tests/query_budgets.py's pattern).
API_BUDGETS = {
    "api-projects": 3,
    "api-agencies": 4,
    "api-notices": 3,
    "api-blacklist": 3,
    "api-redlist": 3,
    "api-draws": 2,
}


@pytest.mark.parametrize("name", sorted(API_BUDGETS))
def test_list_query_budget_is_constant_in_rows(name, django_capture_on_commit_callbacks):
    client = Client()
    url = reverse(name)

    def grow(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):  # notices published, as after a commit
            for _ in range(n):
                awarded_project("draw")
            for agency, _user in agencies(n):
                apply_measure(agency, MeasureKind.EXPEL)

    grow(1)
    few = query_count(client, url, warm=True)
    grow(2)
    rows = len(client.get(url).json()["results"])
    assert rows >= 3 or name == "api-redlist"
    assert query_count(client, url, warm=True) == few <= API_BUDGETS[name]
