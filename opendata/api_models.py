"""The open data's rows: the REST API's organisation tokens and its call log (opendata.api, docs/api.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["ApiCall", "ApiToken"]


class ApiToken(models.Model):
    """A token an organisation's administrator made for its systems. Only the SHA-256 of the secret is kept:
    the secret is shown once, when made. A revoked token stays (its calls are logged against it)."""

    class Scope(models.TextChoices):
        READ = "read", _("读取")
        SIGNUP = "signup", _("报名")

    agency = models.ForeignKey("marketplace.Agency", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(
        "marketplace.BuyerUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supervisor = models.ForeignKey(
        "marketplace.SupervisorProfile", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        constraints = [
            models.CheckConstraint(
                name="api_token_one_organisation",
                condition=(
                    Q(agency__isnull=False, buyer__isnull=True, supervisor__isnull=True)
                    | Q(agency__isnull=True, buyer__isnull=False, supervisor__isnull=True)
                    | Q(agency__isnull=True, buyer__isnull=True, supervisor__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiCall(models.Model):
    """One call of an authenticated endpoint: which token (none when the token was missing or refused), what, when,
    the answer's status and how long it took."""

    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    path = models.CharField(max_length=300)
    method = models.CharField(max_length=10)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        indexes = [models.Index(fields=["token", "-at"], name="api_call_token_at")]
