"""Referrer-Policy, Permissions-Policy and Content-Security-Policy on every kind of response: pages, errors,
static files, the login, Django's admin and Wagtail's."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URLS = ["/", "/notices/", "/no-such-page/", "/accounts/login/", "/admin/login/", "/healthz", "/agencies/"]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", URLS)
def test_every_response_carries_the_policies(client, url):
    response = client.get(url)
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[kind] and "'unsafe-eval'" not in csp[kind], (kind, csp[kind])


def test_the_policy_holds_in_debug_too(client, settings):
    # django-csp leaves DEBUG's technical 404 and 500 pages alone; every other page keeps its policy
    settings.DEBUG = True
    assert "Content-Security-Policy" in client.get("/notices/")


def test_an_inline_block_runs_only_with_this_responses_nonce(client):
    # A template that needs an inline block writes nonce="{{ request.csp_nonce }}"; the header then
    # names that nonce, a new one per response.
    from django.http import HttpResponse
    from django.template import Context, Template
    from django.urls import path

    def view(request):
        html = Template('<script nonce="{{ request.csp_nonce }}">1</script>').render(Context({"request": request}))
        return HttpResponse(html)

    class urls:
        urlpatterns = [path("nonce/", view)]

    with override_settings(ROOT_URLCONF=urls):
        first, second = client.get("/nonce/"), client.get("/nonce/")
    nonces = []
    for response in (first, second):
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in directives(response)["script-src"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_back_office_allows_inline_styles_never_inline_scripts(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    cms = directives(client.get("/cms/"))
    assert "'unsafe-inline'" in cms["style-src"]  # Wagtail's rich-text editor builds <style> elements
    assert "'unsafe-inline'" not in cms["script-src"]
    admin = directives(client.get("/admin/"))
    assert "'unsafe-inline'" not in admin["style-src"] and "'unsafe-inline'" not in admin["script-src"]
