"""Procurement under real concurrency on PostgreSQL: threads with their own connections, started
together by a barrier, against the real services.

The last-second rush of sign-ups against the deadline sweep, twenty racing closes, confirmations and
winner confirmations on one project, and two sweep workers over two hundred due projects: every
effect happens exactly once, nothing slips in after the deadline, and nothing is logged as an error.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs_procconc pytest tests/workflows/services/procurement/test_concurrency.py --create-db``
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from credit_rules.models import DecisionRecord, LedgerEntry
from marketplace.errors import ApplicationError
from tests.factories import agencies, buyer_user, project_data, published_project, requirement
from tests.helpers import run_together
from workflows import draw
from workflows.models import Engagement, Project, ProjectQualification, SignUp, TransitionLog
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import award as award_services
from workflows.services.procurement import selection as selection_services
from workflows.services.procurement import signups as signup_services
from workflows.services.procurement.sealing import quote_seal

# serialized_rollback: the flush after each test would otherwise take the migrations' data (regions,
# categories, qualification types, policy, the Wagtail tree) with it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DONE = TransitionLog.Outcome.DONE


def at_moment(moment: Callable[[], datetime.datetime], call: Callable[[], object]) -> Callable[[], object]:
    """The call, fired at ``moment()`` (wall clock) rather than when the barrier opens."""

    def fire():
        delay = (moment() - timezone.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)
        return call()

    return fire


def logs_for(obj_or_ids, transition: str, model=Project):
    ids = obj_or_ids if isinstance(obj_or_ids, list) else [obj_or_ids.pk]
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids, transition=transition
    )


def errors_logged(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def message_of(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ApplicationError) else repr(error)


# --- (a) the last-second rush ----------------------------------------------------------------------


def test_fifty_signups_in_the_last_second_are_each_recorded_once_and_none_after_the_deadline(caplog):
    caplog.set_level(logging.ERROR)
    # given 53 admitted agencies, built through the real entry path (apply, commit, approve), and a
    # published draw project
    pool = agencies(53)
    on_time, late = pool[:50], pool[50:]
    doubled = on_time[:5]
    project = published_project("draw")
    moments: dict[str, datetime.datetime] = {}

    def deadline_soon() -> None:
        """Once every thread is connected: the deadline moves to 1.5 s from now (a set-up shortcut)."""
        moments["deadline"] = timezone.now() + datetime.timedelta(seconds=1.5)
        Project.objects.filter(pk=project.pk).update(signup_deadline=moments["deadline"])

    def before_deadline(seconds: float):
        return lambda: moments["deadline"] - datetime.timedelta(seconds=seconds)

    def submit(agency, user, quote):
        return lambda: signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote)

    def sweep_around_the_deadline():
        runs = []
        while timezone.now() < moments["deadline"] + datetime.timedelta(seconds=30):
            runs.append((timezone.now(), deadlines_sweep()))
            if not Project.objects.filter(pk=project.pk, state=Project.State.OPEN).exists():
                break
            time.sleep(0.02)
        return runs

    # when five agencies submit twice at once as the deadline is set (1.5 s ahead), the other
    # forty-five sign up in the last second, three more just after the deadline, and a sweep worker
    # polls from half a second before the deadline
    rush = [at_moment(before_deadline(1.5), submit(a, u, "79000")) for a, u in doubled * 2]
    rush += [at_moment(before_deadline(1), submit(a, u, 40000 + i * 100)) for i, (a, u) in enumerate(on_time[5:])]
    rush_agencies = [a.pk for a, _u in doubled * 2 + on_time[5:]]
    too_late = [at_moment(before_deadline(-0.05), submit(a, u, "50000")) for a, u in late]
    sweeper = at_moment(before_deadline(0.5), sweep_around_the_deadline)
    calls = run_together([*rush, *too_late, sweeper], on_release=deadline_soon)
    rush_calls, late_calls, sweep_call = calls[: len(rush)], calls[len(rush) : -1], calls[-1]
    deadline = moments["deadline"]
    project.refresh_from_db()
    assert project.signup_deadline == deadline

    # then every call of the rush either signed up or was refused with a clear message: as a
    # duplicate (only the agencies that submitted twice), or because its turn came after the deadline
    made = [c for c in rush_calls if c.error is None]
    refused = [(agency, c) for agency, c in zip(rush_agencies, rush_calls, strict=True) if c.error is not None]
    summary = (
        f"{len(made)} of {len(rush)} calls signed up; refused: {Counter(message_of(c.error)[:12] for _a, c in refused)}"
    )
    assert all(c.result.ok for c in made), [c.result.refusals for c in made]
    assert all(isinstance(c.error, ApplicationError) for _a, c in refused), summary
    doubled_ids = {a.pk for a, _u in doubled}
    for agency, c in refused:
        if "重复" in message_of(c.error):
            assert agency in doubled_ids, summary
        else:
            assert "截止" in message_of(c.error) or "不接受报名" in message_of(c.error), summary
            assert c.finished >= deadline, summary

    # and the sign-ups recorded are exactly the successful calls, once per agency, all before the deadline
    recorded = SignUp.objects.filter(project=project)
    assert recorded.count() == len(made), summary
    assert {c.result.signup.pk for c in made} == set(recorded.values_list("pk", flat=True))
    per_agency = Counter(recorded.values_list("agency_id", flat=True))
    assert set(per_agency.values()) == {1}, summary
    assert all(s.submitted_at < deadline for s in recorded)
    # the five agencies that submitted twice at once each hold exactly one sign-up; the other call was a duplicate
    assert all(per_agency[pk] == 1 for pk in doubled_ids), summary
    assert sum("重复" in message_of(c.error) for _a, c in refused) == len(doubled), summary
    # sign-ups run side by side (they share the project row; only the sweep takes it exclusively):
    # held one at a time, a handful would fit in the last second and the rest find the deadline gone.
    # More than half, not all: a loaded machine may let a few slip past the deadline, correctly refused.
    assert len(per_agency) > len(on_time) // 2, summary

    # and the calls after the deadline were refused and wrote nothing (not even a gate decision)
    for c in late_calls:
        assert isinstance(c.error, ApplicationError), c.error
        assert "截止" in message_of(c.error) or "不接受报名" in message_of(c.error)
    late_ids = [a.pk for a, _u in late]
    assert not SignUp.objects.filter(agency_id__in=late_ids).exists()
    assert not DecisionRecord.objects.filter(subject__agency_id__in=late_ids, transition__startswith="signup").exists()

    # and the sweep closed the project exactly once, after the deadline, freezing exactly that pool
    assert sweep_call.error is None, sweep_call.error
    assert sum(run["signup_closed"] for _at, run in sweep_call.result) == 1
    closes = logs_for(project, "close_signup")
    assert closes.count() == 1 and closes.get().outcome == DONE
    assert closes.get().at >= deadline
    assert logs_for(project, "award").filter(outcome=DONE).count() == 1
    project.refresh_from_db()
    assert project.state == Project.State.AWARDED
    pool_usccs = {entry["uscc"] for entry in project.draw_proof["pool"]}
    assert pool_usccs == set(recorded.values_list("agency__uscc", flat=True))
    assert sorted(recorded.values_list("rank", flat=True)) == list(range(1, len(made) + 1))
    assert recorded.filter(state=SignUp.State.SELECTED).count() == 1
    assert not errors_logged(caplog)
    print(f"last-second rush: {summary}")


# --- (b) twenty racing closes, confirmations and awards ----------------------------------------------


def test_twenty_racing_closes_confirmations_and_winner_confirmations_each_act_once(caplog):
    caplog.set_level(logging.ERROR)
    # given a published draw project with six sign-ups whose deadline has passed
    buyer = buyer_user()
    pool = agencies(6)
    project = published_project("draw", buyer=buyer)
    for i, (agency, user) in enumerate(pool):
        assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote=50000 + i).ok
    Project.objects.filter(pk=project.pk).update(signup_deadline=timezone.now())  # set-up shortcut: it is due

    # (i) when ten threads close it directly and ten run the deadline sweep, all at once
    calls = run_together(
        [lambda: selection_services.signup_close(project) for _ in range(10)]
        + [lambda: deadlines_sweep() for _ in range(10)]
    )
    # then nothing failed, it was closed once and awarded once, with one winner and ranks 1..6
    assert [c.error for c in calls if c.error] == []
    closed_directly = [c.result for c in calls[:10] if c.result.ok]
    closed_by_sweeps = sum(c.result["signup_closed"] for c in calls[10:])
    assert len(closed_directly) + closed_by_sweeps == 1
    assert all(c.result.outcome == TransitionLog.Outcome.REFUSED_STATE for c in calls[:10] if not c.result.ok)
    assert logs_for(project, "close_signup").filter(outcome=DONE).count() == 1
    assert logs_for(project, "award").filter(outcome=DONE).count() == 1
    assert logs_for(project, "award").exclude(outcome=DONE).count() == 0
    ranked = SignUp.objects.filter(project=project)
    assert ranked.filter(state=SignUp.State.SELECTED).count() == 1
    assert sorted(ranked.values_list("rank", flat=True)) == [1, 2, 3, 4, 5, 6]
    signup_ids = list(ranked.values_list("pk", flat=True))
    for name in ("admit", "rank_at", "select"):
        per_signup = Counter(
            logs_for(signup_ids, name, SignUp).filter(outcome=DONE).values_list("object_id", flat=True)
        )
        assert max(per_signup.values()) == 1, (name, per_signup)
    project.refresh_from_db()
    assert project.state == Project.State.AWARDED

    # (iii) when the winner's clerk confirms the win twenty times at once
    winner = ranked.get(state=SignUp.State.SELECTED)
    winner_user = next(u for a, u in pool if a.pk == winner.agency_id)
    calls = run_together([lambda: award_services.winner_confirm(signup=winner, actor=winner_user) for _ in range(20)])
    # then one confirmation is done and nineteen are refused by state
    assert [c.error for c in calls if c.error] == []
    assert sorted(c.result.outcome for c in calls).count(DONE) == 1
    assert {c.result.outcome for c in calls if not c.result.ok} == {TransitionLog.Outcome.REFUSED_STATE}
    assert logs_for([winner.pk], "confirm", SignUp).filter(outcome=DONE).count() == 1
    assert SignUp.objects.get(pk=winner.pk).state == SignUp.State.CONFIRMED

    # (ii) when publicity has ended (a set-up shortcut) and the buyer confirms the winner twenty times at once
    Project.objects.filter(pk=project.pk).update(publicity_ends_at=timezone.now() - datetime.timedelta(seconds=1))
    calls = run_together(
        [lambda: award_services.project_confirm_winner(project=project, actor=buyer) for _ in range(20)]
    )
    # then contracting started once: one engagement; the rest were refused (by state, or told why)
    for c in calls:
        assert c.error is None or isinstance(c.error, ApplicationError), c.error
    done = [c for c in calls if c.error is None and c.result.ok]
    assert len(done) == 1
    refused = [c for c in calls if c not in done]
    assert all(c.error is not None or c.result.outcome == TransitionLog.Outcome.REFUSED_STATE for c in refused)
    assert logs_for(project, "confirm_winner").filter(outcome=DONE).count() == 1
    engagement = Engagement.objects.get(project=project)
    assert engagement.signup_id == winner.pk and engagement.state == Engagement.State.AWAITING_CONTRACT
    project.refresh_from_db()
    assert project.state == Project.State.CONTRACTING
    assert not errors_logged(caplog)


# --- (c) two sweep workers over two hundred due projects ----------------------------------------------


def due_projects(n: int, *, tag: str, buyer, pool, past: datetime.datetime, awarded: bool = False) -> list[Project]:
    """``n`` draw projects with three sign-ups each, due for the sweep since ``past``.

    Open ones: published, three sealed quotes, the sign-up deadline passed. Awarded ones: ranked,
    the winner confirmed, the publicity period over. Set-up shortcut: the rows the services would
    leave, bulk-inserted (the state field is protected, so the state is given to the constructor);
    what acts on them, the sweep, is the real service.
    """
    unit = buyer.buyerstaff_set.get().unit
    data = project_data("draw")
    req = requirement()
    projects = []
    for i in range(n):
        secret = draw.secret_new()
        projects.append(
            Project(
                **data,
                buyer=unit,
                created_by=buyer,
                code=f"ZJCS-CONC-{tag}-{i:04d}",
                state=Project.State.AWARDED if awarded else Project.State.OPEN,
                min_signups=3,
                signup_deadline=past - datetime.timedelta(days=7) if awarded else past,
                submitted_at=past - datetime.timedelta(days=14),
                published_at=past - datetime.timedelta(days=14),
                awarded_at=past - datetime.timedelta(days=7) if awarded else None,
                publicity_ends_at=past if awarded else None,
                draw_secret=secret.hex(),
                draw_commitment=draw.commitment(secret),
            )
        )
    Project.objects.bulk_create(projects)
    ProjectQualification.objects.bulk_create(
        ProjectQualification(project=p, qualification_type=req.qualification_type, min_level=req.min_level)
        for p in projects
    )
    rows = []
    for i, project in enumerate(projects):
        for j in range(3):
            agency, user = pool[(i + j) % len(pool)]
            quote = Decimal(50000 + 1000 * j)
            row = SignUp(
                project=project,
                agency=agency,
                sealed_quote=quote_seal(project.code, quote),
                submitted_by=user,
                submitted_at=project.published_at,
            )
            if awarded:
                row = SignUp(
                    **{f.attname: getattr(row, f.attname) for f in SignUp._meta.concrete_fields if f.attname != "id"}
                    | {"state": SignUp.State.CONFIRMED if j == 0 else SignUp.State.RANKED, "quote": quote}
                    | {"rank": j + 1, "credit_score": 100, "selected_at": project.awarded_at if j == 0 else None}
                )
            rows.append(row)
    SignUp.objects.bulk_create(rows)
    return projects


def test_two_sweep_workers_over_two_hundred_due_projects_move_each_exactly_once(caplog):
    caplog.set_level(logging.ERROR)
    # given 100 open projects whose sign-up deadline passed, three sign-ups each, and 100 awarded
    # projects whose winner confirmed and whose publicity period ended
    buyer = buyer_user()
    pool = agencies(6)
    past = timezone.now() - datetime.timedelta(minutes=5)
    open_ = due_projects(100, tag="O", buyer=buyer, pool=pool, past=past)
    awarded = due_projects(100, tag="A", buyer=buyer, pool=pool, past=past, awarded=True)
    open_ids, awarded_ids = [p.pk for p in open_], [p.pk for p in awarded]

    # when two sweep workers run at the same moment, claiming small batches so they interleave
    calls = run_together([lambda: deadlines_sweep(batch=10), lambda: deadlines_sweep(batch=10)])

    # then neither failed, and between them they handled every due project once
    assert [c.error for c in calls if c.error] == []
    assert sum(c.result["signup_closed"] for c in calls) == 100
    assert sum(c.result["publicity_ended"] for c in calls) == 100
    assert all(c.result["signup_closed"] + c.result["publicity_ended"] > 0 for c in calls), "one worker did it all"
    # every open project was closed and awarded exactly once (no second attempt, not even a refused one)
    for name in ("close_signup", "award"):
        per_project = Counter(logs_for(open_ids, name).values_list("object_id", "outcome"))
        assert per_project == Counter({(pk, DONE): 1 for pk in open_ids}), name
    assert Project.objects.filter(pk__in=open_ids, state=Project.State.AWARDED).count() == 100
    selected = SignUp.objects.filter(project_id__in=open_ids, state=SignUp.State.SELECTED)
    assert selected.values("project_id").distinct().count() == 100 and selected.count() == 100
    # every awarded project went to contracting exactly once, with exactly one engagement
    per_project = Counter(logs_for(awarded_ids, "confirm_winner").values_list("object_id", "outcome"))
    assert per_project == Counter({(pk, DONE): 1 for pk in awarded_ids})
    assert Project.objects.filter(pk__in=awarded_ids, state=Project.State.CONTRACTING).count() == 100
    engagements = Engagement.objects.filter(project_id__in=awarded_ids).values("project_id").annotate(n=Count("pk"))
    assert sorted(e["n"] for e in engagements) == [1] * 100
    # and nothing was logged as an error (a failed row is logged and skipped by the sweep)
    assert not errors_logged(caplog)


# --- a confirmation committing while the sweep ends the publicity period --------------------------


def backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def wait_until_blocked(pid: int, timeout: float = 30) -> None:
    """Until the backend ``pid`` waits on a row lock (read from pg_stat_activity, not guessed by sleeping)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock")


