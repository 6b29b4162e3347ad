"""Dormant members (僵尸中介): a prompt after the policy's window without business, then the policy's exit.

An admitted member with no sign-up, engagement, renewal or membership change over ``zombie_months`` is
prompted (an inbox message and a to-do on its workspace) with ``zombie_prompt_days`` to do business; still
none by then, the membership ends (``Membership.dormant_exit`` through the runner, logged as 长期无业务退出)
with a public notice. It is no credit consequence: no rule is asked, nothing goes on the ledger, and the
agency may apply to enter again. Run by the credit sweep; the candidates are chosen by one query each
(``selectors.dormancy``), never by a loop over the agencies.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from cms.services import notice_request
from credit_rules.policy import policy_at

from ..models import DormancyPrompt, Membership, Notification
from ..selectors.dormancy import last_activity, memberships_to_exit, memberships_to_prompt
from .notifications.events import agency_recipients
from .notifications.service import notify
from .sweeps import sweep_each
from .transitions import transition_run

EXIT_NOTE = "长期无业务退出"  # the log's note (recorded Chinese, as every note)


def _day(at: datetime.datetime) -> str:
    return timezone.localtime(at).date().isoformat()


def dormancy_prompt(membership: Membership, now: datetime.datetime) -> DormancyPrompt:
    """Prompt a dormant member: the prompt row, and the agency told with the date its membership would end."""
    policy = policy_at(now)
    prompt = DormancyPrompt.objects.create(
        membership=membership,
        inactive_since=last_activity(membership),
        prompted_at=now,
        exit_due=now + datetime.timedelta(days=policy.zombie_prompt_days),
    )
    notify(
        recipients=agency_recipients(membership.agency_id),
        kind=Notification.Kind.DORMANCY_PROMPT,
        key=f"dormancy_prompt:{prompt.pk}",
        params={"since": _day(prompt.inactive_since), "months": policy.zombie_months},
        link=reverse("agency-projects"),
        deadline=prompt.exit_due,
        at=now,
    )
    return prompt


def dormancy_exit(membership: Membership, now: datetime.datetime):
    """The policy's exit of a member still without business after its prompt: through the runner, with notices."""
    prompt = membership.dormancy_prompts.filter(exited_at__isnull=True).order_by("-prompted_at").first()
    assert prompt is not None  # chosen by memberships_to_exit

    def effects(locked: Membership, decision) -> None:
        DormancyPrompt.objects.filter(pk=prompt.pk).update(exited_at=now)
        agency = locked.agency
        notice_request(
            kind="dormant_exit",
            source_key=f"dormant-exit:{locked.pk}",
            payload={
                "title": f"{agency.name}长期无业务退出公告",
                "agency": {"name": agency.name, "uscc": agency.uscc},
                "evidence_summary": (
                    f"该机构自 {_day(prompt.inactive_since)} 起无报名、服务、续期或入驻变更记录，"
                    f"平台于 {_day(prompt.prompted_at)} 提示后至 {_day(prompt.exit_due)} 仍无业务，"
                    "按平台政策退出中介超市。本次退出不属于失信惩戒，不影响信用记录，可重新申请入驻。"
                ),
                "starts_at": _day(now),
            },
        )
        notify(
            recipients=agency_recipients(agency.pk),
            kind=Notification.Kind.DORMANCY_EXIT,
            key=f"dormancy_exit:{prompt.pk}",
            params={"since": _day(prompt.inactive_since), "prompted": _day(prompt.prompted_at)},
            link=reverse("agency-membership"),
            at=now,
        )

    note = f"{EXIT_NOTE}：自 {_day(prompt.inactive_since)} 起无业务，{_day(prompt.prompted_at)} 提示后逾期仍无业务"
    return transition_run(
        obj=membership, name="dormant_exit", actor=None, params={"at": now}, at=now, note=note, on_done=effects
    )


def dormancy_sweep(now: datetime.datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Exit the members whose prompt ran out without business, then prompt the newly dormant ones."""
    now = now or timezone.now()
    policy = policy_at(now)
    exited = sweep_each(
        memberships_to_exit(policy, now).order_by("pk").select_related("agency"),
        lambda m: dormancy_exit(m, now).ok,
        batch,
    )
    prompted = sweep_each(memberships_to_prompt(policy, now).order_by("pk"), lambda m: dormancy_prompt(m, now), batch)
    return {"dormancy_exited": exited, "dormancy_prompted": prompted}
