"""Shared fixtures: real Chromium through Playwright, PostgreSQL-, broker- and Redis-only markers, a
private media folder per test, and a fresh credit-policy cache.

Plain helpers are in ``tests.helpers``; builders of people and states in ``tests.factories``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis: one profile for every run, CI's included. 200 examples unless a test says fewer (the state
# machines take the profile's number), no deadline (SQLite on a shared 2-core machine is not a clock), and a
# saved example database, so a failure found once is replayed first by every later run on the same checkout.
# The directory is gitignored: a CI run starts from a clean clone and would find nothing there anyway, its
# entries are keyed by a digest of each test's source (stale after any edit) and rewritten on every run, so
# committed they would only churn and conflict between branches. A failure worth keeping becomes a plain
# regression test, and hypothesis prints the falsifying example (and how to reproduce it) in the CI log.
HYPOTHESIS_EXAMPLES = Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"
hypothesis_settings.register_profile(
    "ci", max_examples=200, deadline=None, database=DirectoryBasedExampleDatabase(HYPOTHESIS_EXAMPLES)
)
# The second CI pass (PostgreSQL) repeats the suite for the engine's sake, not for more examples: fewer there.
hypothesis_settings.register_profile("postgres", parent=hypothesis_settings.get_profile("ci"), max_examples=50)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


def _required(name: str) -> bool:
    return os.environ.get(name, "").strip() in {"1", "true", "yes"}


def _vendor() -> str:
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL- and broker-only tests where the engine is absent, unless it is required."""
    on_postgres = _vendor() == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "")
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            if _required("REQUIRE_POSTGRES"):
                item.add_marker(pytest.mark.usefixtures("_fail_missing_postgres"))
            else:
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://…"))
        if item.get_closest_marker("broker") and not broker:
            if _required("REQUIRE_POSTGRES"):
                item.add_marker(pytest.mark.usefixtures("_fail_missing_broker"))
            else:
                item.add_marker(pytest.mark.skip(reason="needs a Celery broker: set CELERY_BROKER_URL=redis://…"))
        if item.get_closest_marker("redis") and not redis_url():
            if _required("REQUIRE_POSTGRES"):
                item.add_marker(pytest.mark.usefixtures("_fail_missing_redis"))
            else:
                item.add_marker(pytest.mark.skip(reason="needs Redis: set CACHE_URL=redis://… or a redis:// broker"))


@pytest.fixture
def _fail_missing_postgres():
    pytest.fail("REQUIRE_POSTGRES=1 is set but the test database is not PostgreSQL (set DATABASE_URL).")


def redis_url() -> str:
    """The Redis server the environment names (the cache's, else a redis:// broker's), or ''."""
    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("redis://", "rediss://")):
            return url
    return ""


@pytest.fixture
def _fail_missing_redis():
    pytest.fail("REQUIRE_POSTGRES=1 is set but no Redis is named (CACHE_URL or a redis:// CELERY_BROKER_URL).")


@pytest.fixture
def _fail_missing_broker():
    pytest.fail("REQUIRE_POSTGRES=1 is set but CELERY_BROKER_URL is not: the broker tests must run.")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Every test writes uploads to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield


@pytest.fixture(autouse=True)
def _cache_reset():
    """The database rolls back after each test but the cache does not: a page cached by one test (the
    anonymous home page, say) would be served to the next without rendering. Every test starts empty."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in English leaves English active in the thread that served it: every test starts over
    in the site's language, whatever ran before it on the same worker."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def fresh_policy_cache():
    """The per-process credit-policy cache emptied before and after the test (tests that publish or
    read policy versions must not see another test's)."""
    from credit_rules.policy import policy_cache_clear

    policy_cache_clear()
    yield
    policy_cache_clear()


@pytest.fixture
def browser(live_server, transactional_db):
    """A headless Debian Chromium driven by Playwright; skipped (or failed, if required) when absent.

    Function-scoped on purpose: while Playwright's sync API is active its event loop counts as
    running in this thread, and Django then hands out context-local database connections. Starting
    it after the test database is ready (and stopping it before teardown) keeps pytest-django's
    setup, serialized rollback and flush on the ordinary connections.
    """
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        if _required("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # The ORM calls tests make between page steps are plain synchronous code on their own
    # connection; Django's async guard would refuse them while Playwright's loop is registered.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            violations = csp_violations_watch(chromium)
            try:
                yield chromium
            finally:
                chromium.close()
                connections.close_all()  # the in-loop connections, before the loop goes away
            assert not violations, f"the Content-Security-Policy refused something: {violations}"
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) pointed at the live server, in simplified Chinese."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


def csp_violations_watch(chromium) -> list[str]:
    """Collect what the Content-Security-Policy refused on every page of every context of ``chromium``.

    Chromium reports each refusal (an inline script or style without the nonce, a foreign source) on
    the console; the browser fixture fails a test on any, so a page that only works with the policy
    off cannot pass.
    """
    seen: list[str] = []
    new_context = chromium.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)

        def on_page(pg):
            def on_console(message):
                if "Content Security Policy" in message.text:
                    seen.append(f"{pg.url}: {message.text}")

            pg.on("console", on_console)

        context.on("page", on_page)
        return context

    chromium.new_context = watched_context
    return seen
