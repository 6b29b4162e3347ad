"""The demo clock page and banner: demo mode only (404 otherwise, as under production settings), operators and
supervisors only; a step taken from the banner returns to the page it was taken on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import agencies, operator_user, supervisor_user
from tests.helpers import page_text
from workflows import clock
from workflows.models import DemoClockStep

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo_mode(settings):
    settings.ZJCS_DEMO = True
    yield
    clock.process_reset()


def test_the_clock_page_is_not_found_outside_demo_mode(client, settings):
    settings.ZJCS_DEMO = False
    client.force_login(operator_user())
    assert client.get(reverse("demo-clock")).status_code == 404
    assert client.post(reverse("demo-clock"), {"step": "day"}).status_code == 404
    assert not DemoClockStep.objects.exists()
    # and no banner
    assert 'data-testid="demo-clock"' not in client.get("/projects/").content.decode()


def test_production_settings_keep_demo_mode_off_whatever_the_environment_says():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="zjcs.example.gov.cn",
        ZJCS_DEMO="1",
    )
    code = "import django; django.setup(); from django.conf import settings; print(settings.ZJCS_DEMO)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_an_agency_may_not_move_the_clock(client, demo_mode):
    _agency, clerk = agencies(1)[0]
    client.force_login(clerk)
    assert client.post(reverse("demo-clock"), {"step": "day"}).status_code == 403
    assert not DemoClockStep.objects.exists()
    # it sees the demo time in the banner, without the controls
    text = page_text(client.get("/projects/"))
    assert "演示时间" in text and "前进一天" not in text


def test_the_operator_moves_the_clock_from_the_banner_and_returns_to_the_page(client, demo_mode):
    operator = operator_user()
    client.force_login(operator)
    before = timezone.localtime()
    page = page_text(client.get("/projects/"))
    assert "前进一天" in page and before.strftime("%Y-%m-%d") in page

    response = client.post(reverse("demo-clock"), {"step": "day", "next": "/projects/"}, follow=True)

    assert response.redirect_chain[-1][0] == "/projects/"
    text = page_text(response)
    assert "演示时钟已前进至" in text
    tomorrow = (before + timezone.timedelta(days=1)).strftime("%Y-%m-%d")
    assert f'data-testid="demo-now">{tomorrow}' in text
    assert DemoClockStep.objects.get().actor == operator


def test_the_clock_page_lists_the_steps_with_who_took_them(client, demo_mode):
    supervisor = supervisor_user(username="clock_sup")
    client.force_login(supervisor)
    client.post(reverse("demo-clock"), {"step": "hour"})
    text = page_text(client.get(reverse("demo-clock")))
    assert "clock_sup" in text and "一小时" in text


def test_an_unknown_step_is_refused_in_plain_words(client, demo_mode):
    client.force_login(operator_user())
    response = client.post(reverse("demo-clock"), {"step": "century"}, follow=True)
    assert "请选择演示时钟前进多少时间" in page_text(response)
    assert not DemoClockStep.objects.exists()
