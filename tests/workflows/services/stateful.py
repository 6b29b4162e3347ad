"""What the state machines share: each example in its own rolled-back savepoint, under the real clock frozen
and moved by time-machine (every caller of time sees it, no mock)."""

from __future__ import annotations

import datetime

import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis.stateful import RuleBasedStateMachine


class RolledBackMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._travel = time_machine.travel(timezone.now().replace(microsecond=0), tick=False)
        self._time = self._travel.start()

    @property
    def clock(self) -> datetime.datetime:
        return timezone.now()

    @clock.setter
    def clock(self, value: datetime.datetime) -> None:
        self._time.move_to(value)

    def teardown(self):
        self._travel.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
