"""The bulk delivery path's batch: the projects and rows it carries from step to step, the runner's writes
collected and flushed in bulk, and the clock at each step's moment for the services' own functions."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from credit_rules import gate
from credit_rules.gate import Decision
from credit_rules.models import CreditSubject, DecisionRecord
from credit_rules.services import decision_row, subject_for_agency
from marketplace.errors import ApplicationError

from ..models import Engagement, Project, TransitionLog
from ..services.transitions import target_label
from .delivery_plan import PlannedDelivery

# Projects per transaction: each batch commits every step of its projects together.
DELIVERY_BATCH = 500


class _Writes:
    """The decision records and transition logs of one step of a batch, written together.

    Each gated transition keeps its decision (``decision_record``) and names it on its log; the log of an
    exempt transition has none. Logs are dated at the moment of the step, as the runner's are when the
    clock stands there.
    """

    def __init__(self) -> None:
        self.records: list[DecisionRecord] = []
        self.logs: list[tuple[TransitionLog, DecisionRecord | None]] = []
        self.types: dict[type, ContentType] = {}

    def decide(
        self, subject: CreditSubject, label: str, at: datetime.datetime, context: dict, obj, actor
    ) -> tuple[Decision, DecisionRecord]:
        decision = gate.evaluate(subject, label, at, context)
        record = decision_row(decision=decision, target=target_label(obj), actor=actor)
        return decision, record

    def run(self, obj, name: str, actor, moment: datetime.datetime, record: DecisionRecord | None = None, /, **params):
        """Fire ``name`` on ``obj`` (with ``params``) in memory at ``moment``; keep its log and its decision."""
        source = obj.state
        getattr(obj, name)(**params)
        model = type(obj)
        if model not in self.types:
            self.types[model] = ContentType.objects.get_for_model(model)
        log = TransitionLog(
            content_type=self.types[model],
            object_id=obj.pk,
            transition=name,
            from_state=source,
            to_state=obj.state,
            outcome=TransitionLog.Outcome.DONE,
            actor=actor if getattr(actor, "pk", None) else None,
            note="",
            at=moment,
        )
        if record is not None:
            self.records.append(record)
        self.logs.append((log, record))

    def flush(self) -> None:
        DecisionRecord.objects.bulk_create(self.records, batch_size=DELIVERY_BATCH)
        for log, record in self.logs:
            log.decision = record
        TransitionLog.objects.bulk_create([log for log, _r in self.logs], batch_size=DELIVERY_BATCH)
        self.records, self.logs = [], []


def _changed(objs: list, fields: list[str]) -> None:
    if objs:
        type(objs[0]).objects.bulk_update(objs, fields, batch_size=DELIVERY_BATCH)


def _at(moment: datetime.datetime):
    """The clock at ``moment``, for the services' own functions that read it."""
    return time_machine.travel(moment, tick=False)


@contextlib.contextmanager
def _committed_at(moment: datetime.datetime) -> Iterator[None]:
    """Run the services' own functions as their own transaction would, at ``moment``: what they hand to the
    commit (a notice to publish, a notification) runs when they end, at that moment, not when the batch
    commits at the present one."""
    start = len(connection.run_on_commit)
    with _at(moment):
        yield
        # What runs may hand on more (a notification, then its e-mail): until nothing is left.
        while len(connection.run_on_commit) > start:
            handed = connection.run_on_commit[start:]
            del connection.run_on_commit[start:]
            for entry in handed:  # (savepoint ids, the function, robust)
                entry[1]()


# --- the batch, step by step ----------------------------------------------------------------------------


@dataclass
class _Batch:
    """The plans still on the bulk path, with their rows as the database now holds them."""

    plans: list[PlannedDelivery]
    subjects: dict[int, CreditSubject] = field(default_factory=dict)

    def subject(self, agency) -> CreditSubject:
        if agency.pk not in self.subjects:
            self.subjects[agency.pk] = subject_for_agency(agency)
        return self.subjects[agency.pk]

    def reaching(self, stage: str) -> list[PlannedDelivery]:
        return [p for p in self.plans if p.reaches(stage)]

    def _keep(self, stage: str, found: dict[int, Any]) -> None:
        """Plans reaching ``stage`` whose row a consequence moved elsewhere leave the path where they are."""
        self.plans = [p for p in self.plans if not p.reaches(stage) or p.project.pk in found]

    def projects(self, state: str, stage: str = "in_service") -> dict[int, Project]:
        """The projects of the plans reaching ``stage`` that are in ``state``, by pk."""
        rows = Project.objects.filter(pk__in=[p.project.pk for p in self.reaching(stage)], state=state)
        found = {p.pk: p for p in rows.select_related("buyer", "category")}
        self._keep(stage, found)
        return found

    def engagements(self, state: str, stage: str = "in_service") -> dict[int, Engagement]:
        """The engagements of the plans reaching ``stage`` that are in ``state``, by project."""
        rows = Engagement.objects.filter(project_id__in=[p.project.pk for p in self.reaching(stage)], state=state)
        found = {
            e.project_id: e for e in rows.select_related("agency", "signup", "project__buyer", "project__category")
        }
        self._keep(stage, found)
        return found

    def leave(self, plan: PlannedDelivery, through_service: Callable[[], object], at: datetime.datetime) -> None:
        """A refused step goes through its service (refusal and consequences recorded); the project leaves."""
        # A service that refuses (as it would have the user) writes nothing more.
        with _committed_at(at), contextlib.suppress(ApplicationError):
            through_service()
        self.plans.remove(plan)
