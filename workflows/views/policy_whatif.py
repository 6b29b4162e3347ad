"""The policy what-if page (政策试算): a draft policy version replayed over the whole ledger, its CSV, and its publication.

Supervisors and the platform credit office run the what-if (the policy is platform-wide, so is the replay); only
the credit office publishes, as in the admin, and through a check-your-answers page that recomputes the what-if
at the moment of publishing and carries the version signed (``forms.confirm``). Publishing applies what it showed:
``services.credit.policy.policy_version_publish`` refreshes every standing and runs the sweep's grade reviews.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from credit_rules.models import MeasureKind, PolicyVersion
from credit_rules.rules import REGISTRY
from credit_rules.whatif import GRADES, Row, WhatIf, whatif_run
from marketplace.authority import is_credit_office
from marketplace.errors import ApplicationError
from marketplace.selectors import supervisor_profile_of

from ..forms.confirm import ConfirmationForm, confirmation_token
from ..forms.policy_whatif import WhatIfForm
from ..selectors import policy_whatif as sel
from ..services.credit.policy import policy_version_publish
from ..services.credit.prior_notice import needs_notice

PUBLISH_PURPOSE = "policy-publish"
PAGE_SIZE = 50


def _authority(request) -> tuple[bool, object]:
    """(credit office?, supervisor profile): one of them, or a 403."""
    platform = is_credit_office(request.user)
    profile = supervisor_profile_of(request.user)
    if not platform and profile is None:
        raise PermissionDenied(_("该页面仅限监管部门或平台信用管理部门使用。"))
    return platform, profile


def _run(draft: PolicyVersion, at) -> WhatIf:
    return whatif_run(draft, at=at, told_first=needs_notice, contexts=sel.market_contexts())


def _rules(pairs) -> list[str]:
    """(rule, kind) pairs as "CR-… title · measure" in the reader's language."""
    return [f"{code} {REGISTRY[code].title} · {MeasureKind(kind).label}" for code, kind in pairs]


def _codes(codes) -> list[str]:
    return [f"{code} {REGISTRY[code].title}" for code in codes]


def _shown(row: Row) -> dict:
    """One changed agency as the page and the CSV show it."""
    return {
        "uscc": row.uscc,
        "name": row.name,
        "before": row.before,
        "after": row.after,
        "starts": _rules(row.starts),
        "notices": _rules(row.notices),
        "ends": _rules(row.ends),
        "entry": _codes(row.newly_refused_entry),
        "signup": _codes(row.newly_refused_signup),
    }


def _form(request, drafts) -> tuple[WhatIfForm, PolicyVersion | None]:
    form = WhatIfForm(request.GET or None, drafts=drafts)
    if not request.GET or not form.is_valid():
        return form, None
    return form, next(d for d in drafts if d.version == form.cleaned_data["version"])


@login_required
@require_GET
def whatif(request):
    """The drafts, the what-if form, and the what-if's counts, grade matrix and changed agencies (paged)."""
    platform, profile = _authority(request)
    drafts = sel.drafts_for_whatif()
    form, draft = _form(request, drafts)
    context: dict = {"form": form, "drafts": drafts, "platform": platform, "profile": profile, "grades": GRADES}
    if draft is not None:
        result = _run(draft, form.moment())
        page = Paginator(result.rows, PAGE_SIZE).get_page(request.GET.get("page"))
        query = {"version": draft.version, "on": request.GET.get("on", "")}
        context.update(
            {
                "draft": draft,
                "result": result,
                "counts": result.counts(),
                "page": page,
                "shown": [_shown(row) for row in page.object_list],
                "query": urlencode(query),
            }
        )
    return render(request, "workflows/supervisor_policy_whatif.html", context)


@login_required
@require_GET
def whatif_csv(request):
    """Every changed agency of the what-if as CSV (UTF-8 with a byte-order mark, for spreadsheets)."""
    _authority(request)
    form, draft = _form(request, sel.drafts_for_whatif())
    if draft is None:
        messages.error(request, _("请先选择政策草稿并试算。"))
        return redirect("policy-whatif")
    result = _run(draft, form.moment())
    day = timezone.localtime(result.at).date().isoformat()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="policy-whatif-v{draft.version}-{day}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("统一社会信用代码"),
            _("机构名称"),
            _("现行分数"),
            _("现行等级"),
            _("草稿分数"),
            _("草稿等级"),
            _("将实施的措施"),
            _("将先行告知的措施"),
            _("将解除的措施"),
            _("新增入驻拒绝"),
            _("新增报名拒绝"),
        ]
    )
    for row in result.rows:
        shown = _shown(row)
        writer.writerow(
            [
                row.uscc,
                row.name,
                row.before.score,
                row.before.grade,
                row.after.score,
                row.after.grade,
                "; ".join(shown["starts"]),
                "; ".join(shown["notices"]),
                "; ".join(shown["ends"]),
                "; ".join(shown["entry"]),
                "; ".join(shown["signup"]),
            ]
        )
    return response


@login_required
@require_POST
def publish(request):
    """Publish a draft from the what-if: first a check-your-answers page (the what-if now), then the publication."""
    if not is_credit_office(request.user):
        raise PermissionDenied(_("只有平台信用管理部门可以发布信用政策。"))
    if request.POST.get("step") == "confirm":
        confirm = ConfirmationForm(request.POST, purpose=PUBLISH_PURPOSE, user=request.user)
        if not confirm.is_valid():
            for problem in confirm.problems():
                messages.error(request, problem)
            return redirect("policy-whatif")
        draft = PolicyVersion.objects.filter(version=confirm.cleaned_data["payload"]["version"]).first()
        if draft is None:
            messages.error(request, _("没有这个政策草稿。"))
            return redirect("policy-whatif")
        try:
            done = policy_version_publish(version=draft, actor=request.user)
        except ApplicationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("policy-whatif")
        messages.success(
            request,
            _(
                "政策 v%(version)s 已发布并生效：重算信用状况 %(standings)s 家，限制交易 %(restricted)s 家，解除限制 %(unrestricted)s 家。"
            )
            % {"version": draft.version, **done},
        )
        return redirect("credit-policy")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    draft = PolicyVersion.objects.filter(version=version, published_at__isnull=True).first()
    if draft is None:
        messages.error(request, _("没有这个政策草稿。"))
        return redirect("policy-whatif")
    result = _run(draft, timezone.now())
    context = {
        "draft": draft,
        "result": result,
        "counts": result.counts(),
        "grades": GRADES,
        "confirmation": confirmation_token(purpose=PUBLISH_PURPOSE, user=request.user, data={"version": draft.version}),
    }
    return render(request, "workflows/supervisor_policy_whatif_confirm.html", context)
