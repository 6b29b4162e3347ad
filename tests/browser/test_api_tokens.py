"""The REST API's pages in a browser: the documentation renders from static under the site's policy (the browser
fixture fails on anything the Content-Security-Policy refused), and an agency's administrator makes a token (its
secret shown once), the token calls the API, and the administrator revokes it from the same page."""

from __future__ import annotations

import pytest
from django.test import Client

from opendata.models import ApiToken
from tests.browser.flows import session
from tests.factories import agencies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_api_docs_render_with_no_csp_violation(page):
    page.goto("/api/docs/")
    # Swagger UI's own scripts (served from /static/) built the operations from /api/v1/schema/.
    page.locator(".opblock-summary-path", has_text="/api/v1/projects/").first.wait_for()
    assert page.locator(".opblock").count() >= 10
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("ZJCS open API")


def test_administrator_creates_uses_and_revokes_a_token(browser, live_server):
    ((agency, user),) = agencies(1)
    page = session(browser, live_server, user.username)
    page.goto("/me/")
    page.get_by_role("link", name="接口令牌").click()
    page.wait_for_url("**/me/api-tokens/")
    page.get_by_label("令牌名称").fill("本单位业务系统")
    page.get_by_label("报名").check()
    page.get_by_label("读取").check()
    page.get_by_role("button", name="生成令牌").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("zjcs_")
    token = ApiToken.objects.get(agency=agency)
    assert token.scopes == ["read", "signup"] and token.digest != secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/v1/agency/credit/", **headers).status_code == 200
    # Shown once: the page read again has the token's prefix only.
    page.goto("/me/api-tokens/")
    assert secret not in page.content()
    assert token.prefix in page.get_by_test_id("token-list").inner_text()
    page.get_by_role("button", name="撤销“本单位业务系统”").click()
    page.wait_for_url("**/me/api-tokens/")
    assert "撤销" in page.get_by_test_id("token-list").inner_text()
    assert page.get_by_role("button", name="撤销“本单位业务系统”").count() == 0
    assert Client().get("/api/v1/agency/credit/", **headers).status_code == 401
