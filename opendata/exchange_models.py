"""The credit exchange's records: the outbox and its delivery log, the export cursor, the pulls, the stand-in.

See docs/credit-exchange.md. Every row here is an integration record, not a domain state: nothing in the
marketplace changes through them (the pulls end in the external-list import services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DeliveryAttempt",
    "ExchangeCursor",
    "ExternalPull",
    "OutboxMessage",
    "StandinFault",
    "StandinListing",
    "StandinReceived",
]


class ExchangeCursor(models.Model):
    """How far a reader of the ledger has gone: the last ledger entry it need not read again."""

    name = models.CharField(max_length=40, unique=True)
    last_entry_id = models.BigIntegerField(default=0)
    moved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("交换游标")
        verbose_name_plural = _("交换游标")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_entry_id}"


class OutboxMessage(models.Model):
    """One message for the credit platform, kept until it is delivered; the message id is stable."""

    class Kind(models.TextChoices):
        MEASURE = "measure", _("信用措施")
        END = "end", _("措施解除或撤销")
        FEEDBACK = "feedback", _("联合奖惩反馈")

    message_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    entry = models.ForeignKey(
        "credit_rules.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    listing = models.ForeignKey(
        "credit_rules.ExternalListing", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("交换发件箱")
        verbose_name_plural = _("交换发件箱")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id[:12]}"


class DeliveryAttempt(models.Model):
    """One try at delivering an outbox message: what the platform answered, or why nothing came back."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivered = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")


class ExternalPull(models.Model):
    """One pull of an external list from the credit platform, and what became of it."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("已导入")
        UNCHANGED = "unchanged", _("与上次相同，未重复导入")
        RECEIVED = "received", _("已接收，不自动适用")
        REJECTED = "rejected", _("名单有误，未导入")
        FAILED = "failed", _("拉取失败")

    source = models.CharField(max_length=40)
    url = models.CharField(max_length=500)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(default=0)
    affected = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(
        "credit_rules.ExternalListImport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField(default=list, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("名单拉取记录")
        verbose_name_plural = _("名单拉取记录")
        indexes = [models.Index(fields=["source", "-started_at"])]


class StandinReceived(models.Model):
    """The local stand-in platform: a message it accepted (deduplicated by its id)."""

    message_id = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("模拟平台收到的消息")
        verbose_name_plural = _("模拟平台收到的消息")


class StandinListing(models.Model):
    """The local stand-in platform: a row of a list it serves to pull."""

    source = models.CharField(max_length=40)
    uscc = models.CharField(max_length=18)
    name = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    listed_on = models.DateField()
    delisted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["source", "pk"]
        verbose_name = _("模拟平台名单")
        verbose_name_plural = _("模拟平台名单")


class StandinFault(models.Model):
    """The local stand-in platform: how many of the next pushes it answers with a server error."""

    remaining = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("模拟平台故障")
        verbose_name_plural = _("模拟平台故障")
