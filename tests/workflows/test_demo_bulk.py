"""The ``seed_demo --scale`` bulk path writes exactly the rows the entry services write for a member.

One agency is admitted through the services (an account as registration makes it, then apply,
submit with the commitment, approve), another through ``members_bulk_admit``; every row either
adds to any table is compared, with only ids, timestamps, password salts and the agency's own
identity (pk, USCC, name, contact) put aside, and the dates are checked to follow each other alike.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from credit_rules.models import CreditSubject, DecisionRecord, ExternalListImport, ExternalListing, LedgerEntry
from marketplace import services as market
from marketplace.models import Agency
from marketplace.roles import Role
from tests.factories import AgencyFactory, QualificationFactory, supervisor_user
from workflows.demo.bulk import CLERK_POSITION, STATEMENT, clerk_username, members_bulk_admit
from workflows.demo.people import DEMO_PASSWORD
from workflows.demo.scenarios import APPROVAL_NOTE
from workflows.models import Membership, TransitionLog
from workflows.services import membership as membership_services

pytestmark = pytest.mark.django_db

Snapshot = dict[type[models.Model], set[Any]]
Rows = dict[str, list[dict[str, Any]]]
ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
TARGET = re.compile(r"^([a-z_]+\.[a-z_]+):(\d+)$")


def tables() -> list[type[models.Model]]:
    """Every concrete table, many-to-many link tables included."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


def snapshot() -> Snapshot:
    """The primary keys in every table now."""
    return {m: set(m._base_manager.values_list("pk", flat=True)) for m in tables()}


