"""Login throttling (django-axes): repeated wrong passwords lock the sign-in, with a clear message;
the right password does not get through a lockout; an operator unlocks it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory, agency_user, operator_user

pytestmark = pytest.mark.django_db


def wrong_passwords(client, username: str, times: int, url: str | None = None):
    response = None
    for _ in range(times):
        response = client.post(url or reverse("login"), {"username": username, "password": "guess-wrong"})
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_the_limit_of_wrong_ones_is_refused_with_a_message(client):
    UserFactory(username="clerk")
    response = wrong_passwords(client, "clerk", settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()

    response = wrong_passwords(client, "clerk", 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂时锁定" in page and f"连续 {settings.AXES_FAILURE_LIMIT} 次密码错误" in page and "15 分钟" in page

    response = client.post(reverse("login"), {"username": "clerk", "password": "pw-12345"})
    assert response.status_code == 429 and not signed_in(client)


def test_another_username_from_the_same_address_still_signs_in(client):
    UserFactory(username="clerk")
    UserFactory(username="colleague")
    wrong_passwords(client, "clerk", settings.AXES_FAILURE_LIMIT)
    response = client.post(reverse("login"), {"username": "colleague", "password": "pw-12345"})
    assert response.status_code == 302 and signed_in(client)


def test_the_django_admin_login_is_throttled_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    response = wrong_passwords(client, "root", settings.AXES_FAILURE_LIMIT, url=reverse("admin:login"))
    assert response.status_code == 429
    response = client.post(reverse("admin:login"), {"username": "root", "password": "pw-12345"})
    assert response.status_code == 429 and not signed_in(client)


def test_an_operator_unlocks_a_locked_sign_in(client):
    UserFactory(username="clerk")
    wrong_passwords(client, "clerk", settings.AXES_FAILURE_LIMIT)

    operator = operator_user()
    client.force_login(operator)
    page = client.get(reverse("operator-lockouts")).content.decode()
    assert "clerk" in page
    response = client.post(reverse("operator-lockouts"), {"username": "clerk"}, follow=True)
    assert "已解除用户名「clerk」的登录锁定。" in response.content.decode()
    assert "clerk" not in client.get(reverse("operator-lockouts")).content.decode().split('id="lockouts-title"')[1]
    client.logout()

    response = client.post(reverse("login"), {"username": "clerk", "password": "pw-12345"})
    assert response.status_code == 302 and signed_in(client)


def test_only_operators_see_or_clear_lockouts(client):
    UserFactory(username="clerk")
    wrong_passwords(client, "clerk", settings.AXES_FAILURE_LIMIT)
    client.force_login(agency_user())
    assert client.get(reverse("operator-lockouts")).status_code == 403
    assert client.post(reverse("operator-lockouts"), {"username": "clerk"}).status_code == 403
    client.logout()
    assert client.post(reverse("login"), {"username": "clerk", "password": "pw-12345"}).status_code == 429
