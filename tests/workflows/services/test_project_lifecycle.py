"""A project from posting to payment through the real services, for every selection method: publish,
sign up, the sweep closes the sign-up and runs the method, the winner confirms, publicity ends, the
contract is uploaded and signed, the result delivered and accepted, the rating recorded and the payment
settled — the project closes. Time is accelerated (the sweep is told the moment), never mocked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry
from tests.factories import agencies, buyer_user, operator_user, published_project
from tests.helpers import after, pdf_content
from workflows.models import Engagement, Payment
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.delivery import payments as payment_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import selection as selection_services
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


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

    engagement_services.contract_upload(engagement=engagement, actor=winner_user, file=pdf_content("contract.pdf"))
    assert engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=winner.quote).ok
    project.refresh_from_db()
    assert project.state == "in_service"
    assert NoticeRequest.objects.filter(kind="contract").exists()

    assert engagement_services.result_submit(
        engagement=engagement, actor=winner_user, file=pdf_content("report.pdf")
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
