"""``python manage.py import_notices archive.json`` — bring the previous platform's published notices over.

The file is a JSON array of notices, each ``{"kind", "source_key", "payload", "published_at"}`` (ISO
8601 with a time zone) and optionally ``"slug"``, ``"withdrawn"``, ``"withdrawn_reason"``. Every row is
checked first; one bad row imports nothing and is named by its position. Notices whose source key is
already published here are skipped, so the same archive can be imported twice.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cms.bulk import ImportedNotice, notice_pages_import
from cms.models import NoticePage, NoticeRequest
from marketplace.dbops import planner_statistics_refresh


def _notice(position: int, row: Any) -> ImportedNotice:
    """One archive row as a notice to import, or a CommandError naming what is wrong with it."""
    if not isinstance(row, dict):
        raise CommandError(f"notice {position}: not an object")
    kind, key, payload = row.get("kind"), row.get("source_key"), row.get("payload")
    if kind not in NoticeRequest.Kind.values:
        raise CommandError(f"notice {position}: unknown kind {kind!r} (known: {', '.join(NoticeRequest.Kind.values)})")
    if not isinstance(key, str) or not key.strip() or len(key) > 120:
        raise CommandError(f"notice {position}: source_key must be a non-empty string of at most 120 characters")
    if not isinstance(payload, dict) or not str(payload.get("title", "")).strip():
        raise CommandError(f"notice {position}: payload must be an object with a title")
    try:
        published = datetime.datetime.fromisoformat(str(row.get("published_at", "")))
    except ValueError:
        raise CommandError(f"notice {position}: published_at is not an ISO 8601 date and time") from None
    if published.tzinfo is None:
        raise CommandError(f"notice {position}: published_at needs a time zone (e.g. +08:00)")
    return ImportedNotice(
        kind=kind,
        source_key=key,
        payload=payload,
        published_at=published,
        slug=str(row.get("slug") or ""),
        withdrawn=bool(row.get("withdrawn", False)),
        withdrawn_reason=str(row.get("withdrawn_reason") or ""),
    )


class Command(BaseCommand):
    help = "Import already-published notices from the previous platform's archive (JSON array); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive: a JSON array of notices")

    def handle(self, *args, file: Path, **options):
        try:
            rows = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        if not isinstance(rows, list):
            raise CommandError("the archive must be a JSON array of notices")
        notices = [_notice(position, row) for position, row in enumerate(rows, start=1)]
        keys = [n.source_key for n in notices]
        if len(set(keys)) != len(keys):
            raise CommandError("the archive names the same source_key twice")
        known = set(NoticePage.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
        fresh = [n for n in notices if n.source_key not in known]
        notice_pages_import(fresh)
        planner_statistics_refresh()  # pages written in bulk: the planner learns the tables' new sizes
        self.stdout.write(f"{len(fresh)} notices imported, {len(known)} already here.")
