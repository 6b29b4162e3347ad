"""The demo clock page (demo mode only): the demo time, the next deadline, the steps taken and by whom; an
operator or supervisor moves the time forward here or from the banner shown on every page.

Outside demo mode the URL answers 404: the page does not exist in a real deployment.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import ApplicationError

from .. import clock
from ..selectors.clock import clock_get_for_operator_page
from ..services.clock import clock_advance
from .common import refusal_show


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the step was taken on (the banner's ``next``), or to the clock page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("demo-clock")


@require_http_methods(["GET", "POST"])
@login_required
def demo_clock(request: HttpRequest) -> HttpResponse:
    """演示时钟: move the demo time forward; the sweeps run before the page returns."""
    if not clock.enabled():
        raise Http404
    if not clock.can_advance(request.user):
        raise PermissionDenied(_("演示时钟仅限运营机构和监管部门调整。"))
    if request.method == "POST":
        try:
            done = clock_advance(actor=request.user, step=request.POST.get("step", ""))
        except ApplicationError as exc:
            refusal_show(request, exc)
        else:
            acted = sum(done.deadlines.values()) + sum(done.credit.values())
            messages.success(
                request,
                _("演示时钟已前进至 %(to)s；到期处理已执行（%(count)d 项）。")
                % {"to": timezone.localtime(done.step.demo_to).strftime("%Y-%m-%d %H:%M"), "count": acted},
            )
        return _back(request)
    return render(request, "workflows/operator_clock.html", {"page": clock_get_for_operator_page()})
