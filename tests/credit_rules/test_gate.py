"""The credit gate: few queries, reasons with rule codes in the user's language, and policy versions
that never rewrite the past."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from credit_rules import gate
from credit_rules.external import listings_import
from credit_rules.models import CatalogueEntry, DecisionRecord, MeasureKind, PolicyVersion, Source
from credit_rules.policy import policy_at, policy_draft_from, policy_publish
from credit_rules.rules import REGISTRY
from credit_rules.services import decision_record, event_record, measure_record, subject_for_agency
from tests.factories import AgencyFactory, listing_csv, listing_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]


def troubled_agency():
    """An agency with events, a suspension, a serious event and an external listing."""
    agency = AgencyFactory()
    subject = subject_for_agency(agency)
    now = timezone.now()
    for days, code in [
        (300, "RATING_EXCELLENT"),
        (200, "CREDIT_WARNING"),
        (100, "DECLINE_WIN"),
        (20, "CREDIT_WARNING"),
    ]:
        event_record(subject=subject, code=code, source=Source.SUPERVISOR, at=now - datetime.timedelta(days=days))
    measure_record(
        subject=subject,
        kind=MeasureKind.SUSPEND,
        starts_at=now - datetime.timedelta(days=20),
        ends_at=now + datetime.timedelta(days=10),
        rule_code="CR-ESC-001",
        basis="",
    )
    listings_import(
        content=listing_csv(
            listing_row(agency, reason="未履行生效判决", source="最高人民法院失信被执行人名单", listed_on="2025-11-03")
        ),
        filename="list.csv",
    )
    return agency, subject


def test_evaluate_costs_at_most_three_queries(django_assert_max_num_queries):
    # given an agency with events, a measure and a listing, and a warm policy cache
    agency, subject = troubled_agency()
    policy_at()
    # when the gate evaluates a sign-up, by subject or by agency
    with django_assert_max_num_queries(3):
        decision = gate.evaluate(subject, "signup.submit", context={"member_state": "suspended"})
    with django_assert_max_num_queries(3):
        by_agency = gate.evaluate(agency, "signup.submit", context={"member_state": "suspended"})
    # then it saw everything those queries loaded
    assert not decision.allowed
    assert {r.rule_code for r in decision.refusals} == {"CR-SEL-001", "CR-SEL-003", "CR-SEL-006"}
    assert decision.inputs["score"] == 100 + 2 - 5 - 10 - 5
    assert decision.inputs["warnings_in_window"] == 2
    assert len(decision.inputs["serious_events"]) == 1
    assert by_agency.reasons == decision.reasons
    assert by_agency.subject_id == subject.pk


def test_refusals_carry_rule_codes_and_render_in_the_active_language():
    # given a suspended, listed agency refused at sign-up
    agency, subject = troubled_agency()
    decision = gate.evaluate(subject, "signup.submit")
    assert not decision.allowed
    codes = [r.rule_code for r in decision.refusals]
    assert codes == ["CR-SEL-001", "CR-SEL-003"]
    # when the reasons are shown to an English-speaking user
    with translation.override("en"):
        shown = [(r.rule_code, r.message, r.basis, r.title) for r in decision.refusals]
        expected = [
            translation.gettext(str(REGISTRY[code].message)) % dict(r.params)
            for code, r in zip(codes, decision.refusals, strict=True)
        ]
    # then each is a plain string, filled in, with its rule code and legal basis
    for (code, message, basis, title), want in zip(shown, expected, strict=True):
        assert isinstance(message, str) and message == want
        assert "%(" not in message
        assert isinstance(basis, str) and basis
        assert isinstance(title, str) and title
        assert code in REGISTRY
    assert "最高人民法院失信被执行人名单" in shown[1][1]
    # and the recorded decision keeps the codes and messages
    record = decision_record(decision=decision, target="test:1")
    assert [r["rule"] for r in DecisionRecord.objects.get(pk=record.pk).reasons] == codes


def test_decision_inputs_are_json_serialisable():
    # given a decision whose context holds dates and lists
    agency, subject = troubled_agency()
    context = {
        "member_since": timezone.now() - datetime.timedelta(days=800),
        "selected_at": timezone.now() - datetime.timedelta(days=30),  # before the suspension
        "missing_qualifications": ["房地产估价机构备案"],
        "open_engagements": 1,
        "method": "direct",
        "member_state": "active",
        "renewal_due": datetime.date(2026, 6, 30),
    }
    contract = sorted(REGISTRY["CR-CON-001"].transitions)[0]
    decision = gate.evaluate(subject, contract, context=context)
    # then its inputs survive a JSON round trip unchanged, and the record stores them
    assert json.loads(json.dumps(decision.inputs)) == decision.inputs
    assert decision.inputs["context"]["renewal_due"] == "2026-06-30"
    assert json.dumps([m.as_json() for m in decision.measures])
    assert [m.kind for m in decision.measures] == [MeasureKind.REVOKE]
    record = decision_record(decision=decision, target="test:2")
    assert DecisionRecord.objects.get(pk=record.pk).inputs == decision.inputs


def test_a_policy_change_applies_from_its_effective_time_only():
    # given an agency with two warnings in the last months (v1 suspends on the second)
    subject = subject_for_agency(AgencyFactory())
    now = timezone.now()
    for days in (60, 5):
        event_record(
            subject=subject, code="CREDIT_WARNING", source=Source.SUPERVISOR, at=now - datetime.timedelta(days=days)
        )
    on_warning = {"new_is_warning": True}
    before = gate.evaluate(subject, "ledger.recorded", at=now, context=on_warning)
    assert [m.kind for m in before.measures] == [MeasureKind.SUSPEND]
    # when a supervisor publishes v2 (three warnings to suspend) effective in 30 days
    v1 = policy_at(now).version
    draft = policy_draft_from(base=v1, note="三次警告方暂停")
    draft.warnings_to_suspend = 3
    draft.save()
    assert policy_at(now).version.pk == v1.pk, "a draft governs nothing"
    effective = now + datetime.timedelta(days=30)
    v2 = policy_publish(version=draft, effective_from=effective)
    # then decisions at moments before it are unchanged ...
    again = gate.evaluate(subject, "ledger.recorded", at=now, context=on_warning)
    assert again.measures == before.measures and again.policy_id == v1.pk
    just_before = gate.evaluate(
        subject, "ledger.recorded", at=effective - datetime.timedelta(seconds=1), context=on_warning
    )
    assert [m.kind for m in just_before.measures] == [MeasureKind.SUSPEND]
    # ... and from it on, the new threshold applies to the same history
    after = gate.evaluate(subject, "ledger.recorded", at=effective + datetime.timedelta(days=1), context=on_warning)
    assert after.policy_id == v2.pk
    assert after.inputs["warnings_in_window"] == 2
    assert after.measures == ()
    assert after.inputs["policy_version"] == 2


def test_published_policy_versions_and_their_catalogue_refuse_edits():
    # given the default published version 1
    v1 = PolicyVersion.objects.get(version=1)
    assert v1.is_published
    # when someone edits it or its catalogue, then both are refused
    v1.warnings_to_suspend = 5
    with pytest.raises(ValidationError):
        v1.save()
    entry = v1.catalogue.get(code="RATING_POOR")
    entry.points = -1
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        CatalogueEntry(policy=v1, code="NEW_CODE", name="新增", points=-1).save()
    assert PolicyVersion.objects.get(pk=v1.pk).warnings_to_suspend == 2
    assert CatalogueEntry.objects.get(pk=entry.pk).points == -5
    # and a draft becomes frozen the moment it is published
    draft = policy_draft_from(base=v1)
    draft.grade_a_min = 92
    draft.save()
    published = policy_publish(version=draft, effective_from=timezone.now() + datetime.timedelta(days=1))
    published.grade_a_min = 95
    with pytest.raises(ValidationError):
        published.save()
    copied = published.catalogue.get(code="RATING_POOR")
    copied.points = -50
    with pytest.raises(ValidationError):
        copied.save()
    assert PolicyVersion.objects.get(pk=published.pk).grade_a_min == 92
