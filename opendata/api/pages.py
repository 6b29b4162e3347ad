"""接口令牌 (/me/api-tokens/): the organisation's administrator makes and revokes API tokens in the browser.

A new token's secret is shown once, on the page the POST redirects to, and never again (only its hash is kept).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.errors import ApplicationError, NotPermitted
from marketplace.forms import PlainForm
from workflows.views.common import refusal_show

from .tokens import owner_of, token_create, token_revoke, tokens_of


class TokenForm(PlainForm):
    name = forms.CharField(
        label=gettext_lazy("令牌名称"), max_length=100, help_text=gettext_lazy("例如：本单位业务系统")
    )
    scopes = forms.MultipleChoiceField(label=gettext_lazy("权限范围"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = choices  # type: ignore[attr-defined]


# The new secret waits in the server-side session for the one GET after the POST's redirect, which removes it.
SECRET_KEY = "opendata_new_token_secret"


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The organisation's tokens; the administrator's form to make one (the secret shown once, after the redirect)."""
    owner = owner_of(request.user)
    if owner is None:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "opendata/account_api_tokens.html", {"owner": None})
    form = TokenForm(request.POST or None, choices=owner.scopes())
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = token_create(
                actor=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except NotPermitted:
            raise PermissionDenied from None
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            request.session[SECRET_KEY] = secret
            return redirect("api-tokens")
    secret = request.session.pop(SECRET_KEY, "") if request.method == "GET" else ""
    context = {"owner": owner, "form": form, "tokens": list(tokens_of(owner)), "secret": secret}
    return render(request, "opendata/account_api_tokens.html", context)


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = token_revoke(actor=request.user, pk=pk)
    except NotPermitted:
        raise PermissionDenied from None
    messages.success(request, _("令牌“%(name)s”已撤销，使用它的调用将被拒绝。") % {"name": token.name})
    return redirect("api-tokens")
