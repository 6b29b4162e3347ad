"""The buyer units' public government-integrity pages (政务诚信): the directory and each unit's record —
content (dates, rule, basis, project code, counts by kind, warnings in force), privacy, query budgets, and
both languages.

The records are written here as the buyer rules write them (``event_record`` with the rule's code and the
project in the evidence); how the sweeps come to write them is tested in
tests/workflows/services/credit/test_buyer_integrity.py.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit_rules.buyer_record import buyer_failures_since_warning
from credit_rules.models import LedgerEntry, Source
from credit_rules.policy import policy_at
from credit_rules.rules import REGISTRY
from credit_rules.rules.base import code_of
from credit_rules.rules.buyer import acceptance_late, contract_unsigned, failures_warn, rating_missed
from credit_rules.rules.service import late_payment
from credit_rules.services import entry_neutralise, event_record, subject_for_buyer
from tests.factories import BuyerUnitFactory, buyer_user
from tests.helpers import page_text, query_count

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

DAY = datetime.timedelta(days=1)
PERSONAL = ("联系人甄秘密", "13912345678", "采购员卞不公开")
FAILURES = {
    "BUYER_LATE_PAYMENT": late_payment,
    "BUYER_CONTRACT_LATE": contract_unsigned,
    "BUYER_ACCEPTANCE_LATE": acceptance_late,
    "BUYER_RATING_MISSED": rating_missed,
}


def record(unit, code: str, *, project: str = "ZJCS-2026-000101", days_ago: float = 10) -> LedgerEntry:
    """A record of the buyer unit as its rule writes it: the rule's code, basis and summary, the project."""
    rule = FAILURES.get(code, failures_warn)
    return event_record(
        subject=subject_for_buyer(unit),
        code=code,
        source=Source.RULE,
        rule_code=code_of(rule),
        basis=str(REGISTRY[code_of(rule)].basis),
        evidence={"summary": f"项目 {project} 的记录", "project": project},
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )


@pytest.fixture
def unit():
    return BuyerUnitFactory(
        name="惠州市测试住房和城乡建设局",
        supervising_department="惠州市人民政府",
        contact_name=PERSONAL[0],
        contact_phone=PERSONAL[1],
    )


def test_the_record_page_shows_each_record_with_date_rule_basis_and_project(client, unit):
    # given a unit with a late payment, a contract left unsigned and a warning, and one record later repaired
    paid_late = record(unit, "BUYER_LATE_PAYMENT", project="ZJCS-2026-000101", days_ago=30)
    record(unit, "BUYER_CONTRACT_LATE", project="ZJCS-2026-000102", days_ago=20)
    repaired = record(unit, "BUYER_RATING_MISSED", project="ZJCS-2026-000103", days_ago=15)
    entry_neutralise(entry=repaired, reason=LedgerEntry.Reason.OVERTURNED)
    warning = record(unit, "BUYER_WARNING", project="", days_ago=5)

    # when the public reads the unit's page
    response = client.get(reverse("buyer-record", args=[unit.uscc]))
    text = page_text(response)

    # then the unit is named with its USCC and supervising department
    assert response.status_code == 200
    assert unit.name in text and unit.uscc in text and "惠州市人民政府" in text
    # and every record shows its date, rule code, basis and project code (linked to the project's public page)
    assert timezone.localtime(paid_late.effective_at).date().isoformat() in text
    for rule, project in ((late_payment, "ZJCS-2026-000101"), (contract_unsigned, "ZJCS-2026-000102")):
        assert code_of(rule) in text
        assert reverse("project-public", args=[project]) in text
    assert "保障中小企业款项支付条例" in text  # the late payment's basis
    assert "社会信用体系建设规划纲要" in text  # the contract record's basis
    # and the overturned one stands as such, counted but not in force
    assert "已撤销" in text
    counts = {c.code: (c.total, c.in_force) for c in response.context["record"].counts}
    assert counts == {
        "BUYER_LATE_PAYMENT": (1, 1),
        "BUYER_CONTRACT_LATE": (1, 1),
        "BUYER_RATING_MISSED": (1, 0),
        "BUYER_WARNING": (1, 1),
    }
    # and the warning in force is shown apart, told to the supervising department
    assert [r.entry.pk for r in response.context["record"].warnings] == [warning.pk]
    assert "信用警告已同时告知主管部门：惠州市人民政府" in text


def test_a_unit_without_records_has_an_empty_page_and_an_unknown_one_is_404(client, unit):
    text = page_text(client.get(reverse("buyer-record", args=[unit.uscc])))
    assert "暂无政务诚信记录" in text and "目前没有生效的信用警告" in text
    assert client.get(reverse("buyer-record", args=["91441300MA00000000"])).status_code == 404


