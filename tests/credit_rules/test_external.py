"""External dishonesty lists: a file imports whole or not at all, and the gate keeps listed agencies out."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from django.utils import timezone

from credit_rules import gate
from credit_rules.external import ImportRejected, listings_import, parse_listings
from credit_rules.models import ExternalListImport, ExternalListing
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import LISTING_HEADER, AgencyFactory, applicant, listing_csv, listing_row
from workflows.models import Membership
from workflows.services import membership as membership_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

COURT = "最高人民法院失信被执行人名单"
TAX = "重大税收违法失信主体名单"


def code(serial: int) -> str:
    return uscc_build(region_code="441302", org_code=org_code_for_serial(serial, "EX"))


def bad_check_character(serial: int) -> str:
    good = code(serial)
    return good[:17] + ("0" if good[17] != "0" else "1")


def test_a_good_csv_imports_every_row():
    # given a CSV (with a spreadsheet's BOM) naming two organisations, one already delisted
    content = (
        "\ufeff"
        + LISTING_HEADER
        + f"{code(1)},惠州甲咨询有限公司,未履行生效判决,{COURT},2025-11-03,\n"
        + f"{code(2)},惠州乙评估有限公司,欠缴税款,{TAX},2024-02-01,2025-01-15\n"
    ).encode()
    before = ExternalListing.objects.count()
    # when it is imported
    batch, usccs = listings_import(content=content, filename="失信名单.csv")
    # then both rows are stored with the file's digest
    assert usccs == {code(1), code(2)}
    assert (batch.rows, batch.sha256, batch.filename) == (2, hashlib.sha256(content).hexdigest(), "失信名单.csv")
    assert ExternalListing.objects.count() == before + 2
    first = ExternalListing.objects.get(uscc=code(1))
    assert (first.source, first.listed_on, first.delisted_on) == (COURT, datetime.date(2025, 11, 3), None)
    assert ExternalListing.objects.get(uscc=code(2)).delisted_on == datetime.date(2025, 1, 15)


def test_a_good_json_imports_every_row_in_either_shape():
    items = [
        {
            "uscc": code(3),
            "name": "惠州丙设计有限公司",
            "reason": "虚假承诺",
            "source": COURT,
            "listed_on": "2025-06-30",
        },
        {
            "uscc": code(4).lower(),
            "name": "惠州丁测绘有限公司",
            "reason": "拒不履行",
            "source": COURT,
            "listed_on": "2025-07-01",
            "delisted_on": None,
        },
    ]
    batch, usccs = listings_import(content=json.dumps(items, ensure_ascii=False).encode(), filename="list.json")
    assert batch.rows == 2 and usccs == {code(3), code(4)}, "codes are normalised to upper case"
    wrapped = {"items": [{**items[0], "source": TAX}]}
    batch, _ = listings_import(content=json.dumps(wrapped).encode(), filename="LIST.JSON")
    assert batch.rows == 1
    assert ExternalListing.objects.filter(uscc=code(3)).count() == 2


def test_a_file_with_bad_rows_reports_every_error_by_line_and_imports_nothing():
    # given a CSV whose rows 3-7 are each wrong in one way (row 2 is fine)
    content = (
        LISTING_HEADER
        + f"{code(5)},惠州戊咨询有限公司,未履行生效判决,{COURT},2025-11-03,\n"  # line 2: fine
        + f"{bad_check_character(6)},惠州己咨询有限公司,未履行生效判决,{COURT},2025-11-03,\n"  # 3: check character
        + f"{code(7)},惠州庚咨询有限公司,,{COURT},2025-11-03,\n"  # 4: no reason
        + f"{code(8)},惠州辛咨询有限公司,未履行生效判决,{COURT},2025/11/03,\n"  # 5: date format
        + f"{code(9)},惠州壬咨询有限公司,未履行生效判决,{COURT},2025-11-03,2025-10-01\n"  # 6: delisted before listed
        + f"{code(5)},惠州戊咨询有限公司,未履行生效判决,{COURT},2025-11-03,\n"  # 7: duplicate of line 2
    ).encode()
    listings, imports = ExternalListing.objects.count(), ExternalListImport.objects.count()
    # when it is imported
    with pytest.raises(ImportRejected) as rejected:
        listings_import(content=content, filename="bad.csv")
    # then every problem is reported with its line and field
    found = {(e.line, e.field) for e in rejected.value.errors}
    assert found == {(3, "uscc"), (4, "reason"), (5, "listed_on"), (6, "delisted_on"), (7, "uscc")}
    messages = {e.line: str(e) for e in rejected.value.errors}
    assert "第 3 行" in messages[3] and "校验位" in messages[3]
    assert "2025/11/03" in messages[5]
    # and nothing at all was written, not even the good row or the batch
    assert ExternalListing.objects.count() == listings
    assert ExternalListImport.objects.count() == imports
    assert not ExternalListing.objects.filter(uscc=code(5)).exists()


def test_bad_json_items_are_reported_by_item_number():
    items = [
        {"uscc": code(10), "name": "惠州癸咨询有限公司", "reason": "失信", "source": COURT, "listed_on": "2025-01-01"},
        {"uscc": code(11), "name": "", "reason": "失信", "source": COURT, "listed_on": "2025-01-01"},
        "not an object",
    ]
    with pytest.raises(ImportRejected) as rejected:
        parse_listings(json.dumps(items).encode(), "list.json")
    lines = {(e.line, e.field) for e in rejected.value.errors}
    assert (2, "name") in lines
    assert {f for line, f in lines if line == 3} == {"uscc", "name", "reason", "source", "listed_on"}
    assert not any(line == 1 for line, _ in lines)


@pytest.mark.parametrize(
    ("content", "filename", "field"),
    [
        (b"uscc,name\n", "list.csv", "表头"),
        (b"{not json", "list.json", "JSON"),
        (b"uscc,name", "list.xlsx", "文件"),
        ("uscc,name,reason,source,listed_on\n".encode("gbk") + "惠州".encode("gbk"), "list.csv", "文件"),
        # Found by tests/site/test_junk_input.py: both answered 500 (RecursionError, csv.Error).
        (b"[" * 10_000 + b"]" * 10_000, "list.json", "JSON"),
        (LISTING_HEADER.encode() + b'"' + b"x" * 200_000 + b'",a,b,c,2026-01-01\n', "list.csv", "CSV"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content, filename, field):
    with pytest.raises(ImportRejected) as rejected:
        parse_listings(content, filename)
    assert [e.field for e in rejected.value.errors] == [field]


def listed_csv(agency, *, delisted_on: datetime.date | None = None) -> bytes:
    return listing_csv(
        listing_row(agency, reason="未履行生效判决", source=COURT, listed_on="2025-11-03", delisted_on=delisted_on)
    )


def test_a_listed_agency_is_refused_entry_and_sign_up_until_delisted():
    # given an applicant on the court's list
    agency, membership, user = applicant()
    listings_import(content=listed_csv(agency), filename="court.csv")
    # when it submits its application, the gate refuses it with CR-ONB-001 and the application stays a draft
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert not result.ok
    assert [r.rule_code for r in result.refusals] == ["CR-ONB-001"]
    assert COURT in result.refusals[0].message
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.DRAFT
    # and a sign-up would be refused with CR-SEL-003
    signup = gate.evaluate(agency, "signup.submit", context={"member_state": "active"})
    assert [r.rule_code for r in signup.refusals] == ["CR-SEL-003"]
    # when a later file says it was delisted today
    listings_import(content=listed_csv(agency, delisted_on=timezone.localdate()), filename="court-2.csv")
    assert ExternalListing.objects.filter(uscc=agency.uscc).count() == 1, "the same listing is updated"
    # then both are allowed again
    assert gate.evaluate(agency, "signup.submit", context={"member_state": "active"}).allowed
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok, result.messages
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.SUBMITTED


def test_a_listing_counts_only_from_its_date():
    agency = AgencyFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    content = (LISTING_HEADER + f"{agency.uscc},{agency.name},未履行生效判决,{COURT},{tomorrow},\n").encode()
    listings_import(content=content, filename="future.csv")
    assert gate.evaluate(agency, "membership.submit").allowed
    later = timezone.now() + datetime.timedelta(days=2)
    assert [r.rule_code for r in gate.evaluate(agency, "membership.submit", at=later).refusals] == ["CR-ONB-001"]