class Normaliser:
    """Turns the rows one path added into comparable values: ids become names, timestamps a mark."""

    def __init__(self, before: Snapshot, agency: Agency):
        self.agency = agency
        # Rows the path added are named by table and order of insertion, the agency by its role;
        # rows that were there before (the supervisor, the policy, the letter) keep their ids.
        self.added: dict[type[models.Model], list[Any]] = {}
        for model, pks in before.items():
            new = sorted(set(model._base_manager.values_list("pk", flat=True)) - pks)
            if new:
                self.added[model] = new
        self.identity = [
            (agency.uscc, "<uscc>"),
            (agency.uscc.lower(), "<uscc>"),
            (agency.name, "<name>"),
            (agency.contact_name, "<contact>"),
        ]

    def ref(self, model: type[models.Model], pk: Any) -> Any:
        """A name for a row that holds for both paths."""
        if pk is None:
            return None
        model = model._meta.concrete_model or model
        if model is Agency and str(pk) == str(self.agency.pk):
            return "<agency>"
        added = self.added.get(model, [])
        for i, candidate in enumerate(added):
            if str(candidate) == str(pk):
                return f"{model._meta.label_lower}#new{i}"
        return f"{model._meta.label_lower}:{pk}"

    def text(self, value: str) -> str:
        """A string with row references ("app.model:pk"), timestamps and the agency's identity named."""
        target = TARGET.match(value)
        if target and target.group(1) in {m._meta.label_lower for m in tables()}:
            return str(self.ref(apps.get_model(target.group(1)), int(target.group(2))))
        if ISO_DATETIME.match(value):
            return "<datetime>"
        for raw, mark in self.identity:
            value = value.replace(raw, mark)
        return value

    def json(self, value: Any, key: str = "") -> Any:
        """A JSON value (a decision's inputs, reasons) with its ids, timestamps and identity named."""
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if key == "subject_id":
            return self.ref(CreditSubject, value)
        if key == "entry":
            return self.ref(LedgerEntry, value)
        if isinstance(value, str):
            return self.text(value)
        return value

    def row(self, model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
        """One row, field by field, in the form both paths can be compared in."""
        out: dict[str, Any] = {}
        fields = {f.attname: f for f in model._meta.concrete_fields}
        # A generic relation (the log's object, a permission's object) names its row by content type.
        content_type = values.get("content_type_id")
        generic = apps.get_model("contenttypes", "ContentType").objects.get(pk=content_type) if content_type else None
        for name, value in values.items():
            field = fields[name]
            if field.primary_key:
                out[name] = self.ref(model, value)
            elif field.is_relation:
                out[name] = self.ref(field.related_model, value)
            elif name in ("object_id", "object_pk") and generic is not None:
                out[name] = self.ref(generic.model_class(), value)
            elif name == "password":
                out[name] = "<demo password>" if check_password(DEMO_PASSWORD, value) else "<other password>"
            elif isinstance(value, datetime.datetime):
                out[name] = "<datetime>"
            elif isinstance(value, datetime.date):
                out[name] = "<date>"
            elif isinstance(value, dict | list):
                out[name] = self.json(value)
            elif isinstance(value, str):
                out[name] = self.text(value)
            else:
                out[name] = value
        return out

    def rows(self) -> Rows:
        """Every row the path added, table by table, in order of insertion."""
        return {
            model._meta.db_table: [
                self.row(model, values) for values in model._base_manager.filter(pk__in=pks).order_by("pk").values()
            ]
            for model, pks in sorted(self.added.items(), key=lambda item: item[0]._meta.db_table)
        }


class KeepTimes(Normaliser):
    """The normaliser keeping timestamps: a bulk path of projects must date every row as the services do."""

    def row(self, model, values: dict[str, Any]) -> dict[str, Any]:
        stamped = {k: f"@{v.isoformat()}" for k, v in values.items() if isinstance(v, datetime.datetime)}
        out = super().row(model, {k: v for k, v in values.items() if k not in stamped})
        return {**out, **stamped}


def rows_text(before: Snapshot, agency: Agency, changed: Iterable[models.Model] = ()) -> str:
    """Every row added since ``before``, and the rows ``changed`` as they now are, as JSON text to compare.

    Set aside as random by design: on PostgreSQL a notice's search vectors (derived from its texts, which
    are compared; a random hex commitment splits into a varying number of words there, shifting every
    position after it), and each new page's Wagtail translation key (a uuid4, on the page and its revision).
    """
    normaliser = KeepTimes(before, agency)
    rows = normaliser.rows()
    for entry in rows.get("wagtailsearch_indexentry", []):
        for column in ("title", "body", "autocomplete"):
            if column in entry:
                assert entry[column], f"the notice's {column} vector is empty"
                entry[column] = "<tsvector>"
    for obj in changed:
        model = type(obj)
        [values] = model._base_manager.filter(pk=obj.pk).values()
        rows.setdefault(f"changed {model._meta.db_table}", []).append(normaliser.row(model, values))
    text = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str)
    for page in rows.get("wagtailcore_page", []):
        text = text.replace(str(page["translation_key"]), "<uuid4>")
    return text


def sequences_rewind() -> None:
    """Give the next path the ids the rolled-back one had: PostgreSQL's sequences do not roll back (SQLite's
    counters do), and the ids reach into Wagtail's revision content, which the normaliser does not map."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
            cursor.execute(sql)


def diff_print(expected: str, got: str) -> None:
    """Show where two paths' rows differ (pytest prints it when the comparison after it fails)."""
    if expected != got:
        a = json.dumps(json.loads(expected), indent=1, ensure_ascii=False).splitlines()
        b = json.dumps(json.loads(got), indent=1, ensure_ascii=False).splitlines()
        print("\n".join(difflib.unified_diff(a, b, "services", "bulk", lineterm="", n=4)))


