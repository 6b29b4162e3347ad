"""A supervisor opens a draft credit policy in a real Chromium, runs the what-if (政策试算) and downloads its CSV."""

import csv

import pytest

from credit_rules.policy import policy_at, policy_draft_from
from credit_rules.services import subject_for_agency
from tests.factories import AgencyFactory, supervisor_user

from .flows import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("fresh_policy_cache"),
]


@pytest.fixture(autouse=True)
def _serialized_rollback_inside_playwright(browser, transactional_db):
    """Restore the migrated default data when serialized_rollback could not.

    While Playwright's event loop runs in this thread, Django's connections are context-local: when
    the test database was set up before the browser started (a non-browser test ran first), the
    serialized data sits on the sync-side connection and the in-loop one restores nothing after an
    earlier transactional test flushed the tables. Hand the data over and restore it here.
    """
    from django.db import connections

    sync_side = object.__getattribute__(connections._connections, "_storage")
    for alias in connections:
        in_loop = connections[alias]
        contents = getattr(getattr(sync_side, alias, None), "_test_serialized_contents", None)
        if contents and not hasattr(in_loop, "_test_serialized_contents"):
            in_loop._test_serialized_contents = contents
            in_loop.creation.deserialize_db_from_string(contents)


def test_supervisor_runs_the_whatif_of_a_draft_and_downloads_the_csv(page, tmp_path):
    # given two agencies at the base score (grade A) and a draft under which that is grade B
    agencies = [AgencyFactory(name=name) for name in ("惠州试算甲咨询有限公司", "惠州试算乙咨询有限公司")]
    for agency in agencies:
        subject_for_agency(agency)
    draft = policy_draft_from(base=policy_at().version, note="提高 A 级线")
    draft.grade_a_min, draft.grade_b_min = 101, 95
    draft.save()
    supervisor_user(username="sup_whatif")

    # when the supervisor goes from the work queue to the what-if and tries the draft
    log_in(page, "sup_whatif")
    page.goto("/supervisor/")
    page.get_by_role("link", name="政策试算").click()
    assert page.locator("h1").inner_text() == "政策试算"
    assert "提高 A 级线" in page.get_by_test_id("drafts").inner_text()
    page.get_by_role("combobox", name="政策草稿").select_option(str(draft.version))
    page.get_by_role("button", name="试算").click()

    # then it sees both agencies moving from A to B, in the counts, the matrix and the list
    assert page.get_by_test_id("count-grade").inner_text() == "2"
    matrix = page.get_by_test_id("whatif-matrix")
    assert matrix.locator("tbody tr").first.locator("td").all_inner_texts() == ["0", "2", "0", "0"]  # row A
    rows = page.get_by_test_id("whatif-rows").inner_text()
    for agency in agencies:
        assert agency.name in rows and agency.uscc in rows
    assert page.get_by_role("button", name="发布此版本").count() == 0, "a supervisor does not publish"

    # and downloads the same list as CSV
    with page.expect_download() as download:
        page.get_by_test_id("whatif-csv").click()
    path = tmp_path / "whatif.csv"
    download.value.save_as(path)
    with path.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    assert lines[0][0] == "统一社会信用代码"
    assert sorted((line[0], line[3], line[5]) for line in lines[1:]) == sorted((a.uscc, "A", "B") for a in agencies)
