"""Import of external dishonesty lists (失信名单) from CSV or JSON: every row valid, or nothing written."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.boundedjson import JsonRefused, bounded_loads
from marketplace.validators import normalise_uscc, uscc_problem

from .models import ExternalListImport, ExternalListing

FIELDS = ("uscc", "name", "reason", "source", "listed_on", "delisted_on")
REQUIRED = ("uscc", "name", "reason", "source", "listed_on")
MAX_ROWS = 200_000
# The upload form bounds the file (40 MB); the JSON reader is told a little more so the form's limit is the one said.
MAX_JSON_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    """A problem with one row, located by its line (CSV) or item number (JSON)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("第 %(line)s 行 %(field)s：%(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class ImportRejected(Exception):
    """The file has bad rows; nothing of it was imported."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} bad rows")


def _date(value: str | None, line: int, name: str, errors: list[RowError]) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, name, _("日期格式应为 YYYY-MM-DD，收到「%(v)s」。") % {"v": value[:20]}))
        return None


def _rows(content: bytes, filename: str) -> list[tuple[int, dict]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A GBK export from a spreadsheet is common: say so instead of failing with a server error.
        raise ImportRejected([RowError(0, _("文件"), _("文件不是 UTF-8 编码，请另存为 UTF-8 后重新导入。"))]) from None
    if filename.lower().endswith(".json"):
        try:
            # Bounded: a file nested thousands deep would exhaust the parser's stack (a 500, not a message).
            data = bounded_loads(text, max_bytes=MAX_JSON_BYTES)
        except JsonRefused as exc:
            raise ImportRejected([RowError(0, "JSON", str(exc))]) from None
        if isinstance(data, dict):
            data = data.get("items") or data.get("data") or []
        if not isinstance(data, list):
            raise ImportRejected([RowError(1, "JSON", _("应为对象数组。"))])
        return [(i, item if isinstance(item, dict) else {}) for i, item in enumerate(data, start=1)]
    if filename.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        try:
            missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
            if missing:
                raise ImportRejected([RowError(1, _("表头"), _("缺少列：%(cols)s") % {"cols": ", ".join(missing)})])
            return [(reader.line_num, dict(row)) for row in reader]
        except csv.Error as exc:  # a field over the csv module's limit (128 KB), a broken quote: the file's fault
            raise ImportRejected([RowError(reader.line_num, "CSV", _("无法读取该行：%(e)s") % {"e": exc})]) from None
    raise ImportRejected([RowError(0, _("文件"), _("只接受 .csv 或 .json 文件。"))])


def parse_listings(content: bytes, filename: str) -> list[dict]:
    """Validate every row; raise ImportRejected with all errors by line if any row is bad."""
    return [row for _line, row in listing_rows(content, filename)]


def listing_rows(content: bytes, filename: str) -> list[tuple[int, dict]]:
    """``parse_listings`` with each row's line (CSV) or item number (JSON), to name a row refused later."""
    rows = _rows(content, filename)
    if len(rows) > MAX_ROWS:
        raise ImportRejected([RowError(0, _("文件"), _("单次最多导入 %(n)s 行。") % {"n": MAX_ROWS})])
    errors: list[RowError] = []
    clean: list[tuple[int, dict]] = []
    seen: set[tuple] = set()
    for line, row in rows:
        values = {f: str(row.get(f) or "").strip() for f in FIELDS}
        for f in REQUIRED:
            if not values[f]:
                errors.append(RowError(line, f, _("不能为空。")))
        uscc = normalise_uscc(values["uscc"])
        if values["uscc"]:
            problem = uscc_problem(uscc)
            if problem:
                errors.append(RowError(line, "uscc", problem))
        listed = _date(values["listed_on"], line, "listed_on", errors)
        delisted = _date(values["delisted_on"], line, "delisted_on", errors)
        if listed and delisted and delisted < listed:
            errors.append(RowError(line, "delisted_on", _("移出日期早于列入日期。")))
        key = (uscc, values["source"], listed)
        if key in seen:
            errors.append(RowError(line, "uscc", _("与前面的行重复。")))
        seen.add(key)
        clean.append(
            (
                line,
                {
                    "uscc": uscc,
                    "name": values["name"][:200],
                    "reason": values["reason"][:300],
                    "source": values["source"][:100],
                    "listed_on": listed,
                    "delisted_on": delisted,
                },
            )
        )
    if errors:
        raise ImportRejected(errors)
    return clean


@transaction.atomic
def listings_import(*, content: bytes, filename: str, actor=None) -> tuple[ExternalListImport, set[str]]:
    """Import a whole file in one transaction; returns the batch and the USCCs it touched."""
    rows = parse_listings(content, filename)
    batch = ExternalListImport.objects.create(
        imported_by=actor if getattr(actor, "pk", None) else None,
        filename=filename[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=len(rows),
    )
    for row in rows:
        ExternalListing.objects.update_or_create(
            uscc=row["uscc"],
            source=row["source"],
            listed_on=row["listed_on"],
            defaults={"batch": batch, "name": row["name"], "reason": row["reason"], "delisted_on": row["delisted_on"]},
        )
    return batch, {row["uscc"] for row in rows}