def test_the_directory_counts_failures_and_warnings_in_force_and_searches(client, unit):
    other = BuyerUnitFactory(name="惠州市测试教育局")
    record(unit, "BUYER_LATE_PAYMENT")
    record(unit, "BUYER_ACCEPTANCE_LATE")
    record(unit, "BUYER_WARNING")
    record(unit, "BUYER_RATING_MISSED", days_ago=800)  # past the record's period: no longer in force
    response = client.get(reverse("buyer-directory"))
    rows = {u.pk: (u.failures, u.warnings) for u in response.context["page_obj"].object_list}
    assert rows[unit.pk] == (2, 1) and rows[other.pk] == (0, 0)
    assert reverse("buyer-record", args=[unit.uscc]) in response.content.decode()
    found = client.get(reverse("buyer-directory"), {"q": "教育"}).context["page_obj"].object_list
    assert [u.pk for u in found] == [other.pk]


def test_no_personal_data_on_the_buyer_pages(client, unit):
    # given a unit with a contact person and phone, and a record written by a named clerk
    clerk = buyer_user(unit)
    clerk.first_name = clerk.last_name = PERSONAL[2]
    clerk.save()
    record(unit, "BUYER_LATE_PAYMENT")
    pages = [reverse("buyer-directory"), reverse("buyer-record", args=[unit.uscc])]
    with CaptureQueriesContext(connection) as ctx:
        bodies = {url: client.get(url).content.decode() for url in pages}
    # then the unit appears, persons never do, and their columns are not even loaded
    for url, body in bodies.items():
        assert unit.name in body
        for secret in PERSONAL:
            assert secret not in body, f"{secret} leaked on {url}"
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for column in ("contact_name", "contact_phone", "first_name", "last_name"):
        assert column not in sql


RECORD_BUDGET = 3  # the unit (with its subject), its records, their follow-ups
DIRECTORY_BUDGET = 2  # count, page (counts as subqueries)


def test_the_record_page_has_a_fixed_query_budget(client, unit):
    url = reverse("buyer-record", args=[unit.uscc])
    policy_at()  # the per-process policy cache is warm in a running site
    record(unit, "BUYER_LATE_PAYMENT")
    one = query_count(client, url)
    for i in range(30):
        entry = record(unit, list(FAILURES)[i % 4], project=f"ZJCS-2026-{i:06d}", days_ago=i + 1)
        if i % 5 == 0:
            entry_neutralise(entry=entry, reason=LedgerEntry.Reason.REPAIRED)
    record(unit, "BUYER_WARNING")
    assert query_count(client, url) == one <= RECORD_BUDGET


def test_the_directory_has_a_fixed_query_budget(client, unit):
    url = reverse("buyer-directory")
    policy_at()
    record(unit, "BUYER_LATE_PAYMENT")
    one = query_count(client, url)
    for _ in range(30):
        more = BuyerUnitFactory()
        record(more, "BUYER_CONTRACT_LATE")
        record(more, "BUYER_WARNING")
    assert query_count(client, url) == one <= DIRECTORY_BUDGET
    assert query_count(client, url, {"q": "惠州", "page": "2"}) == one


def test_the_buyer_pages_render_in_english(client, unit):
    record(unit, "BUYER_LATE_PAYMENT")
    record(unit, "BUYER_WARNING")
    urls = [reverse("buyer-directory"), reverse("buyer-record", args=[unit.uscc])]
    for url in urls:
        assert "政务诚信" in client.get(url).content.decode()
    client.cookies["zjcs_language"] = "en"
    directory = page_text(client.get(urls[0]))
    assert '<html lang="en">' in directory and "Government integrity of buyers" in directory
    profile = page_text(client.get(urls[1]))
    assert "Warnings in force" in profile and "Records by kind" in profile
    assert "Late payment of service fees (buyer)" in profile  # the kind's English name from the policy
    assert "Credit warning (government integrity)" in profile


def test_the_count_for_the_warning_starts_again_after_each_warning_and_keeps_to_the_window(unit):
    subject = subject_for_buyer(unit)
    now = timezone.now()
    record(unit, "BUYER_LATE_PAYMENT", days_ago=500)  # outside the 12-month window
    record(unit, "BUYER_LATE_PAYMENT", days_ago=50)
    record(unit, "BUYER_CONTRACT_LATE", days_ago=40)
    assert buyer_failures_since_warning(subject, now) == 2
    record(unit, "BUYER_WARNING", days_ago=30)
    assert buyer_failures_since_warning(subject, now) == 0
    overturned = record(unit, "BUYER_RATING_MISSED", days_ago=20)
    record(unit, "BUYER_ACCEPTANCE_LATE", days_ago=10)
    entry_neutralise(entry=overturned, reason=LedgerEntry.Reason.OVERTURNED)
    assert buyer_failures_since_warning(subject, timezone.now()) == 1
    # and as of a moment before the warning, the count is what it was then
    assert buyer_failures_since_warning(subject, now - 35 * DAY) == 2
