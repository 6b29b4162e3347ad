"""The header's to-do and unread counts (every signed-in page): one query, and always the number of to-dos the
workspace lists (``/me/``), for every kind of to-do of every role, never stale after the account's own step."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import MeasureKind
from marketplace import services
from marketplace.roles import Role
from marketplace.selectors import agency_acted_for
from tests.factories import (
    AgencyFactory,
    UserFactory,
    accepted_engagement,
    agencies,
    apply_measure,
    awarded_project,
    buyer_user,
    contracting_project,
    delivered_engagement,
    notified_case,
    operator_user,
    submitted_application,
    submitted_project,
    supervisor_user,
    winner_of,
)
from tests.helpers import logged_in, page_html, refetch
from workflows.models import Membership, Notification, Payment
from workflows.selectors.workspace import header_counts_for_user, workspace_for_user
from workflows.services.credit import cases as case_services
from workflows.services.delivery import payments as payment_services
from workflows.services.notifications.service import notify
from workflows.services.procurement import award as award_services

pytestmark = pytest.mark.django_db


def _actions(user) -> list[str]:
    """The workspace's to-dos of ``user`` (a fresh user object, as each request loads it), after checking that
    the header counts exactly them and the unread messages."""
    user = refetch(user)
    workspace = workspace_for_user(user)
    counts = header_counts_for_user(refetch(user))
    assert (counts.todo_count, counts.unread) == (workspace.todo_count, workspace.unread)
    return sorted(t.action for s in workspace.sections for t in s.todos)


def test_the_header_counts_what_the_workspace_lists_for_every_kind_of_todo():
    supervisor = supervisor_user()
    operator = operator_user()

    # agencies: a win to confirm, a notice to answer and a term near its end; a contract to upload; a payment
    # to acknowledge (a revoked win to object to: below)
    buyer = buyer_user()
    contracting = contracting_project(buyer=buyer)
    delivered = delivered_engagement(buyer=buyer)
    accepted = accepted_engagement(buyer=buyer)
    payment = Payment.objects.get(engagement=accepted.engagement)
    payment_services.payment_record(
        payment=payment, actor=buyer, reference="HX-1", provider="bank_transfer", key=f"pay-{accepted.project.code}"
    )
    # (awarded last: the sweeps the deals above ran would have let its publicity pass unconfirmed)
    awarded, pool = awarded_project(buyer=buyer, pool=agencies(3, supervisor=supervisor))
    winner, clerk = winner_of(awarded, pool)
    agency = winner.agency
    membership = Membership.objects.get(agency=agency)
    case = notified_case(agency, supervisor)
    Membership.objects.filter(pk=membership.pk).update(term_until=timezone.localdate() + datetime.timedelta(days=20))
    notify(recipients=[clerk], kind=Notification.Kind.REPAIRABLE, key="r:1", params={"entry": "信用警告"}, link="/")

    assert _actions(clerk) == sorted(["确认中选", "陈述申辩", "申请入驻续期"])
    assert _actions(contracting.winner_user) == ["上传签约合同"]
    assert _actions(accepted.winner_user) == ["确认收到服务费"]
    assert _actions(delivered.winner_user) == []
    # the buyer: a winner to confirm, a result to accept, a rating to give (the payment is recorded)
    assert _actions(buyer) == sorted(["确认中选结果", "验收服务成果", "评价服务"])

    # a second buyer: a contract to sign, a payment due, a project returned, a scored comparison to mark
    buyer2 = buyer_user()
    contracting_project(buyer=buyer2, contract=True)
    accepted_engagement(buyer=buyer2)
    awarded_project("scored", buyer=buyer2)
    assert _actions(buyer2) == sorted(["签订合同", "评价服务", "支付服务费", "录入比选评分"])

    # the supervisor: an application to review, an answered notice to review, a renewal near its end;
    # the operator: projects waiting for review
    submitted_application()
    case_services.case_respond(case=case, actor=refetch(clerk), response="已按要求整改，附整改报告。")
    assert set(_actions(supervisor)) == {"审核入驻申请", "审查陈述申辩", "审核入驻续期"}
    submitted_project()
    assert _actions(operator) == ["审核项目"]


def test_a_revoked_win_counts_while_it_may_be_objected_to():
    # given a suspended winner confirming its win: the gate refuses, and the win is revoked
    project, pool = awarded_project()
    winner, user = winner_of(project, pool)
    apply_measure(winner.agency, MeasureKind.SUSPEND, months=1)
    assert not award_services.winner_confirm(signup=winner, actor=user).ok

    # then the header counts the objection it may raise, as the workspace lists it
    assert "对撤销中选资格提出异议（如有）" in _actions(user)


def test_the_header_counts_cost_one_query(django_assert_num_queries):
    # given a buyer, an agency and a supervisor with to-dos (who each acts for asked once, as the request does)
    deal = contracting_project(contract=True)
    supervisor = supervisor_user()
    for user in (deal.winner_user, supervisor, operator_user()):
        user = refetch(user)
        header_counts_for_user(user)
        # then the counts themselves are one query whatever the role
        with django_assert_num_queries(1):
            header_counts_for_user(user)


def test_the_count_follows_the_accounts_own_step_at_once():
    # given a winner with one to-do, confirming the win
    project, pool = awarded_project()
    _winner, user = winner_of(project, pool)
    client = logged_in(user)
    assert 'data-testid="header-todo-count">待办 1<' in page_html(client.get(reverse("inbox")))

    # when it confirms the win on the project page
    response = client.post(reverse("agency-project", kwargs={"code": project.code}), {"action": "confirm"}, follow=True)

    # then the very next page it sees counts nothing left to do
    assert response.status_code == 200
    assert 'data-testid="header-todo-count"' not in page_html(response)
    assert 'data-testid="header-todo-count"' not in page_html(client.get(reverse("inbox")))


def test_an_account_finds_its_agency_as_soon_as_it_is_attached():
    # given an account in the agency role, not attached to an agency yet: it acts for none
    user = UserFactory(role=Role.AGENCY)
    assert agency_acted_for(user) is None

    # when the same user object is attached to an agency
    agency = AgencyFactory()
    services.agency_staff_add(agency=agency, user=user)

    # then it acts for it at once (a "none" is never kept on the object)
    assert agency_acted_for(user) == agency


def test_the_header_counts_the_identity_reviews_and_an_unverified_agencys_own_step():
    from workflows.models import IdentityVerification
    from workflows.services.identity import identity_decide

    operator = operator_user()
    waiting = AgencyFactory(identity="submitted")
    rejected = AgencyFactory(identity="rejected")
    from tests.factories import agency_user

    # the operator has the licence awaiting review; each unverified agency has its one step
    assert _actions(operator).count("核验营业执照") == 1  # the rejected one waits for the agency
    assert len(_actions(agency_user(waiting))) == 1
    assert len(_actions(agency_user(rejected))) == 1
    before = header_counts_for_user(refetch(operator)).todo_count

    # once verified, the operator's count drops by one and the agency's step is gone
    verification = IdentityVerification.objects.get(agency=waiting)
    assert identity_decide(verification=verification, actor=operator, verified=True).ok
    assert header_counts_for_user(refetch(operator)).todo_count == before - 1
    assert _actions(agency_user(refetch(waiting))) == []
