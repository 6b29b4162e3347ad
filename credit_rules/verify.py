"""Ledger verification: every subject's hash chain is intact and its head matches the last entry.

The walk streams entries ordered by (subject, seq) with a server-side cursor on PostgreSQL (chunked
reads on SQLite) and merges them with the subjects' heads, so memory stays flat for any ledger
size. It stops at the first broken entry: after that one, nothing in that chain can be trusted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .models import GENESIS_HASH, CreditSubject, LedgerEntry

CHUNK = 5_000


@dataclass(frozen=True)
class Problem:
    """The first entry (or chain head) that fails verification, and what is wrong with it."""

    subject_id: int
    uscc: str
    seq: int
    entry_id: int | None
    what: str

    def __str__(self) -> str:
        entry = f"entry id {self.entry_id}" if self.entry_id is not None else "no entry"
        return f"subject {self.uscc} (id {self.subject_id}) seq {self.seq} ({entry}): {self.what}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a verification walk: how much was checked and the first problem, if any."""

    subjects: int
    entries: int
    seconds: float
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _entries(subject_ids: list[int] | None) -> Iterator[LedgerEntry]:
    qs = LedgerEntry.objects.all()
    if subject_ids is not None:
        qs = qs.filter(subject_id__in=subject_ids)
    return qs.order_by("subject_id", "seq").iterator(chunk_size=CHUNK)


def _subjects(subject_ids: list[int] | None) -> Iterator[tuple[int, str, int, str]]:
    qs = CreditSubject.objects.all()
    if subject_ids is not None:
        qs = qs.filter(pk__in=subject_ids)
    return qs.order_by("pk").values_list("pk", "uscc", "head_seq", "head_hash").iterator(chunk_size=CHUNK)


def _check_chain(
    subject: tuple[int, str, int, str], entries: Iterable[LedgerEntry], counter: list[int]
) -> Problem | None:
    """Check one subject's entries (already in seq order) against each other and the subject head."""
    sid, uscc, head_seq, head_hash = subject
    expected_seq, prev_hash, last_id = 1, GENESIS_HASH, None
    for entry in entries:
        counter[0] += 1
        if entry.seq != expected_seq:
            what = f"sequence gap: expected seq {expected_seq}, found seq {entry.seq} (entries missing)"
            return Problem(sid, uscc, entry.seq, entry.pk, what)
        if entry.prev_hash != prev_hash:
            what = (
                f"prev_hash {entry.prev_hash[:12]}… does not link to the hash of seq {entry.seq - 1} "
                f"({prev_hash[:12]}…)"
            )
            return Problem(sid, uscc, entry.seq, entry.pk, what)
        computed = entry.compute_hash()
        if entry.hash != computed:
            what = f"content altered: stored hash {entry.hash[:12]}… but the entry hashes to {computed[:12]}…"
            return Problem(sid, uscc, entry.seq, entry.pk, what)
        expected_seq, prev_hash, last_id = expected_seq + 1, entry.hash, entry.pk
    last_seq = expected_seq - 1
    if (last_seq, prev_hash) != (head_seq, head_hash):
        what = (
            f"chain head says seq {head_seq} ({head_hash[:12]}…) but the last entry is seq {last_seq} "
            f"({prev_hash[:12]}…): entries were removed from the end or the head was altered"
        )
        return Problem(sid, uscc, head_seq, last_id, what)
    return None


def ledger_verify(subject_ids: Iterable[int] | None = None) -> VerifyReport:
    """Walk every subject's chain in seq order and report the first entry that breaks it."""
    started = time.monotonic()
    ids = sorted(set(subject_ids)) if subject_ids is not None else None
    entries = _entries(ids)
    pending = next(entries, None)
    counter = [0]
    subjects = 0
    problem = None

    for subject in _subjects(ids):
        subjects += 1
        sid = subject[0]
        if pending is not None and pending.subject_id < sid:
            # Subjects are a superset of entry owners (PROTECT), so this only happens if a subject row vanished.
            problem = Problem(pending.subject_id, "?", pending.seq, pending.pk, "entry belongs to no subject")
            break

        def chain(sid: int = sid) -> Iterator[LedgerEntry]:
            nonlocal pending
            while pending is not None and pending.subject_id == sid:
                yield pending
                pending = next(entries, None)

        own = chain()
        problem = _check_chain(subject, own, counter)
        if problem is not None:
            break
    else:
        if pending is not None:
            problem = Problem(pending.subject_id, "?", pending.seq, pending.pk, "entry belongs to no subject")
    if problem is not None:
        # Stop the server-side cursor early instead of draining millions of rows.
        close = getattr(entries, "close", None)
        if close:
            close()
    return VerifyReport(subjects=subjects, entries=counter[0], seconds=time.monotonic() - started, problem=problem)