def test_a_confirmation_committing_as_publicity_ends_is_not_taken_for_a_silent_winner(caplog):
    caplog.set_level(logging.ERROR)
    # given an awarded project whose publicity period has just ended, its winner not yet confirmed
    buyer = buyer_user()
    pool = agencies(3)
    users = {a.pk: u for a, u in pool}
    past = timezone.now() - datetime.timedelta(seconds=1)
    (project,) = due_projects(1, tag="P", buyer=buyer, pool=pool, past=past)
    assert deadlines_sweep()["signup_closed"] == 1
    winner = SignUp.objects.get(project=project, state=SignUp.State.SELECTED)
    Project.objects.filter(pk=project.pk).update(publicity_ends_at=past)  # set-up shortcut: publicity is over

    # when the winner's confirmation has taken its row but not yet committed (a request in flight)
    # and the sweep, acting on the end of publicity, reaches the same row
    confirming, commit = threading.Event(), threading.Event()
    sweeper: dict[str, int] = {}

    def confirm_in_flight():
        with transaction.atomic():
            result = award_services.winner_confirm(signup=winner, actor=users[winner.agency_id])
            confirming.set()
            assert commit.wait(30)
        return result

    def sweep():
        assert confirming.wait(30)
        sweeper["pid"] = backend_pid()
        return deadlines_sweep()

    def watch():
        while "pid" not in sweeper:
            time.sleep(0.01)
        wait_until_blocked(sweeper["pid"])
        commit.set()

    confirm, swept, _watched = run_together([confirm_in_flight, sweep, watch])

    # then the confirmation stands and contracting starts: a winner who confirmed in time is never
    # declined as silent (which would cost it credit and hand the win to the alternate)
    assert confirm.error is None and confirm.result.ok, confirm.error
    assert swept.error is None, swept.error
    assert SignUp.objects.get(pk=winner.pk).state == SignUp.State.CONFIRMED
    assert not LedgerEntry.objects.filter(subject__agency_id=winner.agency_id, code="DECLINE_WIN").exists()
    project.refresh_from_db()
    assert project.state == Project.State.CONTRACTING
    assert Engagement.objects.filter(project=project, signup=winner).count() == 1
    assert logs_for([winner.pk], "decline", SignUp).count() == 0
    assert not errors_logged(caplog)


