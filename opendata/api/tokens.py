"""Organisation API tokens: made and revoked by the organisation's administrator, shown once, kept hashed.

Whose tokens an account manages: the agency or buyer unit it administers (guardian's ``administer_*`` object
permission, as for its staff accounts), or, for a supervisor, its own profile. The secret is 32 random bytes; only
its SHA-256 is stored (a secret of that strength needs no slow hash), with a short prefix to tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import ApplicationError, NotPermitted
from marketplace.selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of

from ..models import ApiToken

TOKEN_PREFIX = "zjcs_"
MAX_ACTIVE = 10


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Owner:
    """The organisation an account manages tokens for: exactly one of the three is set."""

    agency: object | None = None
    buyer: object | None = None
    supervisor: object | None = None

    @property
    def name(self) -> str:
        if self.supervisor is not None:
            return self.supervisor.authority
        return (self.agency or self.buyer).name

    def scopes(self) -> list[tuple[str, str]]:
        """Scopes this kind of organisation may grant: only an agency signs up."""
        choices = [(ApiToken.Scope.READ.value, str(ApiToken.Scope.READ.label))]
        if self.agency is not None:
            choices.append((ApiToken.Scope.SIGNUP.value, str(ApiToken.Scope.SIGNUP.label)))
        return choices

    def filter(self) -> dict:
        return {"agency": self.agency, "buyer": self.buyer, "supervisor": self.supervisor}


def owner_of(user) -> Owner | None:
    """The organisation whose tokens ``user`` administers, or None."""
    agency = agency_acted_for(user)
    if agency is not None:
        return Owner(agency=agency) if user.has_perm("marketplace.administer_agency", agency) else None
    unit = buyer_unit_acted_for(user)
    if unit is not None:
        return Owner(buyer=unit) if user.has_perm("marketplace.administer_buyerunit", unit) else None
    profile = supervisor_profile_of(user)
    return Owner(supervisor=profile) if profile is not None else None


def tokens_of(owner: Owner) -> QuerySet[ApiToken]:
    """The owner's tokens, newest first, with the account that made each (no secret: only its prefix)."""
    return ApiToken.objects.filter(**owner.filter()).select_related("created_by").order_by("-created_at", "-pk")


@transaction.atomic
def token_create(*, actor, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token for the organisation ``actor`` administers; returns it and the secret (shown once)."""
    owner = owner_of(actor)
    if owner is None:
        raise NotPermitted(_("只有机构管理员可以管理接口令牌。"))
    name = (name or "").strip()
    if not name:
        raise ApplicationError({"name": _("请填写令牌名称")})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise ApplicationError({"name": _("令牌名称不能含控制字符或不可见字符")})
    allowed = {value for value, _label in owner.scopes()}
    if not scopes or not set(scopes) <= allowed:
        raise ApplicationError({"scopes": _("请选择权限范围")})
    if tokens_of(owner).filter(revoked_at__isnull=True).count() >= MAX_ACTIVE:
        raise ApplicationError(_("有效令牌最多 %(n)d 个，请先撤销不用的令牌。") % {"n": MAX_ACTIVE})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        **owner.filter(),
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor, pk: int) -> ApiToken:
    """Revoke one of the organisation's tokens: its next call is refused (401)."""
    owner = owner_of(actor)
    if owner is None:
        raise NotPermitted(_("只有机构管理员可以管理接口令牌。"))
    token = tokens_of(owner).select_for_update().filter(pk=pk).first()
    if token is None:
        raise NotPermitted(_("没有这个令牌。"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def token_find(raw: str) -> ApiToken | None:
    """The active token with this secret, with its organisation loaded, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    return (
        ApiToken.objects.filter(digest=token_digest(raw), revoked_at__isnull=True)
        .select_related("created_by", "agency", "buyer", "supervisor")
        .first()
    )
