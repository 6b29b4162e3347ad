"""Referrer-Policy and Permissions-Policy on every kind of response: pages, errors, static files, admin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/notices/", "/no-such-page/", "/accounts/login/", "/admin/login/", "/healthz"])
def test_every_response_carries_the_policies(client, url):
    response = client.get(url)
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
