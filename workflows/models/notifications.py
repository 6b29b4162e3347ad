"""Notifications: a person's inbox (站内消息), the channels each person chose, and every delivery attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one person: an event (a win, a measure notice, a decision) or a deadline reminder.

    ``key`` names the event once per person — ``(event, object, deadline, lead)`` for a reminder — so a
    sweep that runs twice, or two sweeps at once, make one row and send it once. The text is rendered
    from ``kind`` and ``params`` in the reader's language when shown.
    """

    class Kind(models.TextChoices):
        WIN = "win", _("中选通知")
        REMINDER = "reminder", _("期限提醒")
        MEASURE_NOTICE = "measure_notice", _("信用惩戒告知")
        OBJECTION_DECIDED = "objection_decided", _("异议处理结果")
        REPAIR_DECIDED = "repair_decided", _("信用修复审核结果")
        REPAIRABLE = "repairable", _("信用修复提醒")
        IDENTITY_DECIDED = "identity_decided", _("身份核验结果")
        DORMANCY_PROMPT = "dormancy_prompt", _("长期无业务提示")
        DORMANCY_EXIT = "dormancy_exit", _("长期无业务退出")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    deadline = models.DateTimeField(_("期限"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.key}"


class NotificationPreference(models.Model):
    """The channels a person chose besides the inbox, which is always on: e-mail, SMS (with the number)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_pref")
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)
    phone = models.CharField(_("接收短信的手机号码"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")


class NotificationDelivery(models.Model):
    """One attempt to deliver a notification on one channel, with its outcome."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("站内消息")
        EMAIL = "email", _("电子邮件")
        SMS = "sms", _("短信")

    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送（无地址）")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("通知发送记录")
        verbose_name_plural = _("通知发送记录")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="one_delivery_per_channel")]
