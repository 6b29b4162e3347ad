"""RFC 9457 problem details: every refusal of the API is ``application/problem+json``.

A problem carries ``type`` (a URI naming the kind of problem; ``about:blank`` for plain HTTP ones), ``title``,
``status`` and ``detail``, and may add members: ``errors`` (field → messages) for bad input, ``refusals`` (rule code,
message, basis) when the credit gate said no. DRF's own exceptions (bad input, no or bad token, throttled, not
found) and the project's ``ApplicationError`` family all come out in this one shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from marketplace.errors import ApplicationError, Conflict, NotPermitted

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "/api/docs/problems/"
CREDIT_REFUSED = TYPE_BASE + "credit-refused"
INVALID = TYPE_BASE + "invalid-request"
REFUSED = TYPE_BASE + "refused"


def problem(status: int, title: str, detail: str = "", *, type_: str = "about:blank", **extra: Any) -> Response:
    """A problem-details response."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail or title}
    body.update(extra)
    response = Response(body, status=status, content_type=PROBLEM_TYPE)
    return response


def refusal_rows(refusals) -> list[dict[str, str]]:
    """The gate's refusals as the API shows them: rule code, message and legal basis, in the reader's language."""
    return [{"rule": r.rule_code, "message": str(r.message), "basis": str(r.basis)} for r in refusals]


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def application_problem(exc: ApplicationError) -> Response:
    """A service's refusal: 403 for NotPermitted, 409 for Conflict, 422 (with the gate's refusals) otherwise."""
    if isinstance(exc, NotPermitted):
        return problem(403, _("无权操作"), str(exc), type_=REFUSED)
    if isinstance(exc, Conflict):
        return problem(409, _("操作冲突"), str(exc), type_=REFUSED)
    if exc.refusals:
        return problem(422, _("信用审查未通过"), str(exc), type_=CREDIT_REFUSED, refusals=refusal_rows(exc.refusals))
    extra = {"errors": {k: [str(m) for m in v] for k, v in exc.field_errors.items()}} if exc.field_errors else {}
    return problem(422, _("请求被拒绝"), str(exc), type_=REFUSED, **extra)


def problem_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering in problem details."""
    if isinstance(exc, ApplicationError):
        return application_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    status = exc.status_code
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
        status = 401
    if isinstance(exc, exceptions.ValidationError):
        response = problem(
            status, _("请求内容有误"), _("请按错误提示修改后重试。"), type_=INVALID, errors=_flatten(exc.detail)
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = problem(status, str(exc.default_detail), str(detail))
    for name, value in headers.items():
        response[name] = value
    return response


class RefusalSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="规则编号 (rule code)")
    message = serializers.CharField()
    basis = serializers.CharField(help_text="依据 (legal basis)")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (schema only)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    refusals = RefusalSerializer(many=True, required=False)


def problem_responses(*statuses: int) -> dict:
    """The OpenAPI responses of these statuses: problem details, as ``application/problem+json``."""
    return {(status, PROBLEM_TYPE): ProblemSerializer for status in statuses}
