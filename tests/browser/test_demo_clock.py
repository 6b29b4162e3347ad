"""`make demo` as a newcomer tries it, in a real Chromium: the seeded demo in demo mode, an agency signs up for
the open draw, the operator moves the demo clock a day at a time from the banner until the sign-up deadline
passes, the draw is made before the page returns, and the result notice is on the public list at once (the
cached list is dropped, not left stale); no page answers 500 on the way."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from workflows import clock
from workflows.models import DemoClockStep, Project

from .flows import log_in, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "demo-2026"


@pytest.fixture
def demo_mode(settings, tmp_path):
    """Demo mode, on the embedded default's file cache; the process back at real time afterwards."""
    settings.ZJCS_DEMO = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    yield
    clock.process_reset()


def _person(browser, live_server, failures: list[str], username: str | None = None):
    """A browser of its own, every response above 499 noted in ``failures``."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    if username:
        log_in(page, username, PASSWORD)
    return page


def test_the_operator_moves_the_demo_clock_and_the_draw_is_public_at_once(browser, live_server, demo_mode):
    # given the demo as `make demo` seeds it
    call_command("seed_demo", stdout=io.StringIO())
    draw = Project.objects.get(name__contains="市民服务中心房地产估价", state=Project.State.OPEN)
    failures: list[str] = []
    public = _person(browser, live_server, failures)
    agency = _person(browser, live_server, failures, "agency_demo")
    operator = _person(browser, live_server, failures, "operator_demo")

    # a visitor reads the result notices (the list is now cached): no result for the open draw yet
    public.goto("/notices/result/")
    assert "市民服务中心房地产估价" not in public.locator("main").inner_text()
    start = public.get_by_test_id("demo-now").inner_text()

    # agency_demo signs up for the open draw in its own field, as the fourth agency
    sign_up(agency, draw, "50000")

    # when the operator moves the demo clock forward a day at a time from the banner; after each step the visitor
    # looks at the result notices again, until the sign-up deadline has passed
    operator.goto("/operator/")
    for _day in range(8):
        operator.get_by_test_id("demo-clock").get_by_role("button", name="前进一天").click()
        operator.wait_for_load_state()
        assert "演示时钟已前进至" in operator.locator(".messages").inner_text()
        public.goto("/notices/result/")
        if "市民服务中心房地产估价" in public.locator("main").inner_text():
            break
    steps = DemoClockStep.objects.count()
    assert 1 <= steps < 8

    # then the draw was made before the operator's page returned, and its result notice was on the public list
    # at the visitor's next look (the cached list was dropped), naming the winner the draw picked
    assert public.get_by_test_id("demo-now").inner_text() > start
    public.get_by_role("link", name="市民服务中心房地产估价", exact=False).first.click()
    public.wait_for_load_state()
    winner = Project.objects.get(pk=draw.pk).signups.get(state="selected").agency
    assert winner.name in public.locator("main").inner_text()

    # and the clock page lists each step with who took it
    operator.goto("/operator/clock/")
    assert operator.locator("#clock-steps tbody tr").count() == steps
    assert "operator_demo" in operator.locator("#clock-steps").inner_text()

    # and no page answered 500 on the way
    assert failures == []
