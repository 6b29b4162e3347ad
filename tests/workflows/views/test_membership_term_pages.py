"""The membership term on the pages: the agency is prompted ahead of the end (the policy's days) with the
renewal action, sees a lapse with the rule that decided it, and its request for renewal reaches the
supervisor's queue, where the supervisor renews it (the known problem: a fresh grade-A agency's
"申请续期" showed a red refusal and never reached the queue). The buyer sees its own 政务诚信 record on
its workspace.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from credit_rules.rules.base import code_of
from credit_rules.rules.term import term_ended
from marketplace.models import ServiceCategory
from tests.factories import admitted_agency, buyer_user, supervisor_user
from tests.helpers import logged_in, page_html, page_text, refetch
from workflows.models import Membership
from workflows.selectors.agency import membership_token
from workflows.services.credit.buyers import buyer_failure_record
from workflows.services.deadlines import deadlines_sweep

pytestmark = pytest.mark.django_db

MEMBERSHIP = "/agency/membership/"
DAY = datetime.timedelta(days=1)


def term_ends(membership: Membership, days_from_today: int) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(term_until=timezone.localdate() + days_from_today * DAY)
    return refetch(membership)


def test_the_membership_page_prompts_ahead_of_the_end_with_the_renewal_action():
    agency, membership, user = admitted_agency()
    client = logged_in(user)
    # far from the end: no prompt
    assert 'id="term-prompt"' not in page_html(client.get(MEMBERSHIP))
    # within the policy's 60 days: the end date, the days left and the renewal button
    membership = term_ends(membership, 30)
    text = page_text(client.get(MEMBERSHIP))
    assert 'id="term-prompt"' in text
    assert f"入驻有效期将于 {membership.term_until.isoformat()} 届满（还剩 30 天）" in text
    assert 'value="renew"' in text
    # and in English
    client.cookies["zjcs_language"] = "en"
    english = page_text(client.get(MEMBERSHIP))
    assert f"Your membership term ends on {membership.term_until.isoformat()} (30 days left)" in english


def test_a_lapsed_membership_shows_the_lapse_with_the_rule_and_may_renew():
    agency, membership, user = admitted_agency()
    term_ends(membership, -1)
    deadlines_sweep()
    text = page_text(logged_in(user).get(MEMBERSHIP))
    assert 'id="term-lapsed"' in text and "入驻已到期" in text
    assert code_of(term_ended) in text and "入驻有效期届满" in text
    assert 'value="renew"' in text


def test_a_fresh_agency_is_told_when_renewal_opens_and_is_not_offered_the_button():
    # given a fresh grade-A member, its term a year away
    agency, membership, user = admitted_agency()
    client = logged_in(user)
    opens = membership.term_until - 60 * DAY

    # when it opens its membership page: no renewal button, but when it opens
    text = page_text(client.get(MEMBERSHIP))
    assert 'value="renew"' not in text and "CR-ONB-006" not in text
    assert f"续期申请自 {opens.isoformat()} 起开放（入驻有效期届满前 60 天）" in text

    # and once within the notice days the button is there, and the note is gone
    membership = term_ends(membership, 60)
    text = page_text(client.get(MEMBERSHIP))
    assert 'value="renew"' in text and "续期申请自" not in text


def test_renewal_requested_by_a_fresh_agency_is_renewed_from_the_supervisors_queue():
    # given a fresh grade-A member whose term is within 60 days of its end, asking to renew from its page
    agency, membership, user = admitted_agency()
    membership = term_ends(membership, 30)
    agency_client = logged_in(user)
    response = agency_client.post(MEMBERSHIP, {"action": "renew", "token": membership_token(membership)}, follow=True)
    # then it is told the request went to review (not a red refusal)
    assert "续期申请已提交，请等待监管部门审核" in page_text(response) and "CR-ONB-006" not in page_text(response)
    assert refetch(membership).renewal_requested_at is not None
    # and a supervisor whose scope does not cover the agency does not see it
    other = ServiceCategory.objects.exclude(code__startswith="VAL").order_by("code").last()
    outsider = logged_in(supervisor_user(categories=[other], all_regions=True))
    assert agency.name not in page_text(outsider.get(reverse("supervisor-queue")))
    # then the supervisor's queue lists it with the request, and the supervisor renews it
    supervisor_client = logged_in(supervisor_user())
    queue = page_text(supervisor_client.get(reverse("supervisor-queue")))
    assert agency.name in queue and "申请续期" in queue
    renew = reverse("supervisor-renew", args=[membership.pk])
    assert renew in queue
    response = supervisor_client.post(renew, follow=True)
    assert "已为" in page_text(response)
    renewed = refetch(membership)
    assert renewed.term_until > membership.term_until and renewed.renewal_requested_at is None
    # and the agency's page no longer shows the request pending
    assert 'id="renewal-pending"' not in page_html(agency_client.get(MEMBERSHIP))


def test_the_buyer_sees_its_own_record_on_its_workspace():
    buyer = buyer_user()
    unit = buyer.buyerstaff_set.get().unit
    buyer_failure_record(
        unit=unit,
        step="payment.late",
        context={"project": "ZJCS-2026-000777", "due": "2026-03-01"},
        target="test",
        at=timezone.now() - DAY,
    )
    text = page_text(logged_in(buyer).get(reverse("buyer-projects")))
    assert "本单位政务诚信记录" in text and "逾期支付中介服务费" in text
    assert reverse("project-public", args=["ZJCS-2026-000777"]) in text
    assert reverse("buyer-record", args=[unit.uscc]) in text
