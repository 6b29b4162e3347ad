"""axe-core in a real Chromium: no serious or critical accessibility violation on the public pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cms.models import NoticePage
from credit_rules.models import CreditSubject
from tests.browser.axe import axe_run, serious

from .test_public_privacy import drawn_project, publish_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def public_pages() -> list[str]:
    """The demo's public pages: home, notices, a notice, agencies, a profile, the lists, a draw."""
    call_command("seed_demo", stdout=io.StringIO())
    code = drawn_project()
    publish_everything()
    notice = NoticePage.objects.live().filter(kind="result").first() or NoticePage.objects.live().first()
    measured = CreditSubject.objects.filter(kind="agency", is_suspended=True).select_related("agency").first()
    profile = measured or CreditSubject.objects.filter(kind="agency").select_related("agency").first()
    return [
        "/",
        "/notices/",
        "/notices/?archive=1",
        notice.url,
        "/agencies/",
        f"/agencies/{profile.uscc}/",
        "/credit/blacklist/",
        "/credit/redlist/",
        f"/draws/{code}/",
    ]


def test_public_pages_have_no_serious_accessibility_violations(live_server, browser):
    # given the demo data (ORM first: no database calls once the browser runs)
    urls = public_pages()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()

    # when axe-core checks each public page
    found, minor = {}, {}
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        report = axe_run(page)
        assert report["version"].startswith("4.") and report["passed"] > 10, report  # axe really ran
        minor[url] = [v["id"] for v in report["violations"] if v["impact"] not in ("serious", "critical")]
        bad = serious(report)
        if bad:
            found[url] = bad
    context.close()

    # then none has a serious or critical violation (minor and moderate ones are printed for the record)
    print("axe minor/moderate:", {url: ids for url, ids in minor.items() if ids})
    assert found == {}
