"""The credit policy in force at a moment: versioned, effective-dated, cached per process."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from .models import CatalogueEntry, PolicyVersion


@dataclass(frozen=True)
class Policy:
    """A published policy version with its catalogue, detached from the database."""

    version: PolicyVersion
    catalogue: dict[str, CatalogueEntry]

    def __getattr__(self, name: str):
        return getattr(self.version, name)

    def entry(self, code: str) -> CatalogueEntry:
        try:
            return self.catalogue[code]
        except KeyError:
            raise LookupError(f"catalogue code {code!r} is not in policy v{self.version.version}") from None

    def months(self, n: int) -> relativedelta:
        return relativedelta(months=n)


_lock = threading.Lock()
_cache: dict[str, object] = {"versions": None}


def policy_cache_clear() -> None:
    """Forget cached versions (after a publish, and between tests)."""
    with _lock:
        _cache["versions"] = None


def _versions() -> list[Policy]:
    with _lock:
        versions = _cache["versions"]
    if versions is None:
        published = list(
            PolicyVersion.objects.filter(published_at__isnull=False)
            .prefetch_related("catalogue")
            .order_by("-effective_from")
        )
        versions = [Policy(v, {c.code: c for c in v.catalogue.all()}) for v in published]
        with _lock:
            _cache["versions"] = versions
    return versions  # type: ignore[return-value]


def policy_at(at: datetime.datetime | None = None) -> Policy:
    """The published policy version in force at ``at`` (0 queries once cached)."""
    at = at or timezone.now()
    for policy in _versions():
        if policy.version.effective_from <= at:
            return policy
    raise LookupError("no credit policy is in force at this time")


@transaction.atomic
def policy_publish(*, version: PolicyVersion, effective_from: datetime.datetime | None = None) -> PolicyVersion:
    """Publish a drafted policy version; from its effective time it governs new decisions."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.published_at:
        return version
    now = timezone.now()
    eff = effective_from or version.effective_from or now
    PolicyVersion.objects.filter(pk=version.pk).update(published_at=now, effective_from=eff)
    transaction.on_commit(policy_cache_clear)
    policy_cache_clear()
    version.refresh_from_db()
    return version


@transaction.atomic
def policy_draft_from(*, base: PolicyVersion, note: str = "", user=None) -> PolicyVersion:
    """Start a new draft version copying ``base`` and its catalogue."""
    fields = {
        f.name: getattr(base, f.name)
        for f in PolicyVersion._meta.concrete_fields
        if f.name not in {"id", "version", "published_at", "created_at", "created_by", "note", "effective_from"}
    }
    latest = PolicyVersion.objects.order_by("-version").values_list("version", flat=True).first() or 0
    draft = PolicyVersion.objects.create(
        version=latest + 1, effective_from=timezone.now(), note=note, created_by=user, **fields
    )
    for entry in base.catalogue.all():
        entry.pk = None
        entry.policy = draft
        entry.save()
    return draft
