"""OCDS 1.1: every project's releases and records validate, compile as the community's tools compile them,
flatten to a spreadsheet, keep bidders sealed until the close and persons out, and say why credit refused."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import flattentool
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft4Validator
from ocdskit.combine import merge

from credit_rules.rules.base import REGISTRY
from marketplace.models import Agency, BuyerUnit
from opendata.ocds import packages
from opendata.ocds.loading import published_projects
from opendata.ocds.mapping import ocid_for
from tests.factories.credit import suspended_member
from tests.factories.people import buyer_user
from tests.factories.procurement import (
    accepted_engagement,
    agencies,
    awarded_project,
    project_row,
    published_project,
    signup_closed,
    signups_submit,
    winner_of,
)
from tests.opendata.ocds_tools import (
    MERGER,
    RELEASE_SCHEMA,
    SCHEMA_DIR,
    record_package_errors,
    release_package_errors,
)
from workflows.models import Payment, Project
from workflows.services.delivery import payments as payment_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db
DOC = Path(settings.BASE_DIR) / "docs" / "ocds.md"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def get_json(client, name: str, **kwargs) -> dict:
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, response.content[:300]
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


def releases_of(client, project: Project) -> list[dict]:
    return get_json(client, "ocds-release-package", ocid=ocid_for(project.code))["releases"]


def refusal_schema() -> dict:
    """The extension's JSON schema as docs/ocds.md publishes it."""
    block = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return json.loads(block.group(1))


def ocdskit_compiled(package: dict) -> dict:
    (record_package,) = merge([package], schema=RELEASE_SCHEMA, return_package=True)
    (record,) = record_package["records"]
    return record["compiledRelease"]


