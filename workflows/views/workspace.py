"""Every signed-in account's own pages: the workspace (我的工作台, ``/me/``) with each role's to-dos and
their deadlines, the inbox (站内消息), and the notification channels it chose."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError
from marketplace.roles import Role, roles_of
from marketplace.selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of

from ..forms.account import PreferenceForm
from ..selectors.workspace import notification_list_for_inbox, preference_for_page, workspace_for_user
from ..services.notifications.service import notifications_mark_read, preference_save
from ..services.notifications.texts import notification_text
from .common import refusal_show


@require_http_methods(["GET"])
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """我的工作台: what each of the account's roles must do and by when, then the role's pages."""
    roles = roles_of(request.user)
    workspace = workspace_for_user(request.user)
    context = {
        "workspace": workspace,
        "header_workspace": workspace,  # the header shows the same counts: computed once
        "roles": [Role(r) for r in Role.values if r in roles],
        "agency": agency_acted_for(request.user) if Role.AGENCY in roles else None,
        "buyer_unit": buyer_unit_acted_for(request.user) if Role.BUYER in roles else None,
        "supervisor": supervisor_profile_of(request.user),
    }
    return render(request, "workflows/account_workspace.html", context)


@require_http_methods(["GET"])
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """站内消息: the latest messages, newest first; opening the page marks them read."""
    rows = [(n, *notification_text(n)) for n in notification_list_for_inbox(request.user)]
    notifications_mark_read(request.user)
    return render(request, "workflows/account_inbox.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """通知设置: e-mail and SMS besides the inbox, which is always on."""
    pref = preference_for_page(request.user)
    form = PreferenceForm(request.POST or None, initial={"email": pref.email, "sms": pref.sms, "phone": pref.phone})
    if request.method == "POST" and form.is_valid():
        try:
            preference_save(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification-preferences")
    return render(request, "workflows/account_preferences.html", {"form": form, "pref": pref})
