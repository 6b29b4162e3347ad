"""Rows to a CSV or XLSX download, in constant memory, cut at ``MAX_ROWS`` with a line that says so.

CSV is UTF-8 with a byte order mark, so Excel opens Chinese correctly; XLSX is an openpyxl write-only
workbook (rows go to a temporary file as they come, never all held). A text cell that a spreadsheet would
read as a formula (``=``, ``+``, ``-``, ``@``) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# The most rows one download holds; past it the file ends with a line saying so (filters narrow the list).
MAX_ROWS = 100_000

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_TITLE_BAD = re.compile(r"[\\/?*\[\]:\x00-\x1f]")  # what Excel refuses in a sheet's name
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """One list's download: its file name (ASCII), sheet title, column headings and rows (plain values)."""

    name: str
    title: str
    headers: list[str]
    rows: Iterable[list]


def cell(value):
    """A value as a spreadsheet should hold it: numbers stay numbers, text is made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, int | float | Decimal):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def capped(rows: Iterable[list], limit: int | None = None) -> Iterator[list]:
    """The rows, at most ``limit`` of them; one more is replaced by a line saying the download was cut."""
    limit = MAX_ROWS if limit is None else limit
    for n, row in enumerate(rows):
        if n >= limit:
            yield [truncated_message(limit)]
            return
        yield [cell(v) for v in row]


def truncated_message(limit: int) -> str:
    return _("超过 %(limit)s 行，只下载了前 %(limit)s 行；请用筛选条件缩小范围后分次下载。") % {"limit": limit}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filename(table: Table, fmt: str) -> str:
    return f"{table.name}-{timezone.localdate():%Y%m%d}.{fmt}"


def csv_response(table: Table, limit: int | None = None) -> StreamingHttpResponse:
    """A streamed CSV: the byte order mark, the headings, then each row as the database hands it over."""
    writer = csv.writer(_Echo())
    language = translation.get_language()

    def lines() -> Iterator[bytes]:
        # The rows are produced after the view returns: keep the reader's language for their labels.
        with translation.override(language):
            yield "\ufeff".encode()
            yield writer.writerow(table.headers).encode()
            for row in capped(table.rows, limit):
                yield writer.writerow(row).encode()

    response = StreamingHttpResponse(lines(), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{_filename(table, "csv")}"'
    return response


def xlsx_response(table: Table, limit: int | None = None) -> FileResponse:
    """An XLSX from a write-only workbook, spooled to a temporary file and sent from there."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=SHEET_TITLE_BAD.sub(" ", table.title).strip()[:31] or "data")
    sheet.append(table.headers)
    for row in capped(table.rows, limit):
        sheet.append(row)
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115  (FileResponse closes it)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=_filename(table, "xlsx"), content_type=CONTENT_TYPES["xlsx"]
    )


def table_response(table: Table, fmt: str, limit: int | None = None):
    return csv_response(table, limit) if fmt == "csv" else xlsx_response(table, limit)