def test_every_demo_project_validates_compiles_and_flattens(client, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    projects = list(published_projects().order_by("pk"))
    states = {p.state for p in projects}
    assert {"closed", "failed", "awarded", "cancelled", "open", "accepted"} <= states
    persons = [
        v
        for org in [*Agency.objects.all(), *BuyerUnit.objects.all()]
        for v in (org.contact_name, org.contact_phone)
        if v
    ]
    persons += [a.legal_representative for a in Agency.objects.exclude(legal_representative="")]
    tags_seen = set()
    for project in projects:
        package = get_json(client, "ocds-release-package", ocid=ocid_for(project.code))
        assert release_package_errors(package) == [], project.code
        records = get_json(client, "ocds-record-package", ocid=ocid_for(project.code))
        assert record_package_errors(records) == [], project.code
        (record,) = records["records"]
        assert record["releases"] == package["releases"]
        assert MERGER.create_compiled_release(package["releases"]) == record["compiledRelease"]
        assert ocdskit_compiled(package) == record["compiledRelease"]
        ids = [r["id"] for r in package["releases"]]
        assert len(set(ids)) == len(ids) and all(i.startswith(ocid_for(project.code) + "-") for i in ids)
        text = json.dumps(records, ensure_ascii=False)
        assert not [p for p in persons if p in text], project.code
        assert "contactPoint" not in text
        tags_seen |= {r["tag"][0] for r in package["releases"]}
        compiled = record["compiledRelease"]
        if project.state == Project.State.OPEN:  # before the close: no bidder, quote or refusal
            assert [r["tag"] for r in package["releases"]] == [["tender"]]
            assert not ({"tenderers", "numberOfTenderers", "zjcs_creditRefusals"} & set(compiled["tender"]))
            assert "awards" not in compiled
        if project.state == Project.State.CANCELLED:
            assert compiled["tender"]["status"] == "cancelled"
            assert compiled["tender"]["zjcs_statusReason"] == project.cancel_reason
        if project.state == Project.State.FAILED:
            assert compiled["tender"]["status"] == "unsuccessful"
        if project.state == Project.State.CLOSED:
            payment = Payment.objects.get(engagement__project=project)
            (contract,) = compiled["contracts"]
            (paid,) = contract["implementation"]["transactions"]
            assert Decimal(str(paid["value"]["amount"])) == payment.amount
            assert contract["status"] == "terminated"
        if project.method == Project.Method.DRAW and project.draw_proof:
            (award,) = compiled["awards"]
            proof_url = award["documents"][0]["url"]
            assert proof_url.endswith(reverse("draw-proof-json", kwargs={"code": project.code}))
            assert client.get(proof_url.removeprefix(settings.WAGTAILADMIN_BASE_URL)).status_code == 200
    assert {"tender", "tenderUpdate", "award", "awardUpdate", "contract", "implementation"} <= tags_seen
    assert {"tenderCancellation", "contractTermination"} <= tags_seen

    months = packages.months()
    assert sum(m["projects"] for m in months) == len(projects)
    index = client.get(reverse("ocds-index"))
    assert index.status_code == 200
    compiled_all = []
    for month in months:
        assert reverse("ocds-bulk-month", kwargs={"month": month["month"]}) in index.content.decode()
        bulk = get_json(client, "ocds-bulk-month", month=month["month"])
        assert release_package_errors(bulk) == []
        assert all(r["tag"] == ["compiled"] for r in bulk["releases"])
        compiled_all += bulk["releases"]
    assert len(compiled_all) == len(projects)

    stream = client.get(reverse("ocds-bulk-compiled"))
    assert stream.streaming and stream["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in b"".join(stream.streaming_content).decode().splitlines()]
    assert sorted(lines, key=lambda r: r["ocid"]) == sorted(compiled_all, key=lambda r: r["ocid"])

    # analysts open a month file as a spreadsheet: flatten-tool with the vendored schema
    source = tmp_path / "month.json"
    source.write_text(json.dumps(get_json(client, "ocds-bulk-month", month=months[0]["month"]), ensure_ascii=False))
    flattentool.flatten(
        str(source),
        schema=str(SCHEMA_DIR / "release-schema.json"),
        output_name=str(tmp_path / "flat"),
        output_format="csv",
        main_sheet_name="releases",
        root_list_path="releases",
        root_id="ocid",
    )
    with open(tmp_path / "flat" / "releases.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["ocid"] for r in rows) == sorted(
        ocid_for(p.code) for p in projects if timezone.localtime(p.published_at).strftime("%Y-%m") == months[0]["month"]
    )
    assert {"tender/title", "tender/procurementMethodDetails", "buyer/id"} <= set(rows[0])
    assert (tmp_path / "flat" / "parties.csv").exists()


def test_bidders_quotes_and_refusals_stay_sealed_until_the_close(client):
    pool = agencies(3)
    project = published_project("draw")
    signups_submit(project, pool)
    refused_agency, refused_user = suspended_member()
    outcome = signup_services.signup_submit(project=project, agency=refused_agency, actor=refused_user, quote="50000")
    assert not outcome.ok

    before = releases_of(client, project)
    assert [r["tag"] for r in before] == [["tender"]]
    text = json.dumps(before, ensure_ascii=False)
    assert not [a for a, _u in pool if a.uscc in text] and refused_agency.uscc not in text
    assert "zjcs_creditRefusals" not in text and "tenderers" not in text

    signup_closed(project)
    after = releases_of(client, project)
    assert after[0] == before[0]  # a release never changes once published
    close = next(r for r in after if r["id"].endswith("-close"))
    assert close["date"] <= next(r["date"] for r in after if r["tag"] == ["award"])
    assert close["tender"]["numberOfTenderers"] == 3
    assert {t["id"] for t in close["tender"]["tenderers"]} == {f"CN-USCI-{a.uscc}" for a, _u in pool}
    (refusal,) = close["tender"]["zjcs_creditRefusals"]
    Draft4Validator(refusal_schema(), format_checker=Draft4Validator.FORMAT_CHECKER).validate([refusal])
    assert refusal["tenderer"]["id"] == f"CN-USCI-{refused_agency.uscc}" and refusal["step"] == "signup.submit"
    assert refusal["reasons"] and all(r["ruleCode"] in REGISTRY and r["basis"] for r in refusal["reasons"])
    assert outcome.refusals[0].rule_code in [r["ruleCode"] for r in refusal["reasons"]]
    refused_party = next(p for p in close["parties"] if p["id"] == refusal["tenderer"]["id"])
    assert refused_party["roles"] == ["interestedParty"]
    package = get_json(client, "ocds-release-package", ocid=ocid_for(project.code))
    assert release_package_errors(package) == []
    _m = MERGER.create_compiled_release(package["releases"])
    _o = packages.record_package(project)["records"][0]["compiledRelease"]
    print(json.dumps(_m["tender"], ensure_ascii=False, indent=1))
    print(json.dumps(_o["tender"], ensure_ascii=False, indent=1))
    assert (
        MERGER.create_compiled_release(package["releases"])
        == packages.record_package(project)["records"][0]["compiledRelease"]
    )


def test_a_project_cancelled_before_its_close_never_shows_its_bidders(client):
    pool = agencies(2)
    project = published_project("price")
    signups_submit(project, pool, ["50000", "52000"])
    assert project_services.project_cancel(project=project, actor=buyer_user(project.buyer), reason="规划调整").ok
    releases = releases_of(client, project)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderCancellation"]]
    assert releases[-1]["tender"]["status"] == "cancelled"
    assert releases[-1]["tender"]["zjcs_statusReason"] == "规划调整"
    text = json.dumps(releases, ensure_ascii=False)
    assert not [a for a, _u in pool if a.uscc in text]


def test_releases_are_stable_and_payments_come_as_implementation(client, django_assert_max_num_queries, settings):
    settings.ZJCS_TIME_SCALE = 300_000  # the real order of events: close, award, contract, payment
    deal = accepted_engagement("price", wait=True)
    earlier = releases_of(client, deal.project)
    assert [r["tag"][0] for r in earlier] == ["tender", "tenderUpdate", "award", "awardUpdate", "contract"]
    (award,) = earlier[-1]["awards"]
    assert award["value"]["amount"] == float(deal.winner.quote) and award["status"] == "active"
    payment = Payment.objects.get(engagement=deal.engagement)
    buyer = buyer_user(deal.project.buyer)
    payment_services.payment_record(payment=payment, actor=buyer, reference="TX-1", provider="bank_transfer", key="k1")
    payment_services.payment_confirm(payment=payment, actor=deal.winner_user, key="k2")
    later = releases_of(client, deal.project)
    assert later[: len(earlier)] == earlier
    paid = later[-1]
    assert paid["tag"] == ["implementation"] and paid["id"].endswith(f"-payment-{payment.pk}")
    (transaction,) = paid["contracts"][0]["implementation"]["transactions"]
    assert transaction["value"]["amount"] == float(payment.amount)
    assert transaction["payer"]["id"] == f"CN-USCI-{deal.project.buyer.uscc}"
    with django_assert_max_num_queries(2):  # cached: the version and the project, nothing rebuilt
        assert releases_of(client, deal.project) == later


@override_settings(ZJCS_OCID_PREFIX="ocds-test01")
def test_the_ocid_prefix_is_the_deployments_setting(client):
    project, _pool = awarded_project("draw")
    releases = releases_of(client, project)
    assert {r["ocid"] for r in releases} == {f"ocds-test01-{project.code}"}
    assert client.get(f"/ocds/records/ocds-xxxxxx-{project.code}.json").status_code == 404
    assert "ocid-placeholder" not in client.get(reverse("ocds-index")).content.decode()


def test_the_placeholder_prefix_is_said_on_the_page_in_both_languages(client):
    assert settings.ZJCS_OCID_PREFIX == "ocds-xxxxxx"
    chinese = client.get(reverse("ocds-index")).content.decode()
    assert 'data-testid="ocid-placeholder"' in chinese and "占位值" in chinese
    english = client.get(reverse("ocds-index"), HTTP_ACCEPT_LANGUAGE="en")
    body = re.search(r"<main.*</main>", english.content.decode(), re.S).group(0)
    assert "placeholder" in body and not CJK.findall(re.sub(r"<[^>]+>", " ", body))
    assert client.get(reverse("ocds-doc")).content == DOC.read_bytes()


def test_the_validator_sees_a_broken_release():
    project, _pool = awarded_project("draw")
    package = packages.release_package(project)
    package["releases"][0]["tender"]["status"] = "open for business"
    package["releases"][0]["date"] = "yesterday"
    found = release_package_errors(package)
    assert any("status" in e for e in found) and any("date" in e for e in found)


def _published_rows(n: int) -> None:
    now = timezone.now()
    for _ in range(n):
        row = project_row(Project.State.OPEN)
        Project.objects.filter(pk=row.pk).update(published_at=now, signup_deadline=now + datetime.timedelta(days=5))


def test_bulk_files_cost_the_same_queries_for_two_projects_or_seven(client):
    def queries(name: str, **kwargs) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as seen:
            response = client.get(reverse(name, kwargs=kwargs))
            if response.streaming:
                b"".join(response.streaming_content)
        return len(seen)

    month = timezone.localtime().strftime("%Y-%m")
    _published_rows(2)
    few = [queries("ocds-bulk-month", month=month), queries("ocds-bulk-compiled"), queries("ocds-index")]
    _published_rows(5)
    many = [queries("ocds-bulk-month", month=month), queries("ocds-bulk-compiled"), queries("ocds-index")]
    assert few == many
    assert many[2] <= 2


def test_unknown_months_and_ocids_answer_404(client):
    assert client.get(reverse("ocds-bulk-month", kwargs={"month": "1999-13"})).status_code == 404
    assert client.get(reverse("ocds-bulk-month", kwargs={"month": "2030-01"})).status_code == 404
    assert client.get(reverse("ocds-record-package", kwargs={"ocid": "nothing"})).status_code == 404
    draft = project_row(Project.State.DRAFT)
    assert client.get(reverse("ocds-release-package", kwargs={"ocid": ocid_for(draft.code)})).status_code == 404


def test_a_declined_win_is_cancelled_and_the_alternate_is_a_second_award(client, settings):
    settings.ZJCS_TIME_SCALE = 300_000  # the real order of events: close, award, decline
    project, pool = awarded_project("price", wait=True)
    winner, winner_user = winner_of(project, pool)
    assert award_services.winner_decline(signup=winner, actor=winner_user, reason="人员调整，无法承接").ok
    alternate = project.signups.get(state="selected")
    package = get_json(client, "ocds-release-package", ocid=ocid_for(project.code))
    assert release_package_errors(package) == []
    tags = [r["tag"][0] for r in package["releases"]]
    assert tags == ["tender", "tenderUpdate", "award", "awardCancellation", "award"]
    awards = {a["id"]: a for a in package["releases"][-1]["awards"]}
    assert awards[f"{project.code}-award-{winner.pk}"]["status"] == "cancelled"
    assert awards[f"{project.code}-award-{alternate.pk}"]["status"] == "pending"
    assert awards[f"{project.code}-award-{alternate.pk}"]["value"]["amount"] == float(alternate.quote)
    assert (
        MERGER.create_compiled_release(package["releases"])
        == packages.record_package(project)["records"][0]["compiledRelease"]
    )