def timeline(agency: Agency) -> list[str]:
    """How the admission's dates relate: the same for both paths whatever the dates are."""
    membership = Membership.objects.get(agency=agency)
    clerk = agency.staff.get().user
    logs = {
        log.transition: log
        for log in TransitionLog.objects.filter(object_id=membership.pk, content_type__model="membership")
    }
    decisions = {d.transition: d for d in DecisionRecord.objects.filter(target=f"workflows.membership:{membership.pk}")}
    term = (timezone.localtime(membership.decided_at) + datetime.timedelta(days=365 * 3)).date()
    checks = {
        "account opened before the application": clerk.date_joined <= membership.created_at,
        "application opened before it was submitted": membership.created_at <= membership.submitted_at,
        "commitment accepted on submitting": membership.commitment_accepted_at == membership.submitted_at,
        "submit decided at the submission": decisions["membership.submit"].at == membership.submitted_at,
        "submit logged after its decision": logs["submit"].at >= membership.submitted_at,
        "submitted before decided": membership.submitted_at < membership.decided_at,
        "approve decided at the decision": decisions["membership.approve"].at == membership.decided_at,
        "member since the decision": membership.member_since == membership.decided_at,
        "approve logged after its decision": logs["approve"].at >= membership.decided_at,
        "approve logged after submit": logs["submit"].at <= logs["approve"].at,
        "term of three years from the decision": membership.term_until == term,
        "inputs at the decision": all(d.inputs["at"] == d.at.isoformat() for d in decisions.values()),
    }
    return [name for name, holds in checks.items() if not holds]


def admit_through_services(agency: Agency, supervisor) -> None:
    """What a user does: register an account for the agency, apply, submit; the supervisor approves."""
    clerk = market.user_create(
        username=clerk_username(agency.uscc), password=DEMO_PASSWORD, role=Role.AGENCY, full_name=agency.contact_name
    )
    market.agency_staff_add(agency=agency, user=clerk, is_admin=True, position=CLERK_POSITION)
    membership = membership_services.membership_start(agency=agency, actor=clerk)
    membership = membership_services.membership_update_application(
        membership=membership, actor=clerk, statement=STATEMENT
    )
    submitted = membership_services.membership_submit(membership=membership, actor=clerk, accept_commitment=True)
    assert submitted.ok, submitted.messages
    approved = membership_services.membership_review(
        membership=membership, actor=supervisor, decision="approve", note=APPROVAL_NOTE
    )
    assert approved.ok, approved.messages


def agency_with_licence() -> Agency:
    """An agency with a valid licence for its field, ready to apply, with no account yet."""
    agency = AgencyFactory()
    QualificationFactory(agency=agency)
    return agency


def test_bulk_admission_writes_every_row_the_services_write():
    supervisor = supervisor_user()
    by_services, by_bulk = agency_with_licence(), agency_with_licence()

    before = snapshot()
    admit_through_services(by_services, supervisor)
    services = Normaliser(before, by_services)

    before = snapshot()
    members_bulk_admit(Agency.objects.filter(pk=by_bulk.pk), reviewer=supervisor)
    bulk = Normaliser(before, by_bulk)

    expected = services.rows()
    # The path through the services writes at least these; the comparison covers whatever else it adds.
    assert {"workflows_membership", "workflows_transitionlog", "credit_rules_decisionrecord"} <= set(expected)
    assert {table: len(rows) for table, rows in bulk.rows().items()} == {
        table: len(rows) for table, rows in expected.items()
    }
    assert bulk.rows() == expected
    assert timeline(by_services) == timeline(by_bulk) == []


def test_bulk_leaves_an_agency_it_cannot_stand_in_for_to_the_services():
    supervisor = supervisor_user()
    clean, listed = agency_with_licence(), agency_with_licence()
    batch = ExternalListImport.objects.create(filename="失信名单.csv", sha256="0" * 64)
    ExternalListing.objects.create(
        batch=batch,
        uscc=listed.uscc,
        name=listed.name,
        reason="拒不履行生效判决",
        source="失信被执行人名单",
        listed_on=timezone.localdate() - datetime.timedelta(days=10),
    )

    members_bulk_admit(Agency.objects.filter(pk__in=[clean.pk, listed.pk]), reviewer=supervisor)

    assert Membership.objects.get(agency=clean).state == Membership.State.ACTIVE
    # The listed agency applied through the services, today, and the gate refused it.
    refused = Membership.objects.get(agency=listed)
    assert refused.state == Membership.State.DRAFT
    record = DecisionRecord.objects.get(target=f"workflows.membership:{refused.pk}")
    assert not record.allowed and [r["rule"] for r in record.reasons] == ["CR-ONB-001"]
    assert (
        TransitionLog.objects.get(object_id=refused.pk, content_type__model="membership").outcome
        == TransitionLog.Outcome.REFUSED_CREDIT
    )