def test_a_winner_declining_as_the_sweep_ends_publicity_does_not_deadlock(caplog):
    caplog.set_level(logging.ERROR)
    # given an awarded project whose publicity period has just ended, its winner not yet confirmed
    pool = agencies(3)
    users = {a.pk: u for a, u in pool}
    past = timezone.now() - datetime.timedelta(seconds=1)
    (project,) = due_projects(1, tag="D", buyer=buyer_user(), pool=pool, past=past)
    assert deadlines_sweep()["signup_closed"] == 1
    winner = SignUp.objects.get(project=project, state=SignUp.State.SELECTED)
    Project.objects.filter(pk=project.pk).update(publicity_ends_at=past)  # set-up shortcut: publicity is over

    # when another request holds the winner's row for a moment, the winner's decline queues for it
    # first and the sweep, acting on the end of publicity, second (the order a rush can produce)
    held, release = threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    swept = threading.Event()

    def other_request():
        with transaction.atomic():
            SignUp.objects.select_for_update().get(pk=winner.pk)
            held.set()
            assert release.wait(30)

    def decline():
        assert held.wait(30)
        pids["decline"] = backend_pid()
        return award_services.winner_decline(
            signup=winner, actor=users[winner.agency_id], reason="人员调整，无法承接。"
        )

    def sweep():
        while "decline" not in pids:
            time.sleep(0.01)
        wait_until_blocked(pids["decline"])
        pids["sweep"] = backend_pid()
        try:
            return deadlines_sweep()
        finally:
            swept.set()

    def watch():
        while "sweep" not in pids:
            time.sleep(0.01)
        # the sweep either queues behind the decline for the row, or skips the project it holds
        give_up = time.monotonic() + 30
        while not swept.is_set() and time.monotonic() < give_up:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pids["sweep"]])
                row = cursor.fetchone()
            if row and row[0] == "Lock":
                break
            time.sleep(0.01)
        release.set()

    _other, declined, swept_call, _watch = run_together([other_request, decline, sweep, watch])

    # then neither side was killed as a deadlock victim: the decline went through (the alternate
    # steps up) or was refused by state because the sweep declined first, and nothing failed
    assert declined.error is None, declined.error
    assert swept_call.error is None, swept_call.error
    assert not errors_logged(caplog)
    assert SignUp.objects.get(pk=winner.pk).state == SignUp.State.DECLINED
    assert logs_for([winner.pk], "decline", SignUp).filter(outcome=DONE).count() == 1
    assert SignUp.objects.filter(project=project, state=SignUp.State.SELECTED).count() == 1
    assert LedgerEntry.objects.filter(subject__agency_id=winner.agency_id, code="DECLINE_WIN").count() == 1
