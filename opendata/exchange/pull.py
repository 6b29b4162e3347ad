"""The pull side: a list fetched from the platform, read by its source's adapter, and imported through the
same services as an uploaded file (``workflows.services.credit.external.external_list_import``); each pull is
recorded, whatever became of it."""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.external import ImportRejected
from marketplace.boundedjson import JsonRefused, bounded_loads
from marketplace.errors import ApplicationError
from opendata.exchange_models import ExternalPull
from workflows.services.credit.external import external_list_import

from . import client
from .format import VERSION
from .sources import SOURCES

MAX_LIST_BYTES = 64 * 1024 * 1024
KEPT_ITEMS = 2000  # a list that is not applied keeps this many of its rows for the feedback page


def _document(body: bytes, code: str) -> list:
    try:
        doc = bounded_loads(body.decode("utf-8-sig"), max_bytes=MAX_LIST_BYTES)
    except (JsonRefused, UnicodeDecodeError) as exc:
        raise ValueError(_("名单不是可读取的 JSON：%(e)s") % {"e": exc}) from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise ValueError(_("名单的格式版本不是 %(v)s。") % {"v": VERSION})
    if doc.get("source") != code or not isinstance(doc.get("items"), list):
        raise ValueError(_("名单的来源或条目与所请求的不符。"))
    return [item if isinstance(item, dict) else {} for item in doc["items"]]


def list_pull(code: str, *, actor=None) -> ExternalPull:
    """Pull one source's list now; returns the recorded pull (its outcome says what became of it)."""
    if code not in SOURCES:
        raise ApplicationError(_("未知的名单来源：%(code)s") % {"code": code})
    if not client.endpoint():
        raise ApplicationError(_("尚未配置信用信息交换地址（ZJCS_CREDIT_EXCHANGE_URL）。"))
    src = SOURCES[code]
    pull = ExternalPull(
        source=code,
        url=client.url_for(f"lists/{code}/")[:500],
        started_at=timezone.now(),
        triggered_by=actor if getattr(actor, "pk", None) else None,
    )
    answer = client.get(f"lists/{code}/")
    pull.status_code = answer.status
    try:
        if answer.status != 200:
            raise ValueError(answer.error or f"HTTP {answer.status}")
        rows = src.parse(_document(answer.body, code), src.list_name)
    except ValueError as exc:
        return _finish(pull, ExternalPull.Outcome.FAILED, error=str(exc))
    content = json.dumps({"items": rows}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    pull.sha256, pull.rows = hashlib.sha256(content).hexdigest(), len(rows)
    last = ExternalPull.objects.filter(source=code).exclude(outcome__in=["failed", "rejected"]).first()
    if last is not None and last.sha256 == pull.sha256:
        return _finish(pull, ExternalPull.Outcome.UNCHANGED)
    if not src.applies:
        pull.items = rows[:KEPT_ITEMS]
        return _finish(pull, ExternalPull.Outcome.RECEIVED)
    try:
        # The decision is the list's, not the clicking operator's: the import runs as the system.
        pull.batch, pull.affected = external_list_import(
            content=content, filename=f"{code}-{pull.started_at:%Y%m%d%H%M%S}.json", actor=None
        )
    except ImportRejected as exc:
        return _finish(pull, ExternalPull.Outcome.REJECTED, error="\n".join(str(e) for e in exc.errors[:50]))
    return _finish(pull, ExternalPull.Outcome.IMPORTED)


def _finish(pull: ExternalPull, outcome: str, *, error: str = "") -> ExternalPull:
    pull.outcome, pull.error, pull.finished_at = outcome, error[:5000], timezone.now()
    pull.save()
    return pull


def lists_pull(*, actor=None) -> list[ExternalPull]:
    """Pull every registered source (the scheduled pull); nothing when the exchange is not configured."""
    if not client.endpoint():
        return []
    return [list_pull(code, actor=actor) for code in SOURCES]
