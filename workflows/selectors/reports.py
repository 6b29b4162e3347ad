"""The monthly operations report's figures (运营报告), computed for one calendar month, and the archive's reads.

Everything here is about organisations and counts: no natural person appears in a report. Amounts are kept as
decimal strings in the JSON so the archive says exactly what was computed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from ..models import (
    Challenge,
    DormancyPrompt,
    Engagement,
    MonthlyReport,
    Objection,
    Project,
    ServiceComplaint,
    SignUp,
)
from .public import PUBLIC_STATES
from .statistics import MEASURE_KINDS, measure_counts_by_month

TOP = 5  # the award concentration's leading agencies
# Projects whose sign-ups nobody may count: still open, or cancelled during sign-up (sealed for good).
SEALED = (Project.State.OPEN, Project.State.CANCELLED)
CENT = Decimal("0.01")


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of the month and of the next (local time)."""
    start = datetime.date(month.year, month.month, 1)
    after = datetime.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    make = timezone.make_aware
    return make(datetime.datetime.combine(start, datetime.time())), make(
        datetime.datetime.combine(after, datetime.time())
    )


def previous_month(day: datetime.date) -> datetime.date:
    """The first day of the calendar month before ``day``'s."""
    return datetime.date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _money(value: Decimal | int | float | str) -> str:
    """An amount as stored: to the cent (SQLite sums decimals as numbers, PostgreSQL as numerics)."""
    return str(Decimal(str(value)).quantize(CENT))


def _rate(part: Decimal | int, whole: Decimal | int) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def _mean_days(pairs: list[tuple[datetime.datetime | None, datetime.datetime | None]]) -> float | None:
    spans = [(end - start).total_seconds() / 86400 for start, end in pairs if start and end]
    return round(sum(spans) / len(spans), 2) if spans else None


def _methods(start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, Any]]:
    """Per selection method: projects published, closed for sign-up (with their sign-ups), failed, awarded,
    and the awards' budget, amount and saving."""
    out: dict[str, dict[str, Any]] = {
        m: {
            "published": 0,
            "closed": 0,
            "signups": 0,
            "failed": 0,
            "awarded": 0,
            "budget": Decimal(0),
            "amount": Decimal(0),
        }
        for m in Project.Method.values
    }
    in_month = lambda field: Q(**{f"{field}__gte": start, f"{field}__lt": end})  # noqa: E731
    projects = Project.objects.filter(state__in=PUBLIC_STATES).order_by().values("method")
    rows = projects.annotate(
        published=Count("pk", filter=in_month("published_at")),
        closed=Count("pk", filter=in_month("signup_deadline") & ~Q(state__in=SEALED)),
        failed=Count("pk", filter=in_month("closed_at") & Q(state=Project.State.FAILED)),
    )
    for row in rows:
        out[row["method"]].update(published=row["published"], closed=row["closed"], failed=row["failed"])
    # Sign-ups of the projects whose sign-up closed this month: counted only once the close unsealed them.
    signups = (
        SignUp.objects.filter(project__signup_deadline__gte=start, project__signup_deadline__lt=end)
        .filter(project__state__in=PUBLIC_STATES)
        .exclude(project__state__in=SEALED)
        .exclude(state=SignUp.State.WITHDRAWN)
        .order_by()
        .values("project__method")
        .annotate(n=Count("pk"))
    )
    for row in signups:
        out[row["project__method"]]["signups"] = row["n"]
    for row in (
        _awards(start, end)
        .values("project__method")
        .annotate(n=Count("pk"), budget=Sum("project__budget"), amount=Sum("amount"))
    ):
        out[row["project__method"]].update(awarded=row["n"], budget=row["budget"] or 0, amount=row["amount"] or 0)
    return out


def _awards(start: datetime.datetime, end: datetime.datetime) -> QuerySet[Engagement]:
    """The live engagements of the projects awarded this month (the award amount: the winning quote, then the
    contract's), as the statistics page counts them."""
    return (
        Engagement.objects.filter(amount__isnull=False, project__state__in=PUBLIC_STATES)
        .filter(project__awarded_at__gte=start, project__awarded_at__lt=end)
        .exclude(state=Engagement.State.TERMINATED)
        .order_by()
    )


def _method_row(values: dict[str, Any]) -> dict[str, Any]:
    saving = Decimal(str(values["budget"])) - Decimal(str(values["amount"]))
    return {
        **{k: values[k] for k in ("published", "closed", "signups", "failed", "awarded")},
        "signups_per_project": round(values["signups"] / values["closed"], 2) if values["closed"] else None,
        "budget": _money(values["budget"]),
        "amount": _money(values["amount"]),
        "saving": _money(saving),
        "saving_rate": _rate(saving, Decimal(str(values["budget"]))),
    }


