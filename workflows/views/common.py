"""What every role's pages share: one decorator per role, one way to show a refusal, one file helper.

A role decorator signs the user in, checks the role, finds who the account acts for (the agency, the
buyer unit, the supervisor profile — through ``marketplace.selectors``, the one source) and hands it
to the view as its first argument; a service's ``NotPermitted`` escaping the view becomes a 403.
``refusal_show`` turns a service's ``ApplicationError`` into form errors or page messages;
``result_show`` does the same for the transition runner's refused result.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.errors import ApplicationError, NotPermitted
from marketplace.roles import Role, has_role
from marketplace.selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of

from ..services.transitions import TransitionResult

View = Callable[..., HttpResponse]


def role_required(
    role: Role | tuple[Role, ...], *, acts_for: Callable[[Any], Any] | None, wrong_role: Any, no_organisation: Any = ""
):
    """A decorator: signed in, in ``role`` (or one of them), acting for an organisation (passed to the view) where asked."""
    roles = role if isinstance(role, tuple) else (role,)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(has_role(request.user, r) for r in roles):
                raise PermissionDenied(str(wrong_role))
            if acts_for is not None:
                organisation = acts_for(request.user)
                if organisation is None:
                    raise PermissionDenied(str(no_organisation))
                args = (organisation, *args)
            try:
                return view(request, *args, **kwargs)
            except NotPermitted as exc:  # a service's own object check: a 403, never a 500
                raise PermissionDenied(str(exc)) from exc

        return login_required(wrapper)

    return decorator


agency_required = role_required(
    Role.AGENCY,
    acts_for=agency_acted_for,
    wrong_role=gettext_lazy("该页面仅供中介机构账号使用。"),
    no_organisation=gettext_lazy("您的账号尚未关联中介机构。"),
)
buyer_required = role_required(
    Role.BUYER,
    acts_for=buyer_unit_acted_for,
    wrong_role=gettext_lazy("该页面仅供项目业主账号使用。"),
    no_organisation=gettext_lazy("您的账号尚未关联项目业主单位。"),
)
supervisor_required = role_required(
    Role.SUPERVISOR,
    acts_for=supervisor_profile_of,
    wrong_role=gettext_lazy("该页面仅限监管部门使用。"),
    no_organisation=gettext_lazy("该页面仅限监管部门使用。"),
)
operator_required = role_required(Role.OPERATOR, acts_for=None, wrong_role=gettext_lazy("该页面仅限平台运营机构使用。"))
# The pages of those who run and supervise the market alike (the monthly operations reports).
staff_required = role_required(
    (Role.SUPERVISOR, Role.OPERATOR), acts_for=None, wrong_role=gettext_lazy("该页面仅限监管部门和平台运营机构使用。")
)


def refusal_show(
    request: HttpRequest,
    refusal: ApplicationError | TransitionResult,
    *,
    form: forms.BaseForm | None = None,
    field: str | None = None,
) -> None:
    """Show a refusal where the user looks: a service's error, or the runner's refused result.

    With a form: each field error on its field (when the form has it), the rest on ``field`` or at
    the top of the form. Without one: as page messages. The gate's reasons of a credit refusal are
    not messages: the page shows each with its rule code and basis.
    """
    if form is None:
        for text in refusal.messages:
            messages.error(request, text)
    elif isinstance(refusal, ApplicationError):
        refusal.form_add(form, field)
    else:
        form.add_error(field, refusal.messages)


def refusal_redirect(to: Callable[..., HttpResponse]) -> Callable[[View], View]:
    """A decorator for a step posted from a page: a service's refusal escaping the view is said as a
    message on the page ``to(*args, **kwargs)`` leads back to (never a 500; a 403 stays a 403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotPermitted:
                raise
            except ApplicationError as exc:
                refusal_show(request, exc)
                return to(*args, **kwargs)

        return wrapper

    return decorator


def result_show(request: HttpRequest, result: TransitionResult | None, success: str) -> bool:
    """A transition's outcome as page messages; True when done.

    A credit refusal is left to the page, which shows each reason with its rule code and basis;
    a refusal by state or permission is said in a message.
    """
    if result is None or result.ok:
        messages.success(request, success)
        return True
    if not result.refusals:
        refusal_show(request, result)
    return False


def file_response(field_file_or_name: Any) -> FileResponse:
    """A private upload as a download, after the caller has checked who asks and when."""
    name = getattr(field_file_or_name, "name", field_file_or_name) or ""
    if not name or not default_storage.exists(name):
        raise Http404(_("文件不存在。"))
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(default_storage.open(name, "rb"), content_type=content_type, filename=os.path.basename(name))
