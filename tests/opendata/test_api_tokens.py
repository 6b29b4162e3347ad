"""Organisation tokens and the authenticated endpoints: scopes, kinds, revocation, the call log, the rate, the
sign-up through the page's own service and gate (a credit refusal is RFC 9457 problem details with the rule)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.errors import NotPermitted
from opendata.api.tokens import token_create, token_revoke
from opendata.models import ApiCall, ApiToken
from tests.factories import (
    agencies,
    agency_user,
    awarded_project,
    buyer_user,
    published_project,
    signups_submit,
    supervisor_user,
    suspended_member,
)
from workflows.models import SignUp

pytestmark = pytest.mark.django_db


def _call(raw: str, name: str, *args, method: str = "get", data=None):
    client = Client()
    url = reverse(name, args=args)
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if method == "post":
        return client.post(url, data or {}, content_type="application/json", **kwargs)
    return client.get(url, **kwargs)


def test_token_is_stored_hashed_and_shown_once():
    ((agency, user),) = agencies(1)
    token, raw = token_create(actor=user, name="业务系统", scopes=["read"])
    assert raw.startswith("zjcs_") and raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.agency == agency and token.digest != raw


def test_only_the_administrator_makes_tokens():
    ((agency, _admin),) = agencies(1)
    clerk = agency_user(agency, is_admin=False)
    with pytest.raises(NotPermitted):
        token_create(actor=clerk, name="x", scopes=["read"])
    unit_admin = buyer_user()
    with pytest.raises(Exception, match="权限"):
        token_create(actor=unit_admin, name="x", scopes=["signup"])  # a buyer never signs up


def test_agency_reads_open_projects_and_credit_and_every_call_is_logged():
    ((agency, user),) = agencies(1)
    project = published_project("draw")
    token, raw = token_create(actor=user, name="业务系统", scopes=["read"])
    response = _call(raw, "api-agency-projects")
    assert response.status_code == 200
    assert project.code in [row["code"] for row in response.json()["results"]]
    credit = _call(raw, "api-agency-credit").json()
    assert credit["grade"] and "score" in credit
    calls = list(ApiCall.objects.order_by("pk").values_list("token_id", "path", "method", "status"))
    assert calls == [
        (token.pk, reverse("api-agency-projects"), "GET", 200),
        (token.pk, reverse("api-agency-credit"), "GET", 200),
    ]


def test_missing_revoked_wrong_kind_and_wrong_scope_are_refused_and_logged():
    ((agency, user),) = agencies(1)
    token, raw = token_create(actor=user, name="业务系统", scopes=["read"])
    no_token = Client().get(reverse("api-agency-credit"))
    assert no_token.status_code == 401 and no_token["Content-Type"] == "application/problem+json"
    assert no_token["WWW-Authenticate"].startswith("Bearer")
    project = published_project("draw")
    wrong_scope = _call(raw, "api-agency-signup", project.code, method="post", data={"quote": "50000"})
    assert wrong_scope.status_code == 403
    assert not SignUp.objects.exists()
    buyer_token, buyer_raw = token_create(actor=buyer_user(), name="业主系统", scopes=["read"])
    assert _call(buyer_raw, "api-agency-credit").status_code == 403
    token_revoke(actor=user, pk=token.pk)
    revoked = _call(raw, "api-agency-credit")
    assert revoked.status_code == 401 and revoked.json()["status"] == 401
    statuses = list(ApiCall.objects.order_by("pk").values_list("token_id", "status"))
    assert statuses == [(None, 401), (token.pk, 403), (buyer_token.pk, 403), (None, 401)]


def test_signup_through_the_api_seals_the_quote():
    ((agency, user),) = agencies(1)
    project = published_project("draw")
    _token, raw = token_create(actor=user, name="报名系统", scopes=["read", "signup"])
    response = _call(raw, "api-agency-signup", project.code, method="post", data={"quote": "50000"})
    assert response.status_code == 201, response.content
    signup = SignUp.objects.get(project=project, agency=agency)
    assert signup.sealed_quote and signup.quote is None  # sealed until the close, as from the page
    again = _call(raw, "api-agency-signup", project.code, method="post", data={"quote": "50000"})
    assert again.status_code == 422 and "重复" in again.json()["detail"]
    bad = _call(raw, "api-agency-signup", project.code, method="post", data={"quote": "abc"})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"


def test_signup_refused_by_credit_is_problem_details_with_the_rule():
    agency, user = suspended_member(facts=("一", "二"))
    project = published_project("draw")
    _token, raw = token_create(actor=user, name="报名系统", scopes=["read", "signup"])
    response = _call(raw, "api-agency-signup", project.code, method="post", data={"quote": "50000"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/credit-refused") and body["status"] == 422 and body["title"] and body["detail"]
    assert "CR-SEL-001" in [r["rule"] for r in body["refusals"]]
    assert all(r["message"] and r["basis"] for r in body["refusals"])
    assert not SignUp.objects.filter(project=project).exists()


def test_buyer_reads_signups_only_after_the_close():
    buyer = buyer_user()
    project = published_project("draw", buyer=buyer)
    signups_submit(project, agencies(3))
    _token, raw = token_create(actor=buyer, name="业主系统", scopes=["read"])
    listed = _call(raw, "api-buyer-projects").json()["results"]
    assert [row["code"] for row in listed] == [project.code] and listed[0]["signup_count"] == 0
    sealed = _call(raw, "api-buyer-signups", project.code)
    assert sealed.status_code == 409 and "quote" not in sealed.content.decode()
    awarded = awarded_project("draw", buyer=buyer)
    opened = _call(raw, "api-buyer-signups", awarded.project.code)
    assert opened.status_code == 200
    assert len(opened.json()["results"]) == 3 and all(r["quote"] for r in opened.json()["results"])
    other_buyer = published_project("draw")
    assert _call(raw, "api-buyer-signups", other_buyer.code).status_code == 404


def test_supervisor_reads_its_queue():
    supervisor = supervisor_user(all_regions=True, all_categories=True)
    _token, raw = token_create(actor=supervisor, name="监管系统", scopes=["read"])
    response = _call(raw, "api-supervisor-queue")
    assert response.status_code == 200
    assert set(response.json()) == {"applications", "cases", "objections", "repairs", "renewals"}


def test_throttling_per_token(settings):
    settings.ZJCS_API_TOKEN_RATE = "3/min"
    ((agency, user),) = agencies(1)
    _t1, raw = token_create(actor=user, name="甲", scopes=["read"])
    _t2, other = token_create(actor=user, name="乙", scopes=["read"])
    assert [_call(raw, "api-agency-credit").status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = _call(raw, "api-agency-credit")
    assert throttled["Content-Type"] == "application/problem+json" and int(throttled["Retry-After"]) > 0
    assert _call(other, "api-agency-credit").status_code == 200  # counted per token
    assert ApiCall.objects.filter(status=429).count() == 2
