"""Template filters that show credit data in the reader's language: a ledger entry's name, a yes or no.

A ledger entry keeps the title it was recorded with (Chinese, part of the hashed record); pages name it
in the active language from the catalogue's English name, the measure's label or the message catalogue.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, override, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..defaults import BASIS_EN, CATALOGUE, IMMEDIATE_REASONS_EN, MEASURE_BASIS, MEASURE_BASIS_EN
from ..kinds import MeasureKind
from ..models import LedgerEntry
from ..policy import policy_at
from ..rules import REGISTRY
from ..services import MEASURE_TITLES

register = template.Library()

# The recorded measure titles (services.MEASURE_TITLES), as people read them in each language.
MEASURE_NAMES: dict[str, Promise] = {
    MeasureKind.REWARD: pgettext_lazy("ledger entry", "绿色通道激励"),
    MeasureKind.RESTRICT: pgettext_lazy("ledger entry", "限制交易"),
    MeasureKind.SUSPEND: pgettext_lazy("ledger entry", "暂停交易资格"),
    MeasureKind.EXPEL: pgettext_lazy("ledger entry", "清退并列入黑名单"),
    MeasureKind.REVOKE: pgettext_lazy("ledger entry", "撤销中选资格"),
}
SEPARATOR = "："


def _english() -> bool:
    return (get_language() or "").startswith("en")


def title_in_language(title: str, code: str = "", at=None) -> str:
    """A recorded Chinese title in the active language: catalogue name, measure name, or a translated prefix."""
    if not _english() or not title:
        return title
    try:
        catalogue = policy_at(at or timezone.now()).catalogue
    except Exception:  # no policy in force yet: the recorded title is all there is
        catalogue = {}
    item = catalogue.get(code)
    if item is not None and item.name == title and item.name_en:
        return item.name_en
    for kind, recorded in MEASURE_TITLES.items():
        if recorded == title:
            return str(MEASURE_NAMES[kind])
    by_name = {c.name: c.name_en for c in catalogue.values() if c.name_en}
    if title in by_name:
        return by_name[title]
    if SEPARATOR in title:  # a correction or dispute: "<reason>：<the entry it refers to>"
        reason, rest = title.split(SEPARATOR, 1)
        return f"{gettext(reason)}: {title_in_language(rest, at=at)}"
    return gettext(title)


@register.filter
def entry_label(entry: LedgerEntry) -> str:
    """The ledger entry's name in the active language."""
    return title_in_language(entry.title, entry.code, entry.effective_at)


@register.filter
def title_label(title: str, code: str = "") -> str:
    """A recorded entry title (from a notice's snapshot or a selector row) in the active language."""
    return title_in_language(str(title or ""), code or "")


@register.filter
def yes_no(value) -> str:
    """是 / 否 in the active language, never True / False."""
    return str(_("是") if value else _("否"))


def _default_bases() -> dict[str, tuple[str, str]]:
    """Chinese and English default bases by code: catalogue codes, and measures by kind and MEASURE_<KIND>."""
    out = {item.code: (item.basis, BASIS_EN[item.code]) for item in CATALOGUE if item.code in BASIS_EN}
    for kind, zh in MEASURE_BASIS.items():
        out[kind] = out[f"MEASURE_{kind.upper()}"] = (zh, MEASURE_BASIS_EN[kind])
    return out


DEFAULT_BASES = _default_bases()


def basis_in_language(basis: str, *codes: str) -> str:
    """A recorded basis in the active language when it is a rule's or the default policy's own text.

    The rule's basis is rendered again in the active language; a default catalogue or measure basis is
    replaced by its English version; whatever follows (the deployment's local basis) and a basis written
    by the deployment are its own words and stay as written.
    """
    basis = str(basis or "")
    if not _english() or not basis:
        return basis
    for code in codes:
        if not code:
            continue
        if code in REGISTRY:
            with override(settings.LANGUAGE_CODE):
                zh = str(REGISTRY[code].basis)
            if basis.startswith(zh):
                return str(REGISTRY[code].basis) + basis[len(zh) :]
        if code in DEFAULT_BASES:
            zh, en = DEFAULT_BASES[code]
            if basis.startswith(zh):
                return en + basis[len(zh) :]
    return basis


@register.filter
def entry_basis(entry: LedgerEntry) -> str:
    """The ledger entry's recorded basis in the active language (see ``basis_in_language``)."""
    return basis_in_language(entry.basis, entry.rule_code, entry.code, entry.measure)


@register.filter
def basis_label(basis: str, code: str = "") -> str:
    """A basis shown beside its rule, catalogue or measure code, in the active language."""
    return basis_in_language(basis, *str(code or "").split(","))


@register.filter
def immediate_reason(reason: str) -> str:
    """The policy's reason for applying a rule's measure without prior notice, in the active language.

    The shipped reasons have English versions; a deployment's own reasons are its words, shown as written.
    """
    reason = str(reason or "")
    return IMMEDIATE_REASONS_EN.get(reason, reason) if _english() else reason


@register.filter
def measure_basis(basis: str, measure) -> str:
    """A measure's basis in the active language; ``measure`` has its ``rule_code`` and ``kind``."""
    return basis_in_language(basis, getattr(measure, "rule_code", ""), getattr(measure, "kind", ""))


@register.filter
def payload_entry_title(payload) -> str:
    """A credit notice snapshot's entry title in the active language (older snapshots carry no code)."""
    return title_in_language(str(payload.get("entry_title") or ""), str(payload.get("code") or ""))


@register.filter
def payload_basis(payload) -> str:
    """A credit notice snapshot's basis in the active language (see ``basis_in_language``)."""
    codes = (payload.get("rule_code"), payload.get("code"), payload.get("measure"))
    return basis_in_language(str(payload.get("basis") or ""), *(str(c) for c in codes if c))
