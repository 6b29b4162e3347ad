"""The demo clock: in demo mode every process (the web server, the Celery worker and its beat) runs at the
same demo time, the real time plus an offset kept in the database (the newest ``DemoClockStep``).

Each process applies the stored offset with time-machine, already used by the simulated year: the whole
process travels, so ``timezone.now()``, ``date.today()``, the sweeps, Celery beat and every default of a
date field agree without any caller changing. The offset is read again before each request (the
middleware) and each task (``task_prerun``), so a step taken in one process reaches the others at their
next request or task. A step only ever moves forward. Outside demo mode nothing here runs: no query, no
travel (``ZJCS_DEMO`` is off, and production settings refuse it).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import time_machine
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from marketplace.roles import Role, has_role

from .models import DemoClockStep

_lock = threading.Lock()
_state: dict[str, Any] = {"applied": 0, "traveller": None, "coordinates": None}


def enabled() -> bool:
    """Whether the demo clock runs in this process (demo mode)."""
    return bool(getattr(settings, "ZJCS_DEMO", False))


def offset_stored() -> int:
    """The demo clock's offset from real time in seconds, as every process should apply it."""
    offset = DemoClockStep.objects.order_by("-pk").values_list("offset_seconds", flat=True).first()
    return int(offset or 0)


def offset_applied() -> int:
    """The offset this process runs at now."""
    return int(_state["applied"])


def offset_apply(seconds: int) -> None:
    """Run this process at real time + ``seconds``: start travelling, or shift forward by the difference."""
    with _lock:
        change = seconds - _state["applied"]
        if change <= 0:  # the clock never moves back; an older offset read in a race is ignored
            return
        if _state["coordinates"] is None:
            hatch = time_machine.escape_hatch
            real_now = hatch.time.time() if hatch.is_travelling() else time.time()
            traveller = time_machine.travel(real_now + seconds, tick=True)
            _state["traveller"], _state["coordinates"] = traveller, traveller.start()
        else:
            _state["coordinates"].shift(datetime.timedelta(seconds=change))
        _state["applied"] = seconds


def process_sync() -> int:
    """Apply the stored offset to this process (demo mode only); returns the offset in force."""
    if not enabled():
        return 0
    offset_apply(offset_stored())
    return offset_applied()


def process_reset() -> None:
    """Stop travelling (tests only: a live process never goes back in time)."""
    with _lock:
        if _state["traveller"] is not None:
            _state["traveller"].stop()
        _state.update(applied=0, traveller=None, coordinates=None)


class DemoClockMiddleware:
    """Before each request in demo mode, bring this process to the stored demo time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        process_sync()
        return self.get_response(request)


def task_prerun_sync(**_kwargs: Any) -> None:
    """Celery ``task_prerun``: bring the worker to the stored demo time before each task."""
    process_sync()


def can_advance(user: Any) -> bool:
    """Who may move the demo clock: an operator or a supervisor."""
    return bool(user.is_authenticated and (has_role(user, Role.OPERATOR) or has_role(user, Role.SUPERVISOR)))


def banner_context(request: HttpRequest) -> dict[str, Any]:
    """Template context for the demo banner (nothing outside demo mode)."""
    if not enabled():
        return {}
    return {
        "demo_clock": {
            "now": timezone.localtime(),
            "can_advance": SimpleLazyObject(lambda: can_advance(request.user)),
            "steps": DemoClockStep.Step.choices,
        }
    }
