"""The exchange format ``zjcs-credit-exchange/1``: one JSON object per message, and its CSV equivalent.

A measure message is built from one ledger entry and carries its hash as the message id, so the same entry
always yields the same message and the receiver deduplicates by the id. Only organisations appear: the
agency's USCC and name, never a person (no evidence, no recorder, no reviewer).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from typing import Any

from credit_rules.kinds import MeasureKind
from credit_rules.models import LedgerEntry

VERSION = "zjcs-credit-exchange/1"

# Which public list a measure puts an organisation on (the red list is the reward's green channel).
LIST_OF = {
    MeasureKind.REWARD: "red",
    MeasureKind.EXPEL: "black",
    MeasureKind.SUSPEND: "measures",
    MeasureKind.RESTRICT: "measures",
    MeasureKind.REVOKE: "measures",
    "warning": "warnings",
}

MESSAGE_COLUMNS = (
    "version",
    "message_id",
    "type",
    "measure",
    "list",
    "subject_uscc",
    "subject_name",
    "title",
    "severity",
    "rule",
    "effective_at",
    "expires_at",
    "basis",
    "ledger_seq",
    "ledger_hash",
    "ends_message_id",
    "ends_reason",
)

FEEDBACK_COLUMNS = (
    "version",
    "message_id",
    "type",
    "source",
    "uscc",
    "name",
    "listed_on",
    "delisted_on",
    "action",
    "at",
    "ledger_hash",
)


def iso(value: datetime.datetime | datetime.date | None) -> str | None:
    """Times in UTC with microseconds (as the ledger hashes them); dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value.isoformat()


def measure_of(entry: LedgerEntry) -> str:
    """The kind a pushed entry stands for: a measure's kind, or ``warning`` for a warning event."""
    return entry.measure or "warning"


def entry_message(entry: LedgerEntry) -> dict[str, Any]:
    """The message for a measure, a warning, or the end of one (a neutralisation): a stable function of the entry.

    ``entry.subject`` and, for an end, ``entry.refers_to`` must be loaded.
    """
    ends = None
    target = entry
    if entry.kind == LedgerEntry.Kind.NEUTRALISE:
        target = entry.refers_to
        ends = {"message_id": target.hash, "reason": entry.reason}
    measure = measure_of(target)
    return {
        "version": VERSION,
        "message_id": entry.hash,
        "type": "end" if ends else "measure",
        "measure": measure,
        "list": LIST_OF.get(measure, "measures"),
        "subject": {"uscc": entry.subject.uscc, "name": entry.subject.name},
        "title": target.title,
        "severity": target.severity,
        "rule": entry.rule_code or target.rule_code,
        "effective_at": iso(entry.effective_at),
        "expires_at": iso(None if ends else entry.expires_at),
        "basis": target.basis,
        "ledger": {"seq": entry.seq, "hash": entry.hash, "prev_hash": entry.prev_hash},
        "ends": ends,
    }


def feedback_id(listing_pk: int, action: str, at: datetime.datetime | datetime.date | None) -> str:
    """A feedback item's stable id: the same listing, action and moment give the same id."""
    return hashlib.sha256(f"feedback:{listing_pk}:{action}:{iso(at)}".encode()).hexdigest()


def message_row(message: dict[str, Any]) -> dict[str, Any]:
    """One message as a CSV row (the columns of ``MESSAGE_COLUMNS`` or ``FEEDBACK_COLUMNS``)."""
    if message.get("type") == "feedback":
        listing = message["listing"]
        return {
            "version": message["version"],
            "message_id": message["message_id"],
            "type": "feedback",
            "source": listing["source"],
            "uscc": listing["uscc"],
            "name": listing["name"],
            "listed_on": listing["listed_on"],
            "delisted_on": listing["delisted_on"] or "",
            "action": message["action"],
            "at": message["at"] or "",
            "ledger_hash": message.get("ledger_hash") or "",
        }
    ends = message.get("ends") or {}
    return {
        "version": message["version"],
        "message_id": message["message_id"],
        "type": message["type"],
        "measure": message["measure"],
        "list": message["list"],
        "subject_uscc": message["subject"]["uscc"],
        "subject_name": message["subject"]["name"],
        "title": message["title"],
        "severity": message["severity"],
        "rule": message["rule"],
        "effective_at": message["effective_at"] or "",
        "expires_at": message["expires_at"] or "",
        "basis": message["basis"],
        "ledger_seq": message["ledger"]["seq"],
        "ledger_hash": message["ledger"]["hash"],
        "ends_message_id": ends.get("message_id", ""),
        "ends_reason": ends.get("reason", ""),
    }


def csv_text(messages: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Messages as CSV (UTF-8 with a header row, the columns of the documented format)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for message in messages:
        writer.writerow(message_row(message))
    return out.getvalue()


def json_text(messages: list[dict[str, Any]], kind: str) -> str:
    """Messages as one JSON document: the version, what they are and the items."""
    return json.dumps({"version": VERSION, "type": kind, "items": messages}, ensure_ascii=False, indent=1)
