"""The credit policy in force at a moment: versioned, effective-dated, cached per process."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .models import CatalogueEntry, LocalBasis, PolicyVersion, Severity

# Values the ledger still holds but no longer writes, read as the class they became.
RETIRED_CLASSES = {Severity.GRAVE.value: Severity.SERIOUS.value}


def severity_class(value: str) -> str:
    """The class a stored severity value means now (the retired "grave" is 严重)."""
    return RETIRED_CLASSES.get(value, value)


@dataclass(frozen=True)
class ClassPeriods:
    """What a policy version says of one class: published by default, for how long, repairable when."""

    severity: str
    published: bool
    publish_min_months: int
    publish_max_months: int | None  # None: no limit of the class (informational records)
    repair_months: int | None  # None: nothing to repair (informational records)

    @property
    def publication_text(self) -> str:
        """The publication period in words, in the active language."""
        if self.publish_max_months is None:
            return "—"
        if not self.published:
            return gettext("原则上不公示；公示的，最长 %(max)s 个月") % {"max": self.publish_max_months}
        return gettext("%(min)s–%(max)s 个月") % {"min": self.publish_min_months, "max": self.publish_max_months}

    @property
    def repair_text(self) -> str:
        """When repair may be applied for, in words, in the active language."""
        if self.repair_months is None:
            return "—"
        if self.repair_months == 0:
            return gettext("履行相关义务后即可申请")
        return gettext("满 %(months)s 个月后可申请") % {"months": self.repair_months}


def basis_join(national: str, local: str) -> str:
    """The national basis, then the deployment's local basis if it entered one."""
    local = (local or "").strip()
    if not local:
        return national
    label = gettext("本地依据")
    return f"{national.rstrip('。；; ')}；{label}：{local}" if national else f"{label}：{local}"


@dataclass(frozen=True)
class Policy:
    """A published policy version with its catalogue and local bases, detached from the database."""

    version: PolicyVersion
    catalogue: dict[str, CatalogueEntry]
    local: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str):
        return getattr(self.version, name)

    def entry(self, code: str) -> CatalogueEntry:
        try:
            return self.catalogue[code]
        except KeyError:
            raise LookupError(f"catalogue code {code!r} is not in policy v{self.version.version}") from None

    def months(self, n: int) -> relativedelta:
        return relativedelta(months=n)

    def basis(self, national: str, code: str) -> str:
        """A national basis followed by this version's local basis for ``code`` (a rule, catalogue or measure code)."""
        return basis_join(national, self.local.get(code, ""))

    def periods(self, severity: str) -> ClassPeriods:
        """The publication and repair periods of a class under this version."""
        v, cls = self.version, severity_class(severity)
        if cls == Severity.SLIGHT:
            return ClassPeriods(cls, v.slight_published, 0, v.slight_publish_max_months, v.slight_repair_months)
        if cls == Severity.GENERAL:
            return ClassPeriods(
                cls, True, v.general_publish_min_months, v.general_publish_max_months, v.general_repair_months
            )
        if cls == Severity.SERIOUS:
            return ClassPeriods(
                cls, True, v.serious_publish_min_months, v.serious_publish_max_months, v.serious_repair_months
            )
        return ClassPeriods(Severity.INFO, True, 0, None, None)

    def repairable_after(self, severity: str, at: datetime.datetime) -> datetime.datetime | None:
        """When a record of this class made at ``at`` may be repaired (None: it has nothing to repair)."""
        months = self.periods(severity).repair_months
        return None if months is None else at + relativedelta(months=months)

    def publication_end(self, severity: str, at: datetime.datetime) -> datetime.datetime | None:
        """The end of the longest publication of a record of this class made at ``at`` (None: no class limit)."""
        months = self.periods(severity).publish_max_months
        return None if months is None else at + relativedelta(months=months)


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
            .prefetch_related("catalogue", "local_bases")
            .order_by("-effective_from")
        )
        versions = [
            Policy(v, {c.code: c for c in v.catalogue.all()}, {b.code: b.text for b in v.local_bases.all()})
            for v in published
        ]
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
    for local in base.local_bases.all():
        LocalBasis.objects.create(policy=draft, code=local.code, text=local.text)
    return draft
