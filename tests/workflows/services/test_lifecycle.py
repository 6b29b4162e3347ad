"""Every selection method from posting to payment, through the real services, with time acceleration."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry
from marketplace.errors import ApplicationError
from tests.factories import agencies, buyer_user, operator_user, published_project
from tests.helpers import after, wait_past
from workflows.models import Engagement, Payment, SignUp
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.delivery import payments as payment_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import selection as selection_services
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("method", ["draw", "price", "scored", "direct"])
def test_project_runs_from_posting_to_payment(method):
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    extra = (
        {"direct_agency": pool[0][0], "direct_reason": "该机构曾承担本项目前期估价，熟悉情况。"}
        if method == "direct"
        else {}
    )
    project = published_project(method, buyer=buyer, operator=operator, **extra)
    assert project.state == "open" and project.draw_commitment and project.signup_deadline
    assert NoticeRequest.objects.filter(source_key=f"project:{project.code}:announcement").exists()

    bidders = pool[:1] if method == "direct" else pool
    quotes = [Decimal("52000"), Decimal("61000"), Decimal("47000")]
    for (agency, user), quote in zip(bidders, quotes, strict=False):
        outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote)
        assert outcome.ok, [r.message for r in outcome.refusals]

    deadlines_sweep(after(project.signup_deadline))
    project.refresh_from_db()
    if method == "scored":
        assert project.state == "selecting"
        for signup, mark in zip(project.signups.order_by("pk"), (80, 90, 70), strict=True):
            selection_services.proposal_mark(signup=signup, actor=buyer, mark=Decimal(mark))
        selection_services.scored_finish(project=project, actor=buyer)
        project.refresh_from_db()
    assert project.state == "awarded", project.cancel_reason
    winner = project.signups.get(state="selected")
    if method == "price":
        assert winner.quote == Decimal("47000")
    if method == "draw":
        assert project.draw_proof["ranking"][0] == winner.agency.uscc
    if method == "direct":
        assert winner.agency == pool[0][0]
    assert NoticeRequest.objects.filter(kind="result", source_key__startswith=f"project:{project.code}:result").exists()

    winner_user = next(u for a, u in pool if a == winner.agency)
    assert award_services.winner_confirm(signup=winner, actor=winner_user).ok
    deadlines_sweep(after(project.publicity_ends_at))
    project.refresh_from_db()
    assert project.state == "contracting"
    engagement = Engagement.objects.get(project=project)

    engagement_services.contract_upload(
        engagement=engagement, actor=winner_user, file=ContentFile(PDF, name="contract.pdf")
    )
    assert engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=winner.quote).ok
    project.refresh_from_db()
    assert project.state == "in_service"
    assert NoticeRequest.objects.filter(kind="contract").exists()

    assert engagement_services.result_submit(
        engagement=engagement, actor=winner_user, file=ContentFile(PDF, name="report.pdf")
    ).ok
    assert engagement_services.result_review(engagement=engagement, actor=buyer, accept=True).ok
    engagement_services.rating_submit(
        engagement=engagement,
        actor=buyer,
        marks=dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conformity"), 5),
    )
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code="RATING_EXCELLENT").exists()
    payment = Payment.objects.get(engagement=engagement)
    payment_services.payment_record(
        payment=payment, actor=buyer, reference="", provider="sandbox", key=f"pay-{project.code}"
    )
    project.refresh_from_db()
    assert project.state == "closed"


def test_too_few_signups_fail_and_the_buyer_relaunches():
    buyer = buyer_user()
    pool = agencies(2)
    project = published_project("draw", buyer=buyer)
    for agency, user in pool:
        assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok
    deadlines_sweep(after(project.signup_deadline))
    project.refresh_from_db()
    assert project.state == "failed"
    assert "流标" in project.cancel_reason
    assert NoticeRequest.objects.filter(kind="termination").exists()
    from workflows.services.procurement.projects import project_relaunch

    again = project_relaunch(project=project, actor=buyer)
    assert again.state == "draft" and again.relaunch_of == project and again.requirements.count() == 1


def test_winner_declines_and_the_alternate_steps_up_without_redraw():
    pool = agencies(3)
    project = published_project("draw")
    for agency, user in pool:
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    deadlines_sweep(after(project.signup_deadline))
    project.refresh_from_db()
    ranking = project.draw_proof["ranking"]
    winner = project.signups.get(state="selected")
    user = next(u for a, u in pool if a == winner.agency)
    assert award_services.winner_decline(signup=winner, actor=user, reason="人员调整").ok
    second = project.signups.get(state="selected")
    assert second.agency.uscc == ranking[1]
    project.refresh_from_db()
    assert project.draw_proof["ranking"] == ranking  # no redraw
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code="DECLINE_WIN").exists()


def test_quotes_out_of_band_late_and_twice_are_refused_with_nothing_written(settings):
    ((agency, user),) = agencies(1)
    settings.ZJCS_TIME_SCALE = 300_000  # time acceleration: the sign-up week lasts about two seconds
    project = published_project("draw")
    for bad, says in (("39999", "之间"), ("80000.01", "之间"), ("abc", "数字")):
        with pytest.raises(ApplicationError, match=says):
            signup_services.signup_submit(project=project, agency=agency, actor=user, quote=bad)
    assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok
    with pytest.raises(ApplicationError, match="重复"):
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    wait_past(project.signup_deadline)
    with pytest.raises(ApplicationError, match="截止"):
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    assert SignUp.objects.filter(project=project).count() == 1


def test_quotes_stay_sealed_until_the_deadline(settings):
    from workflows.services.procurement.sealing import QuoteSealed, quote_open

    ((agency, user),) = agencies(1)
    settings.ZJCS_TIME_SCALE = 300_000
    project = published_project("draw")
    outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote="52345.67")
    assert "52345" not in outcome.signup.sealed_quote and outcome.signup.quote is None
    with pytest.raises(QuoteSealed):
        quote_open(project, outcome.signup.sealed_quote)
    wait_past(project.signup_deadline)
    assert quote_open(project, outcome.signup.sealed_quote) == Decimal("52345.67")


def test_suspended_agency_signup_is_refused_with_its_reason():
    from credit_rules.services import subject_for_agency
    from tests.factories import supervisor_user
    from workflows.services.credit.events import warning_issue

    sup = supervisor_user()
    ((agency, user),) = agencies(1, supervisor=sup)
    warning_issue(agency=agency, actor=sup, facts="一", evidence_summary="一")
    warning_issue(agency=agency, actor=sup, facts="二", evidence_summary="二")
    assert subject_for_agency(agency).is_suspended
    project = published_project("draw")
    outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    assert not outcome.ok
    assert "CR-SEL-001" in [r.rule_code for r in outcome.refusals]
    assert not SignUp.objects.filter(project=project).exists()


def test_measure_since_selection_revokes_the_win_and_the_alternate_steps_up(settings):
    from tests.factories import supervisor_user
    from workflows.services.credit.events import warning_issue

    sup = supervisor_user()
    buyer = buyer_user()
    pool = agencies(3, supervisor=sup)
    settings.ZJCS_TIME_SCALE = 300_000  # real order of events: selection, then the measure, then the contract
    project = published_project("draw", buyer=buyer)
    for agency, user in pool:
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000")
    wait_past(project.signup_deadline)
    deadlines_sweep()
    project.refresh_from_db()
    winner = project.signups.get(state="selected")
    winner_user = next(u for a, u in pool if a == winner.agency)
    award_services.winner_confirm(signup=winner, actor=winner_user)
    wait_past(project.publicity_ends_at)
    deadlines_sweep()
    engagement = Engagement.objects.get(project=project)
    engagement_services.contract_upload(engagement=engagement, actor=winner_user, file=ContentFile(PDF, name="c.pdf"))
    warning_issue(agency=winner.agency, actor=sup, facts="一", evidence_summary="一")
    warning_issue(agency=winner.agency, actor=sup, facts="二", evidence_summary="二")  # suspends
    result = engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=Decimal("50000"))
    assert not result.ok
    assert "CR-CON-001" in [r.rule_code for r in result.refusals]
    winner.refresh_from_db()
    assert winner.state == "revoked"
    project.refresh_from_db()
    assert project.state == "awarded"
    assert project.signups.get(state="selected").rank == 2
