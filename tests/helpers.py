"""Plain helpers the whole suite shares: file bytes, clocks and waits, reloads, pages and query counts,
the check that a transition was refused without a trace, the barrier runner for the PostgreSQL
concurrency tests, and the bars of an SVG chart.

Builders of people and of the marketplace's states live in ``tests.factories``; pytest fixtures in
``tests/conftest.py`` (and ``tests/workflows/services/conftest.py`` for the people the service tests act
as). Nothing here writes to the database by itself.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from unittest import mock

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

M = TypeVar("M")

# --- files --------------------------------------------------------------------------------------------

# The smallest file the upload checks take for a PDF (its magic bytes and an end-of-file marker).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name: str = "scan.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    """A PDF as a browser uploads it (for forms and the services that take an upload)."""
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def pdf_content(name: str = "contract.pdf") -> ContentFile:
    """A PDF as the services store it (contracts and results handed over in code)."""
    return ContentFile(PDF, name=name)


# --- time ---------------------------------------------------------------------------------------------

DAY = datetime.timedelta(days=1)


@contextmanager
def clock(at: datetime.datetime) -> Iterator[None]:
    """Move the platform's clock: the services read ``timezone.now()``."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def after(moment: datetime.datetime, seconds: float = 1) -> datetime.datetime:
    """A moment just past a deadline, for the sweeps (which act on the time they are given)."""
    return moment + datetime.timedelta(seconds=seconds)


def wait_past(moment: datetime.datetime, *, margin: float = 0.01) -> None:
    """Sleep until ``moment`` (an accelerated deadline) has passed, by ``margin`` seconds."""
    delay = (moment - timezone.now()).total_seconds()
    if delay > -0.001:
        time.sleep(delay + margin)


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def close_to(value: datetime.datetime, expected: datetime.datetime, slack=datetime.timedelta(minutes=1)) -> bool:
    return abs(value - expected) < slack


# --- sweeps --------------------------------------------------------------------------------------------

# What credit_sweep reports when it finds nothing left to do (a second run, a second worker).
CREDIT_SWEEP_IDLE = {
    "standings": 0,
    "notices_applied": 0,
    "reinstated": 0,
    "restricted": 0,
    "unrestricted": 0,
    "listings": 0,
    "rewards": 0,
    "cases_expired": 0,
    "dormancy_prompted": 0,
    "dormancy_exited": 0,
}


# --- rows ---------------------------------------------------------------------------------------------


def refetch(obj: M) -> M:
    """The row as stored, as a new object (protected FSM fields are not refreshed in place)."""
    return type(obj).objects.get(pk=obj.pk)  # type: ignore[attr-defined]


# --- pages --------------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    """A test client of its own, logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def page_html(response) -> str:
    """The page as sent."""
    return response.content.decode()


def page_text(response) -> str:
    """The page as sent, every run of white space folded to one space (for phrases across lines)."""
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- query counts ------------------------------------------------------------------------------------


@dataclass
class Queries:
    """What one page request cost: the number of queries, their SQL and the response."""

    count: int
    sql: list[str] = field(repr=False)
    response: Any = field(repr=False)


def page_queries(client: Client, url: str, params: dict | None = None, *, warm: bool = False) -> Queries:
    """The queries a GET of ``url`` runs (the page must answer 200).

    ``warm``: request the page once first, so per-process caches (the credit policy, content types,
    Wagtail's site root paths) are filled outside the count.
    """
    if warm:
        client.get(url, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return Queries(len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries], response)


def query_count(client: Client, url: str, params: dict | None = None, *, warm: bool = False) -> int:
    return page_queries(client, url, params, warm=warm).count


# --- transitions ---------------------------------------------------------------------------------------


def side_effects() -> tuple[int, int]:
    """Measures in the ledger and notice requests: a refusal must add neither."""
    from cms.models import NoticeRequest
    from credit_rules.models import LedgerEntry

    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE).count(), NoticeRequest.objects.count()


def last_log(obj):
    """The newest transition-log row of ``obj``."""
    from django.contrib.contenttypes.models import ContentType

    from workflows.models import TransitionLog

    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).latest("pk")


def assert_refused(obj, outcome: str, call, *, rule: str | None = None):
    """Run ``call``; it must be refused with ``outcome`` and leave no trace but the records of the refusal:
    the row's state unchanged, no measure, no notice, one transition-log row (and, for a credit refusal,
    the decision record naming ``rule``)."""
    from credit_rules.models import DecisionRecord
    from workflows.models import TransitionLog

    before_state = refetch(obj).state
    before_effects = side_effects()
    before_logs = TransitionLog.objects.count()
    result = call()
    assert not result.ok
    assert result.outcome == outcome, result.messages
    assert result.messages
    assert refetch(obj).state == before_state
    assert side_effects() == before_effects
    log = last_log(obj)
    assert TransitionLog.objects.count() == before_logs + 1
    assert (log.outcome, log.from_state, log.to_state) == (outcome, before_state, before_state)
    if outcome == TransitionLog.Outcome.REFUSED_CREDIT:
        record = DecisionRecord.objects.get(pk=result.record.pk)
        assert record.allowed is False
        assert rule in [r["rule"] for r in record.reasons if r["outcome"] == "refuse"]
        assert record.target == f"{obj._meta.label_lower}:{obj.pk}"
        assert log.decision_id == record.pk
        assert any(m.startswith(rule) for m in result.messages)
    else:
        assert rule is None
    return result


# --- concurrency (PostgreSQL) ------------------------------------------------------------------------


@dataclass
class Call:
    """What one thread's call returned or raised, and when it ran."""

    result: object = None
    error: Exception | None = None
    started: datetime.datetime | None = None
    finished: datetime.datetime | None = None


def run_together(calls: list, *, on_release=None, timeout: float = 180) -> list[Call]:
    """Run the calls in threads released at once by a barrier; each closes its connection at the end.

    Each thread connects before the barrier, so the race is the services'. ``on_release`` runs once
    every thread is connected and waiting, just before they are released.
    """
    import threading

    barrier = threading.Barrier(len(calls), action=on_release)
    out = [Call() for _ in calls]

    def worker(i: int, call) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            out[i].started = timezone.now()
            out[i].result = call()
        except Exception as exc:  # kept for the test's assertions, never swallowed
            out[i].error = exc
        finally:
            out[i].finished = timezone.now()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a worker hung (deadlock?)"
    return out


def results_of(calls: list[Call]) -> list:
    """The results of calls that must all have returned (any exception fails the test, listed)."""
    errors = [c.error for c in calls if c.error is not None]
    assert not errors, errors
    return [c.result for c in calls]


# --- SVG charts ---------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_bars(root) -> list:
    """The bars of a chart drawn by workflows.charts: the ``rect`` elements carrying a value."""
    return [r for r in root.iter(f"{SVG}rect") if "data-value" in r.attrib]


def explained(call: Callable[[], M]) -> tuple[M, list[str]]:
    """What ``call`` returns, and PostgreSQL's EXPLAIN ANALYZE of every query it ran, in order."""
    run: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):
        run.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        result = call()
    plans = []
    with connection.cursor() as cursor:
        for sql, params in run:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return result, plans
