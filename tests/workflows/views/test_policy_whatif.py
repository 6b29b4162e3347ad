"""The policy what-if page: a fixed number of queries whatever the number of agencies it lists, the CSV, and
publication by the credit office only, through its confirmation page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from credit_rules.models import CreditSubject, PolicyVersion
from credit_rules.policy import policy_at, policy_draft_from
from credit_rules.services import subject_for_agency
from tests.factories import AgencyFactory, credit_office_user, supervisor_user
from tests.helpers import logged_in, query_count
from tests.query_budgets import BUDGETS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]


def band_raising_draft() -> PolicyVersion:
    """A draft under which the base score (100) is no longer grade A."""
    draft = policy_draft_from(base=policy_at().version, note="提高等级线")
    draft.grade_a_min, draft.grade_b_min = 101, 95
    draft.save()
    return draft


def agencies_with_credit(n: int) -> None:
    for _ in range(n):
        subject_for_agency(AgencyFactory())


def test_the_whatif_costs_the_same_for_3_and_30_agencies_and_shows_the_matrix():
    draft = band_raising_draft()
    client = logged_in(supervisor_user())
    url = reverse("policy-whatif")
    params = {"version": draft.version}
    agencies_with_credit(3)
    three = query_count(client, url, params, warm=True)
    agencies_with_credit(27)
    thirty = query_count(client, url, params)
    assert three == thirty <= BUDGETS["policy-whatif"], (three, thirty)
    response = client.get(url, params)
    result = response.context["result"]
    assert result.matrix == {("A", "B"): 30}
    assert response.context["counts"]["grade_changed"] == 30
    assert len(response.context["shown"]) == 30
    html = response.content.decode()
    assert 'data-testid="whatif-matrix"' in html and "policy-whatif-publish" not in html  # no publish button
    assert reverse("policy-whatif-publish") not in html


def test_the_csv_lists_every_changed_agency():
    draft = band_raising_draft()
    agencies_with_credit(2)
    response = logged_in(supervisor_user()).get(reverse("policy-whatif-csv"), {"version": draft.version})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["统一社会信用代码", "机构名称"]
    assert sorted(r[0] for r in rows[1:]) == sorted(CreditSubject.objects.values_list("uscc", flat=True))
    assert {(r[3], r[5]) for r in rows[1:]} == {("A", "B")}


def test_only_the_credit_office_publishes_and_only_after_confirming():
    draft = band_raising_draft()
    agencies_with_credit(2)
    url = reverse("policy-whatif-publish")
    assert logged_in(supervisor_user()).post(url, {"version": draft.version}).status_code == 403
    office = logged_in(credit_office_user())
    assert (
        reverse("policy-whatif-publish")
        in office.get(reverse("policy-whatif"), {"version": draft.version}).content.decode()
    )
    check = office.post(url, {"version": draft.version})
    assert check.status_code == 200 and check.context["counts"]["grade_changed"] == 2
    draft.refresh_from_db()
    assert draft.published_at is None, "the first POST only shows what will happen"
    tampered = office.post(url, {"step": "confirm", "confirmation": check.context["confirmation"] + "x"})
    assert tampered.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is None
    done = office.post(url, {"step": "confirm", "confirmation": check.context["confirmation"]})
    assert done.status_code == 302 and done["Location"] == reverse("credit-policy")
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert set(CreditSubject.objects.values_list("grade", flat=True)) == {"B"}


def test_a_date_before_any_policy_is_refused_on_the_form():
    draft = band_raising_draft()
    response = logged_in(supervisor_user()).get(
        reverse("policy-whatif"), {"version": draft.version, "on": "2000-01-01"}
    )
    assert response.status_code == 200 and "result" not in response.context
    assert response.context["form"].errors["on"] == ["该日期没有生效的信用政策，请选择较晚的日期。"]
