"""Feedback (联合奖惩反馈): for each external listing received, what the marketplace did about it, and when.

Derived, never stored apart: from the listings the import services write (``ExternalListing``), the credit
subjects (an agency registered under the USCC, or none), and the ledger's listing suspensions and their lifts
(the measures ``external_list_import`` recorded through the escalation rules). Organisations only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit_rules.kinds import MeasureKind
from credit_rules.models import CreditSubject, ExternalListing, LedgerEntry
from credit_rules.rules.base import code_of
from credit_rules.rules.escalation import listing_cleared, listing_suspends
from opendata.exchange_models import ExchangeCursor, OutboxMessage

from .format import VERSION, feedback_id, iso
from .outbox import BATCH, cursor_lock

ACTIONS = {
    "suspended": _("暂停其交易资格"),
    "restored": _("移出名单后恢复交易资格"),
    "no_member": _("未匹配到入驻机构"),
    "no_measure": _("匹配到机构，未采取新措施（非在册会员或已因名单暂停）"),
}
LISTING_CURSOR = "feedback-listings"
LIFT_CURSOR = "feedback-lifts"


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def feedback_items(listings: list[ExternalListing]) -> list[dict[str, Any]]:
    """The feedback on these listings (``batch`` loaded), in the listings' order: three queries whatever their number."""
    usccs = {listing.uscc for listing in listings}
    subjects = {
        s.uscc: s for s in CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY, uscc__in=usccs).only("uscc")
    }
    suspensions: dict[int, list[LedgerEntry]] = defaultdict(list)
    lifts: dict[int, LedgerEntry] = {}
    if subjects:
        rows = LedgerEntry.objects.filter(
            subject__in=subjects.values(),
            kind=LedgerEntry.Kind.MEASURE,
            measure=MeasureKind.SUSPEND,
            rule_code=code_of(listing_suspends),
        ).order_by("pk")
        for entry in rows.only("pk", "subject_id", "effective_at", "hash"):
            suspensions[entry.subject_id].append(entry)
        ends = LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.NEUTRALISE, refers_to__in=[e.pk for es in suspensions.values() for e in es]
        ).only("refers_to_id", "effective_at", "hash")
        lifts = {entry.refers_to_id: entry for entry in ends}
    items: list[dict[str, Any]] = []
    for listing in listings:
        subject = subjects.get(listing.uscc)
        listed_from = _day_start(listing.listed_on)
        found = [e for e in suspensions.get(subject.pk, []) if e.effective_at >= listed_from] if subject else []
        steps: list[tuple[str, datetime.datetime, LedgerEntry | None]] = []
        if subject is None:
            steps.append(("no_member", listing.batch.imported_at, None))
        elif not found:
            steps.append(("no_measure", listing.batch.imported_at, None))
        else:
            steps.append(("suspended", found[0].effective_at, found[0]))
            lift = lifts.get(found[0].pk)
            if lift is not None:
                steps.append(("restored", lift.effective_at, lift))
        items.extend(_item(listing, action, at, entry) for action, at, entry in steps)
    return items


def _item(listing: ExternalListing, action: str, at: datetime.datetime, entry: LedgerEntry | None) -> dict:
    return {
        "version": VERSION,
        "message_id": feedback_id(listing.pk, action, at),
        "type": "feedback",
        "listing": {
            "source": listing.source,
            "uscc": listing.uscc,
            "name": listing.name,
            "listed_on": iso(listing.listed_on),
            "delisted_on": iso(listing.delisted_on),
        },
        "action": action,
        "action_label": str(ACTIONS[action]),
        "at": iso(at),
        "ledger_hash": entry.hash if entry else None,
    }


def feedback_list(limit: int = 200) -> list[dict[str, Any]]:
    """The feedback on the latest listings received, newest first (the page and the exports)."""
    listings = list(ExternalListing.objects.select_related("batch").order_by("-pk")[:limit])
    return feedback_items(listings)


def _enqueue(items: list[dict[str, Any]], listing_pks: dict[str, int]) -> int:
    rows = [
        OutboxMessage(
            message_id=item["message_id"],
            kind=OutboxMessage.Kind.FEEDBACK,
            listing_id=listing_pks[item["message_id"]],
            payload={k: v for k, v in item.items() if k != "action_label"},
        )
        for item in items
    ]
    return len(OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True))


def _listing_pks(listings: list[ExternalListing], items: list[dict]) -> dict[str, int]:
    by_key = {(lst.uscc, lst.source, iso(lst.listed_on)): lst.pk for lst in listings}
    return {
        i["message_id"]: by_key[(i["listing"]["uscc"], i["listing"]["source"], i["listing"]["listed_on"])]
        for i in items
    }


def feedback_enqueue() -> int:
    """New listings since the cursor, and listings whose suspension was lifted since the other, into the outbox."""
    done = 0
    with transaction.atomic():
        cursor = cursor_lock(LISTING_CURSOR)
        last = cursor.last_entry_id
        while batch := list(ExternalListing.objects.select_related("batch").filter(pk__gt=last).order_by("pk")[:BATCH]):
            items = feedback_items(batch)
            done += _enqueue(items, _listing_pks(batch, items))
            last = batch[-1].pk
        ExchangeCursor.objects.filter(pk=cursor.pk).update(last_entry_id=last)
    with transaction.atomic():
        cursor = cursor_lock(LIFT_CURSOR)
        last = cursor.last_entry_id
        lifted = LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.NEUTRALISE, rule_code=code_of(listing_cleared), pk__gt=last
        ).select_related("subject")
        while batch_lifts := list(lifted.filter(pk__gt=last).order_by("pk")[:BATCH]):
            usccs = {entry.subject.uscc for entry in batch_lifts}
            listings = list(ExternalListing.objects.select_related("batch").filter(uscc__in=usccs))
            items = feedback_items(listings)
            done += _enqueue(items, _listing_pks(listings, items))
            last = batch_lifts[-1].pk
        ExchangeCursor.objects.filter(pk=cursor.pk).update(last_entry_id=last)
    return done
