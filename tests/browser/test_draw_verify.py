"""The draw re-verified in a real Chromium: WebCrypto recomputes the proof and each check turns ✓ or ✗."""

import copy
import json
from importlib import import_module

import pytest
from django.apps import apps

from tests.factories import AgencyFactory, stored_draw_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def default_data_ensure() -> None:
    """Re-load the shipped regions and categories (idempotent) that the factories need.

    Once Playwright's sync API has started, an event loop counts as running in this thread, so
    Django hands out new async-local connection objects that lack the serialized copy of the
    migrated data: ``serialized_rollback`` then restores nothing after an earlier transactional
    test's flush. Reported to the lead with a fix for tests/conftest.py; this keeps these tests
    independent of test order until then.
    """
    import_module("marketplace.migrations.0002_default_data").load(apps, None)


def checks_of(page) -> dict[str, str]:
    """The in-browser check list once the script has finished: {check code: "ok" | "bad"}."""
    page.wait_for_selector("#draw-browser-check[data-result]")
    rows = page.locator("#draw-browser-check tr[data-check]")
    return {
        rows.nth(i).get_attribute("data-check"): rows.nth(i).get_attribute("data-state") for i in range(rows.count())
    }


def test_draw_page_recomputes_the_ranking_in_the_browser(live_server, browser):
    # given an awarded draw over seven real agencies, with a beacon
    default_data_ensure()
    project = stored_draw_project(agencies=[AgencyFactory() for _ in range(7)], beacon="2026-05-01 开奖 03 07 12")
    proof = project.draw_proof
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()

    # when anyone opens the project's draw page
    page.goto(f"/draws/{project.code}/")

    # then every check the browser makes turns ✓ ...
    checks = checks_of(page)
    assert checks == dict.fromkeys(
        ("version", "format", "commitment", "announced", "project", "beacon", "pool_hash", "seed", "ranking"), "ok"
    )
    assert page.locator("#draw-browser-check").get_attribute("data-result") == "ok"
    marks = page.locator("#draw-browser-check tr[data-check] [data-role=mark]").all_inner_texts()
    assert marks == ["✓"] * len(checks)
    # ... and the ranking it recomputed is the server's, in order, with each agency's HMAC key shown
    recomputed = page.locator("#draw-browser-check tbody[data-role=recomputed] tr")
    server = page.locator("tbody[data-role=server-ranking] tr")
    recomputed_usccs = [recomputed.nth(i).get_attribute("data-uscc") for i in range(recomputed.count())]
    assert recomputed_usccs == [server.nth(i).get_attribute("data-uscc") for i in range(server.count())]
    assert recomputed_usccs == proof["ranking"]
    assert page.locator("#draw-browser-check [data-role=ranking-block]").is_visible()
    assert len(recomputed.nth(0).locator("td").nth(3).inner_text()) == 64
    context.close()


def test_a_tampered_proof_pasted_on_the_verify_page_shows_a_cross(live_server, browser):
    # given a real proof whose beacon was changed after the draw
    default_data_ensure()
    project = stored_draw_project(agencies=[AgencyFactory() for _ in range(8)])
    tampered = copy.deepcopy(project.draw_proof)
    tampered["beacon"] = "a beacon announced after sign-up closed"
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()

    # when it is pasted on the public verifier together with the announced commitment
    page.goto("/draws/verify/")
    page.get_by_label("证明 JSON").fill(json.dumps(tampered, ensure_ascii=False))
    page.get_by_label("公告中的承诺值（可选）").fill(project.draw_commitment)
    page.get_by_role("button", name="验证").click()

    # then the server says why it fails ...
    assert page.locator("[data-server-result]").get_attribute("data-server-result") == "bad"
    assert "种子不符" in page.locator("#server-check").inner_text()
    # ... and the browser's own recomputation shows ✗ exactly where the proof was changed
    checks = checks_of(page)
    assert page.locator("#draw-browser-check").get_attribute("data-result") == "bad"
    assert checks["seed"] == "bad" and checks["ranking"] == "bad"
    assert {checks[c] for c in ("version", "format", "commitment", "announced", "pool_hash")} == {"ok"}
    assert page.locator('#draw-browser-check tr[data-check="seed"] [data-role=mark]').inner_text() == "✗"
    context.close()
