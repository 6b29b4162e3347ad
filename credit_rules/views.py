"""Public credit pages (no login): agency directory, an agency's credit profile, black list, red list, the policy,
and the buyer units' government integrity (政务诚信): their directory and each unit's record.

Reads go through ``credit_rules.selectors``; nothing here writes. These pages show organisation
data only — never contact persons, phone numbers, legal representatives or users' names.

The directory and the black and red lists are cached whole per URL, language and policy for visitors
without a session (``credit_rules.caching``; any standing or agency write makes the next request read
afresh), and count their rows only up to ``marketplace.paging.MAX_PAGES`` pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm
from marketplace.models import Agency, ServiceCategory
from marketplace.paging import CappedPaginator, rows_estimate
from marketplace.selectors import category_tree

from .buyer_record import buyer_list_for_directory, buyer_record, buyer_unit_for_record
from .caching import credit_page
from .citations import CREDIT_REPAIR_MEASURES, JOINT_REWARD_PUNISHMENT
from .models import CreditSubject, Grade, LedgerEntry, MeasureKind
from .policy import policy_at
from .selectors import (
    MEASURE_BADGES,
    DirectoryFilters,
    EntryStatus,
    agency_list_for_directory,
    agency_profile_for_public,
    entry_status,
    policy_for_public,
    rule_title,
    subject_list_for_blacklist,
    subject_list_for_redlist,
)
from .standing import ActiveMeasure, Standing, standing_compute

PAGE_SIZE = 20


class DirectoryFilterForm(PlainForm):
    """Search and filters of the agency directory (all optional; a bad value is reported and ignored)."""

    q = forms.CharField(label=_("名称或统一社会信用代码"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("服务事项"), required=False)
    grade = forms.ChoiceField(label=_("信用等级"), required=False)
    measure = forms.ChoiceField(label=_("信用措施"), required=False)

    def __init__(self, *args, tree: list[ServiceCategory], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.by_code = {}
        groups: list = [("", _("全部"))]
        for top in tree:
            self.by_code[top.code] = top
            options = [(top.code, _("%(name)s（全部）") % {"name": top.label})]
            for leaf in top.children.all():
                self.by_code[leaf.code] = leaf
                options.append((leaf.code, leaf.label))
            groups.append((top.label, options))
        cast(forms.ChoiceField, self.fields["category"]).choices = groups
        cast(forms.ChoiceField, self.fields["grade"]).choices = [("", _("全部")), *((g.value, g.value) for g in Grade)]
        cast(forms.ChoiceField, self.fields["measure"]).choices = [("", _("全部")), *MEASURE_BADGES.items()]

    def filters(self) -> DirectoryFilters:
        """The valid part of the query as selector filters (``is_valid`` has run)."""
        data = self.cleaned_data
        return DirectoryFilters(
            q=data.get("q") or "",
            category=self.by_code.get(data.get("category") or ""),
            grade=data.get("grade") or "",
            measure=data.get("measure") or "",
        )


def _cached(request: HttpRequest, name: str, render) -> HttpResponse:
    """The page from the public credit lists' cache (visitors without a session), keyed by the policy in force."""
    return credit_page(request, name, policy_at(timezone.now()).version.pk, lambda: render(request))


def agency_directory(request):
    """中介机构名录: every agency with grade, score and measures in force; search, filters, pages."""
    return _cached(request, "directory", _agency_directory)


def _agency_directory(request):
    form = DirectoryFilterForm(request.GET or None, tree=category_tree())
    filters = DirectoryFilters()
    if form.is_bound:
        # Errors are shown next to their fields; the fields that are valid still filter.
        form.is_valid()
        filters = form.filters()
    # The whole directory, unfiltered, is counted by the database's estimate past the pages' reach.
    estimate = (lambda: rows_estimate(Agency)) if filters == DirectoryFilters() else None
    paginator = CappedPaginator(agency_list_for_directory(filters), PAGE_SIZE, estimate=estimate)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "credit_rules/public_agency_directory.html",
        {"form": form, "page_obj": page, "measure_badges": MEASURE_BADGES},
    )


