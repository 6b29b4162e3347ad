"""The policy what-if: a draft replayed over the ledger, and publishing it applying exactly what it showed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from credit_rules.models import CreditSubject, Grade, MeasureKind, PolicyVersion
from credit_rules.policy import policy_at, policy_draft_from
from credit_rules.services import subject_for_agency
from credit_rules.whatif import WhatIf, whatif_run
from tests.factories import admitted_agency, credit_office_user, record_event
from tests.factories.procurement import contracted_engagement
from workflows.selectors.policy_whatif import market_contexts
from workflows.services.credit.policy import policy_version_publish
from workflows.services.credit.prior_notice import needs_notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

POOR = "RATING_POOR"  # −5 points, no measure by itself


def poor_ratings(agency, n: int) -> None:
    for _ in range(n):
        record_event(agency, POOR)


def draft(**bands) -> PolicyVersion:
    version = policy_draft_from(base=policy_at().version, note="试算")
    for name, value in bands.items():
        setattr(version, name, value)
    version.save()
    return version


def preview(version: PolicyVersion, at) -> WhatIf:
    return whatif_run(version, at=at, told_first=needs_notice, contexts=market_contexts())


def cached(subject_id: int) -> tuple:
    s = CreditSubject.objects.get(pk=subject_id)
    kinds = tuple(sorted(k for k, flag in ((MeasureKind.RESTRICT, s.is_restricted), (MeasureKind.SUSPEND, s.is_suspended), (MeasureKind.EXPEL, s.is_expelled), (MeasureKind.REWARD, s.is_rewarded)) if flag))  # fmt: skip
    return s.score, s.grade, kinds


def assert_published_as_previewed(version: PolicyVersion) -> WhatIf:
    """Preview at a moment, publish at that moment, and compare every agency's standing with the preview."""
    at = timezone.now()
    shown = preview(version, at)
    untouched = {
        pk: cached(pk)
        for pk in CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY).values_list("pk", flat=True)
        if pk not in {row.subject_id for row in shown.rows}
    }
    policy_version_publish(version=version, actor=credit_office_user(), at=at)
    for row in shown.rows:
        assert cached(row.subject_id) == (row.after.score, row.after.grade, row.after.measures), row
    for pk, before in untouched.items():
        score, grade, kinds = cached(pk)
        assert (grade, kinds) == before[1:], pk
    return shown


def test_raising_the_bands_previews_grade_d_restrictions_and_publishing_applies_them():
    # given a member at 80 (grade B), one at 95 (A) and one untouched at 100 (A)
    fallen, _m, _u = admitted_agency()
    poor_ratings(fallen, 4)
    slipping, _m2, _u2 = admitted_agency()
    record_event(slipping, POOR)
    admitted_agency()
    # when a draft raises the bands so that 80 is grade D and 95 grade B
    version = draft(grade_a_min=98, grade_b_min=90, grade_c_min=85)
    shown = assert_published_as_previewed(version)
    # then the preview named both, with the grade matrix and the restriction starting at once
    by_id = {row.subject_id: row for row in shown.rows}
    low = by_id[subject_for_agency(fallen).pk]
    assert (low.before.grade, low.after.grade) == (Grade.B, Grade.D)
    assert low.starts == (("CR-ESC-004", MeasureKind.RESTRICT),)
    assert low.after.measures == (MeasureKind.RESTRICT,)
    mid = by_id[subject_for_agency(slipping).pk]
    assert (mid.before.grade, mid.after.grade) == (Grade.A, Grade.B) and not mid.starts
    assert shown.matrix[(Grade.B, Grade.D)] == 1
    assert shown.matrix[(Grade.A, Grade.B)] == 1
    assert shown.matrix[(Grade.A, Grade.A)] == shown.subjects - 2
    assert sum(shown.matrix.values()) == shown.subjects
    assert shown.counts()["grade_changed"] == 2 and shown.counts()["starts"] == 1
    # and the published restriction is on the ledger and the membership
    assert CreditSubject.objects.get(pk=low.subject_id).is_restricted
    assert fallen.memberships.get().state == "restricted"


def test_lowering_the_bands_previews_the_end_of_a_grade_d_restriction_and_publishing_lifts_it():
    # given a member restricted at grade D (55)
    agency, _m, _u = admitted_agency()
    poor_ratings(agency, 9)
    subject = subject_for_agency(agency)
    assert CreditSubject.objects.get(pk=subject.pk).is_restricted
    # when a draft lowers grade C to 50
    shown = assert_published_as_previewed(draft(grade_c_min=50))
    (row,) = shown.rows
    assert (row.before.grade, row.after.grade) == (Grade.D, Grade.C)
    assert row.ends == (("CR-ESC-005", MeasureKind.RESTRICT),)
    assert row.after.measures == ()
    assert not CreditSubject.objects.get(pk=subject.pk).is_restricted
    assert agency.memberships.get().state == "active"


def test_a_draft_raising_a_threshold_newly_refuses_an_agency_at_signup():
    # given a winner in service (one open engagement) at 85 points, grade B
    deal = contracted_engagement()
    agency = deal.winner.agency
    poor_ratings(agency, 3)
    # when a draft puts 85 into grade D
    shown = preview(draft(grade_a_min=98, grade_b_min=95, grade_c_min=90), timezone.now())
    # then it is restricted at once and, restricted with an engagement open, refused at sign-up (CR-SEL-004)
    (row,) = [r for r in shown.rows if r.agency_id == agency.pk]
    assert row.before.refused_signup == ()
    assert row.newly_refused_signup == ("CR-SEL-004",)
    assert shown.counts()["newly_refused_signup"] == 1
    assert row.uscc == agency.uscc and row.name == agency.name


def test_a_draft_identical_to_the_policy_in_force_changes_nothing():
    agency, _m, _u = admitted_agency()
    poor_ratings(agency, 9)
    shown = preview(draft(), timezone.now())
    assert shown.rows == []
    assert shown.matrix == {(Grade.D, Grade.D): 1}
