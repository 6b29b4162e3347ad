"""The lists pulled from the credit platform: a small registry, source code → label, list name, parse function.

A parse function turns the platform's list document (``{"version", "source", "items": [...]}``) into the rows
the upload path reads (``uscc, name, reason, source, listed_on, delisted_on``), so a pulled list ends in the
same services as an uploaded file. A source that ``applies`` is a dishonesty list the import services apply
to the members; the red lists do not apply (an honour is recorded by a supervisor with evidence, one agency
at a time, see docs/architecture.md "Credit"): they are received and recorded for the feedback only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Parse = Callable[[list[dict[str, Any]], str], list[dict[str, str]]]


@dataclass(frozen=True)
class ListSource:
    code: str
    label: Promise
    list_name: str  # recorded as each listing's source (the Chinese name of the list, as published)
    parse: Parse
    applies: bool


SOURCES: dict[str, ListSource] = {}


def source(code: str, *, label: Promise, list_name: str, applies: bool = True) -> Callable[[Parse], Parse]:
    """Register a parse function for a source code."""

    def register(func: Parse) -> Parse:
        SOURCES[code] = ListSource(code=code, label=label, list_name=list_name, parse=func, applies=applies)
        return func

    return register


def _text(item: dict[str, Any], *names: str) -> str:
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _row(item: dict[str, Any], list_name: str, reason: str) -> dict[str, str]:
    return {
        "uscc": _text(item, "uscc", "tyshxydm"),
        "name": _text(item, "name", "mc"),
        "reason": reason,
        "source": list_name,
        "listed_on": _text(item, "listed_on", "lrrq"),
        "delisted_on": _text(item, "delisted_on", "ycrq"),
    }


@source("sxbzxr", label=_("失信被执行人名单"), list_name="失信被执行人名单")
def judgment_debtors(items: list[dict[str, Any]], list_name: str) -> list[dict[str, str]]:
    """失信被执行人: the court and case make the reason when the platform gives no reason of its own."""
    rows = []
    for item in items:
        reason = _text(item, "reason", "lrsy") or " ".join(filter(None, (_text(item, "court"), _text(item, "case_no"))))
        rows.append(_row(item, list_name, reason))
    return rows


@source("yzsxzt", label=_("严重失信主体名单"), list_name="严重失信主体名单")
def serious_dishonesty(items: list[dict[str, Any]], list_name: str) -> list[dict[str, str]]:
    """严重失信主体名单: the listing authority's field (``authority``) leads the reason."""
    rows = []
    for item in items:
        reason = " ".join(filter(None, (_text(item, "authority", "rdbm"), _text(item, "reason", "lrsy"))))
        rows.append(_row(item, list_name, reason))
    return rows


@source("red", label=_("守信红名单"), list_name="守信红名单", applies=False)
def red_list(items: list[dict[str, Any]], list_name: str) -> list[dict[str, str]]:
    """守信红名单: recorded as received; nothing is applied to the members."""
    return [_row(item, list_name, _text(item, "reason", "lrsy")) for item in items]
