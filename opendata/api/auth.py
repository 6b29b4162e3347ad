"""How an authenticated call is let in: the Bearer token, its scope and organisation kind, the per-token rate
(DRF throttling in the Django cache), and the call log every authenticated endpoint writes (``ApiCall``)."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from ..models import ApiCall, ApiToken
from .tokens import token_find


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer zjcs_…``: the call acts as the administrator who made the token, for its organisation."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确。"))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确。")) from None
        token = token_find(raw)
        if token is None or not token.created_by.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销。"))
        return token.created_by, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TokenRateThrottle(SimpleRateThrottle):
    """Calls per token (``ZJCS_API_TOKEN_RATE``, e.g. "120/min"), counted in the default cache."""

    scope = "token"

    def get_rate(self) -> str:
        return settings.ZJCS_API_TOKEN_RATE

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        return f"api-throttle-token-{token.pk}" if isinstance(token, ApiToken) else None


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenFor(BasePermission):
    """A token of the right kind of organisation, holding the view's scope (``required_scope``)."""

    kind = ""

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            raise exceptions.NotAuthenticated(_("请在 Authorization 头中提供接口令牌。"))
        if getattr(token, f"{self.kind}_id") is None:
            raise exceptions.PermissionDenied(_("该令牌不属于可调用此接口的机构。"))
        scope = getattr(view, "required_scope", ApiToken.Scope.READ)
        if not token.allows(scope):
            raise exceptions.PermissionDenied(_("该令牌没有“%(scope)s”权限。") % {"scope": ApiToken.Scope(scope).label})
        return True


class AgencyToken(TokenFor):
    kind = "agency"


class BuyerToken(TokenFor):
    kind = "buyer"


class SupervisorToken(TokenFor):
    kind = "supervisor"


class TokenView(APIView):
    """An authenticated endpoint: token authentication, the per-token rate, and one ``ApiCall`` row per call."""

    authentication_classes = [TokenAuthentication]
    throttle_classes = [TokenRateThrottle]
    required_scope = ApiToken.Scope.READ

    def initial(self, request, *args, **kwargs):
        self._started = time.monotonic()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        started = getattr(self, "_started", time.monotonic())
        ApiCall.objects.create(
            token=_auth if isinstance(_auth := getattr(request, "_auth", None), ApiToken) else None,
            path=request.path[:300],
            method=request.method[:10],
            status=response.status_code,
            at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return response


class TokenScheme(OpenApiAuthenticationExtension):
    """The token as the OpenAPI document names it: HTTP bearer."""

    target_class = TokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": _("机构管理员在 /me/api-tokens/ 生成的令牌")}