@dataclass(frozen=True)
class ProfileRow:
    """A public ledger entry with its derived status, for the profile's tables."""

    entry: LedgerEntry
    status: EntryStatus

    @property
    def summary(self) -> str:
        return str(self.entry.evidence.get("summary", "")) if isinstance(self.entry.evidence, dict) else ""


@dataclass(frozen=True)
class MeasureRow:
    """A measure in force with its ledger entry (for the basis), for the profile."""

    measure: ActiveMeasure
    entry: LedgerEntry | None

    @property
    def badge(self) -> str:
        return str(MEASURE_BADGES.get(self.measure.kind) or MeasureKind(self.measure.kind).label)

    @property
    def basis(self) -> str:
        return self.entry.basis if self.entry else ""


def agency_profile(request, uscc: str):
    """An agency's public credit profile: standing from the ledger, measures in force, public records."""
    agency = get_object_or_404(agency_profile_for_public(uscc))
    now = timezone.now()
    policy = policy_at(now)
    try:
        subject = agency.credit
    except CreditSubject.DoesNotExist:
        subject = None  # no credit record yet: the base standing of the policy in force
    if subject is not None:
        standing = standing_compute(subject, now)
        entries = subject.public_entries  # type: ignore[attr-defined]  # prefetched by the selector
    else:
        standing = Standing(subject_id=0, at=now, score=policy.base_score, grade=policy.grade_for(policy.base_score))
        entries = []
    by_pk = {e.pk: e for e in entries}
    rows = [ProfileRow(e, entry_status(e, e.followups.all(), now)) for e in entries]
    today = timezone.localdate(now)
    context = {
        "agency": agency,
        "categories": list(agency.categories.all()),
        "qualifications": [(q, q.is_valid_on(today)) for q in agency.qualifications.all()],
        "standing": standing,
        "measures": [MeasureRow(m, by_pk.get(m.entry_id)) for m in standing.measures],
        "active_rows": [r for r in rows if not r.status.withdrawn],
        "withdrawn_rows": [r for r in rows if r.status.withdrawn],
        "objection_days": policy.objection_window_days,
    }
    return render(request, "credit_rules/public_agency_profile.html", context)


def blacklist(request):
    """黑名单: agencies expelled, with the bar's end date, rule code and reason."""
    return _cached(request, "blacklist", _blacklist)


def _blacklist(request):
    page = CappedPaginator(subject_list_for_blacklist(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for subject in page.object_list:
        measure = subject.expulsions[0] if subject.expulsions else None
        reason = (rule_title(measure.rule_code) or measure.title) if measure else ""
        summary = str(measure.evidence.get("summary", "")) if measure and isinstance(measure.evidence, dict) else ""
        rows.append({"subject": subject, "measure": measure, "reason": reason, "summary": summary})
    return render(request, "credit_rules/public_blacklist.html", {"page_obj": page, "rows": rows})


def policy_public(request):
    """信用政策: the policy in force — version (a demonstration policy says so), bands, classes, catalogue, rules."""
    context = {
        "page": policy_for_public(),
        "repair_measures": CREDIT_REPAIR_MEASURES,
        "joint_opinion": JOINT_REWARD_PUNISHMENT,
    }
    return render(request, "credit_rules/public_policy.html", context)


def redlist(request):
    """红名单: agencies with a reward measure (the green channel) in force."""
    return _cached(request, "redlist", _redlist)


def _redlist(request):
    page = CappedPaginator(subject_list_for_redlist(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "credit_rules/public_redlist.html", {"page_obj": page})


def buyer_directory(request):
    """项目业主政务诚信: every buyer unit with its failures and warnings in force; search by name or USCC."""
    q = (request.GET.get("q") or "")[:100]
    page = Paginator(buyer_list_for_directory(q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "credit_rules/public_buyer_directory.html", {"page_obj": page, "q": q})


def buyer_profile(request, uscc: str):
    """A buyer unit's government-integrity record: warnings in force, counts by kind, every public record."""
    unit = get_object_or_404(buyer_unit_for_record(uscc))
    return render(request, "credit_rules/public_buyer_record.html", {"record": buyer_record(unit)})