def _concentration(start: datetime.datetime, end: datetime.datetime) -> dict[str, Any]:
    """How concentrated the month's awards are by amount: the top agencies' share and the HHI (0–10,000)."""
    rows = list(
        _awards(start, end)
        .values("agency_id", "agency__name", "agency__uscc")
        .annotate(amount=Sum("amount"), n=Count("pk"))
        .order_by("-amount", "agency__uscc")
    )
    total = sum((Decimal(str(r["amount"])) for r in rows), Decimal(0))
    shares = [float(Decimal(str(r["amount"])) / total) if total else 0.0 for r in rows]
    top = [
        {
            "name": r["agency__name"],
            "uscc": r["agency__uscc"],
            "awards": r["n"],
            "amount": _money(r["amount"]),
            "share": round(s, 4),
        }
        for r, s in zip(rows[:TOP], shares, strict=False)
    ]
    return {
        "agencies": len(rows),
        "total": _money(total),
        "top": top,
        "top_share": round(sum(shares[:TOP]), 4) if total else None,
        "hhi": round(sum((s * 100) ** 2 for s in shares), 1) if total else None,
    }


def _outcomes(qs: QuerySet, start: datetime.datetime, end: datetime.datetime, states: dict[str, str]) -> dict[str, int]:
    decided = qs.filter(decided_at__gte=start, decided_at__lt=end)
    return decided.aggregate(**{name: Count("pk", filter=Q(state=state)) for name, state in states.items()})


def _complaints(start: datetime.datetime, end: datetime.datetime) -> dict[str, Any]:
    """Challenges, service complaints and credit objections: filed this month, decided this month by outcome,
    and the mean days taken by those answered or decided this month."""
    ch, sc, ob = Challenge.objects.order_by(), ServiceComplaint.objects.order_by(), Objection.objects.order_by()
    upheld_dismissed = {"upheld": "upheld", "dismissed": "dismissed"}
    answered = ch.filter(answered_at__gte=start, answered_at__lt=end).values_list("filed_at", "answered_at")
    challenge_decided = _in(ch, "decided_at", start, end).values_list("complained_at", "decided_at")
    service_decided = _in(sc, "decided_at", start, end).values_list("filed_at", "decided_at")
    objection_decided = _in(ob, "decided_at", start, end).values_list("submitted_at", "decided_at")
    return {
        "challenges": {
            "filed": _in(ch, "filed_at", start, end).count(),
            "complained": _in(ch, "complained_at", start, end).count(),
            **_outcomes(ch, start, end, upheld_dismissed),
        },
        "service_complaints": {
            "filed": _in(sc, "filed_at", start, end).count(),
            **_outcomes(sc, start, end, upheld_dismissed),
        },
        "objections": {
            "filed": _in(ob, "submitted_at", start, end).count(),
            **_outcomes(ob, start, end, {"overturned": "overturned", "upheld": "upheld"}),
        },
        "response_days": {
            "challenge_answer": _mean_days(list(answered)),
            "complaint_decision": _mean_days(list(challenge_decided) + list(service_decided)),
            "objection_decision": _mean_days(list(objection_decided)),
        },
    }


def _in(qs: QuerySet, field: str, start: datetime.datetime, end: datetime.datetime) -> QuerySet:
    return qs.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def report_figures(month: datetime.date) -> dict[str, Any]:
    """Every figure of the month's report, as JSON-ready data."""
    start, end = month_bounds(month)
    methods = _methods(start, end)
    total = {k: sum(m[k] for m in methods.values()) for k in ("published", "closed", "signups", "failed", "awarded")}
    total.update(budget=sum(Decimal(str(m["budget"])) for m in methods.values()))
    total.update(amount=sum(Decimal(str(m["amount"])) for m in methods.values()))
    measures = measure_counts_by_month(start, end - datetime.timedelta(microseconds=1))
    dormancy = DormancyPrompt.objects.aggregate(
        prompted=Count("pk", filter=Q(prompted_at__gte=start, prompted_at__lt=end)),
        exited=Count("pk", filter=Q(exited_at__gte=start, exited_at__lt=end)),
    )
    return {
        "month": f"{month:%Y-%m}",
        "methods": {m: _method_row(v) for m, v in methods.items()},
        "total": _method_row(total),
        "concentration": _concentration(start, end),
        "ladder": {kind: sum(n for (_m, k), n in measures.items() if k == kind) for kind in MEASURE_KINDS},
        "complaints": _complaints(start, end),
        "dormancy": dormancy,
    }


def report_list_for_archive() -> QuerySet[MonthlyReport]:
    """The archive, newest month first: one query (the figures are not loaded)."""
    return MonthlyReport.objects.defer("figures").order_by("-month")


def report_get_for_page(month: datetime.date) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(month=month).first()
