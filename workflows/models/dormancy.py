"""Dormant members (僵尸中介): the prompt an admitted agency gets after the policy's window without business."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .membership import Membership


class DormancyPrompt(models.Model):
    """One prompt (长期无业务提示) to a member with no sign-up, engagement, renewal or membership change since
    ``inactive_since``; if still none by ``exit_due`` the sweep ends the membership by policy (``exited_at``).

    Not a state machine: the membership's exit is its own transition (``Membership.dormant_exit``). A prompt
    that activity overtook simply stays as it was, history for the statistics.
    """

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="dormancy_prompts")
    inactive_since = models.DateTimeField(_("最近一次业务活动"))
    prompted_at = models.DateTimeField(_("提示时间"), db_index=True)
    exit_due = models.DateTimeField(_("逾期退出时间"))
    exited_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        ordering = ["-prompted_at", "-pk"]
        verbose_name = _("长期无业务提示")
        verbose_name_plural = _("长期无业务提示")
        indexes = [
            # The sweep's exits: the prompts still open, by due date.
            models.Index(fields=["exit_due"], name="dormancy_prompt_open", condition=Q(exited_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.prompted_at:%Y-%m-%d}"
