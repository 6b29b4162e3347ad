"""The credit ledger is append-only and hash-chained; verify_ledger finds the first tampered entry."""

from __future__ import annotations

import contextlib
import datetime
import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from credit_rules.models import GENESIS_HASH, CreditSubject, LedgerEntry, MeasureKind, Source
from credit_rules.services import dispute_mark, entry_neutralise, event_record, measure_record
from credit_rules.standing import standing_compute
from credit_rules.verify import ledger_verify
from tests.factories import credit_subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

TABLE = LedgerEntry._meta.db_table
APPEND_ONLY = importlib.import_module("credit_rules.migrations.0003_ledger_append_only")


@contextlib.contextmanager
def triggers_off():
    """Switch off the append-only triggers the way an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks from this test's inserts would block ALTER TABLE: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER credit_ledger_no_update")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute(APPEND_ONLY.SQLITE_FORWARD)


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_fails(*args: str) -> str:
    """Run the command, expect it to fail, return the failure message."""
    with pytest.raises(CommandError) as failed:
        call_command("verify_ledger", *args)
    return str(failed.value)


def busy_ledger() -> list[CreditSubject]:
    """Three subjects with interleaved events, measures, neutralisations and dispute marks."""
    subjects = [credit_subject() for _ in range(3)]
    start = timezone.now() - datetime.timedelta(days=400)
    codes = ["RATING_EXCELLENT", "RATING_POOR", "DELIVERY_LATE", "HONOUR_TAX_A", "CREDIT_WARNING"]
    for i in range(15):
        for j, subject in enumerate(subjects):
            event_record(
                subject=subject,
                code=codes[(i + j) % len(codes)],
                source=Source.RATING,
                evidence={"project": f"ZJCS-2025-{i:06d}", "note": "评价"},
                at=start + datetime.timedelta(days=i * 20 + j),
            )
    first = subjects[0].ledger.get(seq=2)
    entry_neutralise(entry=first, reason=LedgerEntry.Reason.OVERTURNED, note="异议成立")
    dispute_mark(entry=subjects[1].ledger.get(seq=3), opened=True, note="机构提出异议")
    measure_record(
        subject=subjects[2],
        kind=MeasureKind.SUSPEND,
        ends_at=timezone.now() + datetime.timedelta(days=30),
        rule_code="CR-ESC-001",
        basis="",
    )
    return subjects


def test_chain_verifies_after_many_appends_across_subjects():
    # given three subjects whose appends interleave
    subjects = busy_ledger()
    # then each chain links from the genesis hash and the subject heads match the last entries
    for subject in subjects:
        subject.refresh_from_db()
        entries = list(subject.ledger.order_by("seq"))
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert entries[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
        assert (subject.head_seq, subject.head_hash) == (entries[-1].seq, entries[-1].hash)
    # when the whole ledger is verified
    report = ledger_verify()
    # then it is intact and every entry was checked
    assert report.ok, report.problem
    assert report.subjects == 3
    assert report.entries == LedgerEntry.objects.count() == 15 * 3 + 3


def test_command_prints_a_summary_when_intact(capsys):
    busy_ledger()
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "Ledger intact: 3 subjects, 48 entries checked in" in out


def test_model_layer_refuses_updates_and_deletes():
    # given a recorded event
    entry = event_record(subject=credit_subject(), code="RATING_POOR", source=Source.RATING)
    # when code tries to edit or remove it, then every path is refused
    entry.points = 0
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=0)
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).points == -5


def test_database_refuses_raw_update():
    # given a recorded event
    entry = event_record(subject=credit_subject(), code="RATING_POOR", source=Source.RATING)
    # when raw SQL bypasses the model layer
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"UPDATE {TABLE} SET points = 0 WHERE id = %s", [entry.pk])
    # then the trigger refused it
    assert LedgerEntry.objects.get(pk=entry.pk).points == -5


@pytest.mark.postgres
def test_database_refuses_raw_delete_on_postgresql():
    entry = event_record(subject=credit_subject(), code="RATING_POOR", source=Source.RATING)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_changed_points_are_detected_naming_the_entry(capsys):
    # given an intact ledger
    subjects = busy_ledger()
    victim = subjects[1].ledger.get(seq=7)
    # when someone with database access raises a penalty to a reward
    with triggers_off():
        raw(f"UPDATE {TABLE} SET points = 5 WHERE id = %s", [victim.pk])
    # then verification fails at exactly that entry
    message = verify_fails()
    assert subjects[1].uscc in message
    assert "seq 7" in message
    assert f"entry id {victim.pk}" in message
    assert "content altered" in message
    assert "entries checked" in capsys.readouterr().err
    report = ledger_verify()
    assert (report.problem.subject_id, report.problem.seq, report.problem.entry_id) == (subjects[1].pk, 7, victim.pk)


def test_rewriting_the_hash_as_well_breaks_the_next_link():
    # given an attacker who changes a value and recomputes that entry's hash
    subjects = busy_ledger()
    victim = subjects[0].ledger.get(seq=4)
    victim.points = 50
    forged = victim.compute_hash()
    with triggers_off():
        raw(f"UPDATE {TABLE} SET points = 50, hash = %s WHERE id = %s", [forged, victim.pk])
    # then the following entry no longer links to it
    report = ledger_verify()
    assert not report.ok
    follower = subjects[0].ledger.get(seq=5)
    assert (report.problem.seq, report.problem.entry_id) == (5, follower.pk)
    assert "does not link" in report.problem.what


def test_forging_the_last_entry_is_caught_by_the_subject_head():
    # given an attacker who rewrites the last entry with a fresh hash (no follower to break)
    subject = busy_ledger()[2]
    subject.refresh_from_db()
    last = subject.ledger.get(seq=subject.head_seq)
    last.title = "表彰"
    forged = last.compute_hash()
    with triggers_off():
        raw(f"UPDATE {TABLE} SET title = %s, hash = %s WHERE id = %s", ["表彰", forged, last.pk])
    # then the subject's head no longer matches
    message = verify_fails()
    assert subject.uscc in message and "chain head" in message


def test_deleting_the_tail_is_detected_via_the_subject_head():
    # given an intact ledger
    subjects = busy_ledger()
    subject = subjects[2]
    subject.refresh_from_db()
    head_seq = subject.head_seq
    last = subject.ledger.get(seq=head_seq)
    # when the last entry (the suspension) is deleted behind the model's back
    with triggers_off():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [last.pk])
    # then every remaining link is fine, but the head gives the truncation away
    message = verify_fails()
    assert subject.uscc in message
    assert f"seq {head_seq}" in message
    assert "removed from the end" in message
    previous = subject.ledger.get(seq=head_seq - 1)
    assert ledger_verify().problem.entry_id == previous.pk


def test_deleting_a_middle_entry_is_a_sequence_gap():
    subjects = busy_ledger()
    gone = subjects[0].ledger.get(seq=3)
    with triggers_off():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [gone.pk])
    problem = ledger_verify().problem
    assert (problem.subject_id, problem.seq) == (subjects[0].pk, 4)
    assert "sequence gap" in problem.what


def test_deleting_every_entry_of_a_subject_is_detected():
    subject = credit_subject()
    entry = event_record(subject=subject, code="RATING_POOR", source=Source.RATING)
    with triggers_off():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    problem = ledger_verify().problem
    assert (problem.subject_id, problem.seq, problem.entry_id) == (subject.pk, 1, None)


def test_a_correction_is_a_new_entry_and_the_chain_still_verifies():
    # given a poor rating that lowered the score
    subject = credit_subject()
    poor = event_record(subject=subject, code="RATING_POOR", source=Source.RATING)
    assert standing_compute(subject).score == 95
    # when an objection overturns it
    fix = entry_neutralise(entry=poor, reason=LedgerEntry.Reason.OVERTURNED, note="异议成立")
    # then the original is untouched, the correction is the next link, and the score is restored
    original = LedgerEntry.objects.get(pk=poor.pk)
    assert (original.points, original.hash) == (-5, poor.hash)
    assert (fix.seq, fix.prev_hash, fix.refers_to_id, fix.points) == (2, poor.hash, poor.pk, 5)
    assert standing_compute(subject).score == 100
    assert ledger_verify().ok
    call_command("verify_ledger")


def test_subject_option_checks_only_the_named_subjects(capsys):
    # given one tampered subject and two sound ones
    subjects = busy_ledger()
    victim = subjects[0].ledger.get(seq=1)
    with triggers_off():
        raw(f"UPDATE {TABLE} SET code = %s WHERE id = %s", ["HONOUR_RED_LIST", victim.pk])
    # when only the sound ones are verified, they pass
    call_command("verify_ledger", "--subject", subjects[1].uscc, "--subject", subjects[2].uscc.lower())
    assert "Ledger intact: 2 subjects" in capsys.readouterr().out
    # and the tampered one fails on its own
    assert f"entry id {victim.pk}" in verify_fails("--subject", subjects[0].uscc)


def test_subject_option_refuses_an_unknown_code():
    busy_ledger()
    assert "No credit subject with USCC 91441302MA0000000X" in verify_fails("--subject", "91441302MA0000000X")
