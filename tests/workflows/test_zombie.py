"""Dormant members (僵尸中介): an admitted agency with no sign-up, engagement, renewal or membership change over the
policy's window is prompted (inbox and workspace), then, still without business after the prompt period, leaves by
the policy's exit through the transition runner (长期无业务退出), with a public notice and no credit consequence.
The credit sweep runs it; the counts show on the statistics page.

Time is moved by admitting the agency under a clock set back (``long_member``) and by giving the sweep a later
``now``: nothing is written to stand in for the passing months.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry
from credit_rules.services import subject_for_agency
from marketplace.models import Qualification
from tests.factories import admitted_agency, agencies, engagement_row, published_project, supervisor_user
from tests.helpers import last_log, refetch
from workflows.models import CreditCase, DormancyPrompt, Membership, Notification
from workflows.selectors.statistics import statistics_for_public
from workflows.selectors.workspace import header_counts_for_user, todo_list_for_agency_workspace
from workflows.services import dormancy as dormancy_services
from workflows.services import membership as membership_services
from workflows.services.credit.sweeps import credit_sweep
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PROMPT_ACTION = "参与项目报名或办理续期"


def long_member(months: int = 13):
    """A qualified agency admitted through the entry path ``months`` ago, idle since: (agency, membership, user)."""
    with time_machine.travel(timezone.now() - relativedelta(months=months), tick=True):
        [(agency, user)] = agencies(1)
    return agency, agency.memberships.get(), user


def dormancy_todos(agency, now=None) -> list:
    return [t for t in todo_list_for_agency_workspace(agency, now).todos if t.action == PROMPT_ACTION]


def test_an_idle_member_is_prompted_then_exits_by_policy_through_the_runner():
    # given a member idle for thirteen months and one admitted today
    agency, membership, user = long_member()
    newcomer, _m, _u = admitted_agency()
    now = timezone.now()
    # when the credit sweep runs
    result = credit_sweep(now)
    # then only the idle member is prompted, with the exit date the policy gives
    assert result["dormancy_prompted"] == 1 and result["dormancy_exited"] == 0
    [prompt] = DormancyPrompt.objects.all()
    assert prompt.membership == membership and prompt.exit_due == now + 30 * DAY
    # its admission was its last change
    assert membership.member_since <= prompt.inactive_since < membership.member_since + datetime.timedelta(minutes=1)
    [message] = Notification.objects.filter(kind=Notification.Kind.DORMANCY_PROMPT)
    assert message.recipient == user and message.deadline == prompt.exit_due
    assert not Notification.objects.filter(recipient__agencystaff__agency=newcomer).exists()
    # and its workspace shows the to-do with the deadline, counted in the header as well
    [todo] = dormancy_todos(agency, now)
    assert todo.deadline == prompt.exit_due and todo.url == reverse("agency-projects")
    assert header_counts_for_user(user, now).todo_count == len(todo_list_for_agency_workspace(agency, now).todos)
    # when the sweep runs again, and just before the exit date
    assert credit_sweep(now)["dormancy_prompted"] == 0
    assert credit_sweep(now + 29 * DAY)["dormancy_exited"] == 0
    assert refetch(membership).state == Membership.State.ACTIVE
    # when the prompt period has passed without business
    result = credit_sweep(now + 31 * DAY)
    # then the membership is withdrawn by the runner as 长期无业务退出, not as a voluntary withdrawal
    assert result["dormancy_exited"] == 1
    membership = refetch(membership)
    assert membership.state == Membership.State.WITHDRAWN and membership.ended_at == now + 31 * DAY
    log = last_log(membership)
    assert log.transition == "dormant_exit" and log.outcome == "done" and log.actor is None
    assert "长期无业务退出" in log.note
    assert refetch(prompt).exited_at == now + 31 * DAY
    # with a public notice saying so, naming the organisation
    notice = NoticeRequest.objects.get(kind=NoticeRequest.Kind.DORMANT_EXIT)
    assert notice.payload["agency"] == {"name": agency.name, "uscc": agency.uscc}
    assert "长期无业务退出" in notice.payload["title"] and "不属于失信惩戒" in notice.payload["evidence_summary"]
    # and the agency told; the to-do is gone; the sweep does nothing more
    assert Notification.objects.filter(kind=Notification.Kind.DORMANCY_EXIT, recipient=user).count() == 1
    assert dormancy_todos(agency, now + 31 * DAY) == []
    assert credit_sweep(now + 32 * DAY)["dormancy_exited"] == 0
    # and the agency may apply to enter again (an exit by policy bars nothing)
    again = membership_services.membership_start(agency=agency, actor=user)
    assert again.pk != membership.pk and again.state == Membership.State.DRAFT


def test_the_exit_is_no_credit_penalty():
    # given an idle member, prompted
    agency, membership, _user = long_member()
    now = timezone.now()
    credit_sweep(now)  # the prompt (and the green channel its clean grade A earns: the sweep's reward review)
    subject = subject_for_agency(agency)
    entries, score = LedgerEntry.objects.filter(subject=subject).count(), subject.score
    decisions = DecisionRecord.objects.count()
    notices = NoticeRequest.objects.count()
    # when it exits by policy
    assert credit_sweep(now + 31 * DAY)["dormancy_exited"] == 1
    # then nothing went on its ledger (no event with points, no measure), no decision was asked, no case opened
    subject = subject_for_agency(agency)
    assert LedgerEntry.objects.filter(subject=subject).count() == entries
    assert subject.score == score and not (subject.is_restricted or subject.is_suspended or subject.is_expelled)
    assert DecisionRecord.objects.count() == decisions
    assert not CreditCase.objects.filter(agency=agency).exists()
    assert refetch(membership).barred_until is None
    # and no credit notice: the only new notice is the exit's
    assert NoticeRequest.objects.count() == notices + 1
    assert NoticeRequest.objects.latest("pk").kind == NoticeRequest.Kind.DORMANT_EXIT


def test_a_sign_up_after_the_prompt_resets_the_clock():
    # given an idle member, prompted
    agency, membership, user = long_member()
    now = timezone.now()
    assert credit_sweep(now)["dormancy_prompted"] == 1
    # when it signs up for a project during the prompt period (its licence, issued a year ago, renewed first)
    Qualification.objects.filter(agency=agency).update(valid_until=timezone.localdate() + 365 * DAY)
    outcome = signup_services.signup_submit(project=published_project("draw"), agency=agency, actor=user, quote="50000")
    assert outcome.signup is not None
    # then the to-do goes at once, and the exit date passes without an exit
    assert dormancy_todos(agency, now) == []
    assert credit_sweep(now + 31 * DAY)["dormancy_exited"] == 0
    assert refetch(membership).state == Membership.State.ACTIVE
    # and no new prompt until the window has run again from the sign-up
    assert credit_sweep(now + relativedelta(months=11))["dormancy_prompted"] == 0
    assert credit_sweep(now + relativedelta(months=12, days=1))["dormancy_prompted"] == 1


def test_a_renewal_or_an_engagement_in_the_window_is_business():
    # given two members admitted thirteen months ago: one renewed by its supervisor six months ago,
    # the other with an engagement still open
    supervisor = supervisor_user(all_regions=True, all_categories=True)
    renewed, renewed_membership, _u = long_member()
    with time_machine.travel(timezone.now() - relativedelta(months=6), tick=True):
        assert membership_services.membership_renew(
            membership=renewed_membership, actor=supervisor, as_role="supervisor"
        ).ok
    serving, _m, _u2 = long_member()
    engagement_row(serving)
    idle, _m3, _u3 = long_member()
    # when the sweep runs
    assert credit_sweep()["dormancy_prompted"] == 1
    # then only the idle one is prompted
    assert list(DormancyPrompt.objects.values_list("membership__agency", flat=True)) == [idle.pk]


@time_machine.travel(datetime.datetime(2026, 5, 4, 10, tzinfo=datetime.UTC), tick=True)
def test_the_statistics_page_counts_this_years_prompts_and_exits(client):
    # given two idle members, both prompted, one of which is renewed by its supervisor in time
    supervisor = supervisor_user(all_regions=True, all_categories=True)
    leaving, _m, _u = long_member()
    staying, staying_membership, _u2 = long_member()
    url = reverse("statistics")
    assert client.get(url).context["summary"]["dormancy_prompted"] == 0  # read once, and cached
    now = timezone.now()
    credit_sweep(now)
    # then the cached page shows the prompts on the next request (a prompt is one of its marks)
    assert client.get(url).context["summary"]["dormancy_prompted"] == 2
    assert membership_services.membership_renew(
        membership=staying_membership, actor=supervisor, as_role="supervisor"
    ).ok
    credit_sweep(now + 31 * DAY)
    # then the year's counts: two prompted, one exited
    with time_machine.travel(now + 31 * DAY, tick=True):
        stats = statistics_for_public()
        body = client.get(url).content.decode()
    assert stats.dormancy == {"prompted": 2, "exited": 1}
    assert 'data-testid="summary-dormancy-prompted">2<' in body
    assert 'data-testid="summary-dormancy-exited">1 ' in body
    # and next year's count starts again
    assert statistics_for_public(now + relativedelta(years=1)).dormancy == {"prompted": 0, "exited": 0}


def test_the_sweep_chooses_its_candidates_by_query_not_by_agency():
    # given a few active members, none dormant
    agencies(2)
    with CaptureQueriesContext(connection) as few:
        assert dormancy_services.dormancy_sweep() == {"dormancy_exited": 0, "dormancy_prompted": 0}
    # when there are more
    agencies(4)
    with CaptureQueriesContext(connection) as more:
        dormancy_services.dormancy_sweep()
    # then the sweep runs the same queries: one candidate query for exits, one for prompts
    assert len(more.captured_queries) == len(few.captured_queries)
