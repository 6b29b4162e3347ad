"""Release and record packages per project, and the bulk files, from releases computed on demand and cached.

The cache key carries the newest transition log row: every state change writes one (the runner), so any step
of any project makes the next read rebuild what it reads; nothing else is stored (docs/ocds.md, "Caching").
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from workflows.models import Project, TransitionLog

from .loading import bundles_load, published_projects
from .mapping import OCDS_VERSION, absolute, ocid_for, publisher
from .releases import compiled_build, releases_build

CACHE_SECONDS = 3600
CHUNK = 200


def _version() -> int:
    return TransitionLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _projects():
    return published_projects().select_related("buyer__region", "category")


def releases_for(projects: list[Project], version: int | None = None) -> dict[int, list[dict[str, Any]]]:
    """Each project's releases, from the cache where current, the rest built in one batch."""
    version = _version() if version is None else version
    keys = {p.pk: f"ocds:releases:{p.pk}:{version}" for p in projects}
    cached = cache.get_many(list(keys.values()))
    found = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [p for p in projects if p.pk not in found]
    built = {bundle.project.pk: releases_build(bundle) for bundle in bundles_load(missing)}
    if built:
        cache.set_many({keys[pk]: releases for pk, releases in built.items()}, CACHE_SECONDS)
    return found | built


def project_for_code(code: str) -> Project | None:
    return _projects().filter(code=code).first()


def _package_dates(releases: list[dict[str, Any]]) -> str:
    return max(r["date"] for r in releases)


def release_package(project: Project) -> dict[str, Any]:
    releases = releases_for([project])[project.pk]
    return {
        "uri": absolute(reverse("ocds-release-package", kwargs={"ocid": ocid_for(project.code)})),
        "version": OCDS_VERSION,
        "publisher": publisher(),
        "publishedDate": _package_dates(releases),
        "releases": releases,
    }


def record_package(project: Project) -> dict[str, Any]:
    releases = releases_for([project])[project.pk]
    ocid = ocid_for(project.code)
    return {
        "uri": absolute(reverse("ocds-record-package", kwargs={"ocid": ocid})),
        "version": OCDS_VERSION,
        "publisher": publisher(),
        "publishedDate": _package_dates(releases),
        "records": [{"ocid": ocid, "releases": releases, "compiledRelease": compiled_build(releases)}],
    }


def months() -> list[dict[str, Any]]:
    """The months with projects published in them (China's time), newest first, with how many: one query."""
    rows = (
        published_projects()
        .annotate(month=TruncMonth("published_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("-month")
    )
    return [{"month": r["month"].strftime("%Y-%m"), "projects": r["n"]} for r in rows]


def _month_range(month: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    try:
        start = datetime.datetime.strptime(month, "%Y-%m")
    except ValueError:
        return None
    if not 2000 <= start.year <= 2099:
        return None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    zone = timezone.get_default_timezone()
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def _compiled_chunks(projects) -> Iterator[list[dict[str, Any]]]:
    """Compiled releases of ``projects`` (a queryset), a chunk at a time, in id order: constant memory."""
    version = _version()
    last = 0
    while True:
        chunk = list(projects.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        built = releases_for(chunk, version)
        yield [compiled_build(built[p.pk]) for p in chunk if built[p.pk]]
        last = chunk[-1].pk


def month_package(month: str) -> dict[str, Any] | None:
    """A release package of the compiled releases of the projects published in ``month`` (YYYY-MM)."""
    bounds = _month_range(month)
    if bounds is None:
        return None
    projects = _projects().filter(published_at__gte=bounds[0], published_at__lt=bounds[1])
    releases = [r for chunk in _compiled_chunks(projects) for r in chunk]
    if not releases:
        return None
    return {
        "uri": absolute(reverse("ocds-bulk-month", kwargs={"month": month})),
        "version": OCDS_VERSION,
        "publisher": publisher(),
        "publishedDate": _package_dates(releases),
        "releases": releases,
    }


def compiled_stream() -> Iterator[dict[str, Any]]:
    """Every published project's compiled release, oldest project first."""
    for chunk in _compiled_chunks(_projects()):
        yield from chunk
