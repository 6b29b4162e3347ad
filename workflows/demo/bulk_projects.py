"""Bulk projects for ``seed_demo --scale N``: projects open for sign-up, with sealed sign-ups, written in batches.

This is the first bulk path of the realistic year (README, "A realistic year per agency"): the projects
a province has open for sign-up on any day, with the sign-ups already in. For each planned project it
writes what the services leave behind when a buyer drafts (``project_create``), submits
(``project_submit``) and the operator publishes it (``project_review``), and agencies sign up
(``signup_submit``):

- the project row as the model's own ``submit`` and ``publish`` transitions leave it, its code taken
  from the year's counter, its requirements;
- for each transition, the transition log row ``transition_run`` writes (both are exempt from the
  gate: no decision record);
- the announcement's notice request with the snapshot ``project_review`` takes;
- per sign-up, the gate's decision record (asked of the real gate with the real facts,
  ``signup_context``) and, when allowed, the sign-up with its quote sealed by ``quote_seal``.

The announcements are then published as the notice task would, each at its moment, by the bulk
publisher (``cms.bulk.notice_requests_publish_bulk``: the rows the real publisher writes one request at a
time, ``tests/cms/test_bulk_publish.py``). ``tests/workflows/test_demo_bulk_projects.py`` runs
the services and this path on the same inputs and compares every row either adds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from cms.bulk import notice_requests_publish_bulk
from cms.models import NoticeRequest
from credit_rules import gate
from credit_rules.models import DecisionRecord
from credit_rules.services import decision_row, subject_for_agency
from marketplace.models import Agency, BuyerUnit

from .. import draw
from ..models import CodeCounter, Project, ProjectQualification, SignUp, TransitionLog
from ..selectors.facts import signup_context
from ..services.periods import after_working_days
from ..services.procurement.notices import project_snapshot
from ..services.procurement.projects import DEFAULT_MIN_SIGNUPS, EDITABLE_FIELDS, Requirement
from ..services.procurement.sealing import quote_seal
from ..services.transitions import target_label

# Projects per transaction: each batch commits its projects, sign-ups and notice requests together.
PROJECT_BATCH = 500


@dataclass(frozen=True)
class PlannedSignup:
    """An agency signing up, by the clerk ``actor``, with ``quote`` at ``at``."""

    agency: Agency
    actor: Any
    quote: Decimal
    at: datetime.datetime


@dataclass
class PlannedProject:
    """A project as its buyer drafts it, when it is drafted, submitted and published, and its sign-ups."""

    buyer: BuyerUnit
    actor: Any
    operator: Any
    data: dict[str, Any]
    requirements: list[Requirement]
    created_at: datetime.datetime
    submitted_at: datetime.datetime
    published_at: datetime.datetime
    signups: list[PlannedSignup] = field(default_factory=list)


def _project_row(plan: PlannedProject, code: str) -> Project:
    """The project as ``project_create`` drafts it and the ``submit`` and ``publish`` transitions leave it."""
    data = {k: v for k, v in plan.data.items() if k in EDITABLE_FIELDS}
    data.setdefault("min_signups", DEFAULT_MIN_SIGNUPS.get(data.get("method") or "", 3))
    project = Project(buyer=plan.buyer, created_by=plan.actor, code=code, **data)
    # The runner reloads the row it saved: amounts come back to the cent, as the snapshot shows them.
    for f in Project._meta.concrete_fields:
        if isinstance(f, models.DecimalField) and getattr(project, f.attname) is not None:
            value = Decimal(str(getattr(project, f.attname)))
            setattr(project, f.attname, value.quantize(Decimal(1).scaleb(-f.decimal_places)))
    project.submit(at=plan.submitted_at)
    secret = draw.secret_new()
    project.publish(
        at=plan.published_at,
        signup_deadline=after_working_days(plan.published_at, project.signup_days),
        secret_hex=secret.hex(),
        commitment=draw.commitment(secret),
    )
    return project


def _codes(plans: list[PlannedProject]) -> list[str]:
    """Project codes as ``project_code_next`` hands them out, in the order the projects were drafted."""
    codes: list[str] = []
    for plan in plans:
        year = timezone.localtime(plan.created_at).year
        counter, _created = CodeCounter.objects.select_for_update().get_or_create(year=year)
        CodeCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
        codes.append(f"ZJCS-{year}-{counter.value + 1:06d}")
    return codes


def log_row(
    content_type: ContentType,
    obj_id: int,
    name: str,
    source: str,
    target: str,
    actor,
    at,
    decision: DecisionRecord | None = None,
) -> TransitionLog:
    """The runner's log row of a transition done: with the gate's decision when the transition is gated."""
    return TransitionLog(
        content_type=content_type,
        object_id=obj_id,
        transition=name,
        from_state=source,
        to_state=target,
        outcome=TransitionLog.Outcome.DONE,
        actor=actor if getattr(actor, "pk", None) else None,
        decision=decision,
        note="",
        at=at,
    )


def _signups_write(projects: list[tuple[Project, PlannedProject]]) -> None:
    """Each planned sign-up as ``signup_submit`` makes it: the gate's decision, kept, then the sealed sign-up."""
    pairs: list[tuple[DecisionRecord, SignUp | None]] = []
    for project, plan in projects:
        for planned in plan.signups:
            subject = subject_for_agency(planned.agency)
            context = signup_context(project, planned.agency, planned.at)
            decision = gate.evaluate(subject, "signup.submit", planned.at, context)
            record = decision_row(decision=decision, target=target_label(project), actor=planned.actor)
            signup = None
            if decision.allowed:
                signup = SignUp(
                    project=project,
                    agency=planned.agency,
                    sealed_quote=quote_seal(project.code, planned.quote),
                    proposal="",
                    submitted_by=planned.actor,
                    submitted_at=planned.at,
                )
            pairs.append((record, signup))
    records = DecisionRecord.objects.bulk_create([r for r, _s in pairs], batch_size=PROJECT_BATCH)
    signups = SignUp.objects.bulk_create([s for _r, s in pairs if s is not None], batch_size=PROJECT_BATCH)
    # The service saves the record before the sign-up exists, then names the sign-up as its target.
    by_pair = iter(signups)
    retarget = []
    for record, signup in zip(records, [s for _r, s in pairs], strict=True):
        if signup is not None:
            record.target = target_label(next(by_pair))
            retarget.append(record)
    DecisionRecord.objects.bulk_update(retarget, ["target"], batch_size=PROJECT_BATCH)


def _batch_write(plans: list[PlannedProject]) -> list[tuple[int, datetime.datetime]]:
    """Write one batch of open projects with their sign-ups; return the announcement requests' ids."""
    project_type = ContentType.objects.get_for_model(Project)
    codes = _codes(plans)
    rows = [_project_row(plan, code) for plan, code in zip(plans, codes, strict=True)]
    projects = Project.objects.bulk_create(rows, batch_size=PROJECT_BATCH)
    # created_at is auto_now_add, stamped with the present by bulk_create: the draft was made earlier.
    for project, plan in zip(projects, plans, strict=True):
        project.created_at = plan.created_at
    Project.objects.bulk_update(projects, ["created_at"], batch_size=PROJECT_BATCH)
    ProjectQualification.objects.bulk_create(
        [
            ProjectQualification(project=project, qualification_type=r.qualification_type, min_level=r.min_level)
            for project, plan in zip(projects, plans, strict=True)
            for r in plan.requirements
        ],
        batch_size=PROJECT_BATCH,
    )
    logs = []
    for project, plan in zip(projects, plans, strict=True):
        logs.append(
            log_row(project_type, project.pk, "submit", "draft", "pending_review", plan.actor, plan.submitted_at)
        )
        logs.append(
            log_row(project_type, project.pk, "publish", "pending_review", "open", plan.operator, plan.published_at)
        )
    TransitionLog.objects.bulk_create(logs, batch_size=PROJECT_BATCH)
    requests = NoticeRequest.objects.bulk_create(
        [
            NoticeRequest(
                kind="announcement",
                source_key=f"project:{project.code}:announcement",
                payload={"title": f"{project.name}采购公告", **project_snapshot(project)},
                moderated=False,
            )
            for project, plan in zip(projects, plans, strict=True)
        ],
        batch_size=PROJECT_BATCH,
    )
    # created_at is auto_now_add as well: the request was made when the project was published.
    for request, plan in zip(requests, plans, strict=True):
        request.created_at = plan.published_at
    NoticeRequest.objects.bulk_update(requests, ["created_at"], batch_size=PROJECT_BATCH)
    _signups_write(list(zip(projects, plans, strict=True)))
    return [(r.pk, plan.published_at) for r, plan in zip(requests, plans, strict=True)]


def open_projects_bulk(
    plans: Iterable[PlannedProject], *, progress: Callable[[str], None] = lambda _m: None
) -> list[Project]:
    """Write projects open for sign-up with their sign-ups in batches, then publish their announcements."""
    plans = sorted(plans, key=lambda p: p.created_at)
    before = set(Project.objects.values_list("pk", flat=True))
    for start in range(0, len(plans), PROJECT_BATCH):
        with transaction.atomic():
            request_ids = _batch_write(plans[start : start + PROJECT_BATCH])
        # As the notice task does once the transaction commits: one request, one page.
        notice_requests_publish_bulk(request_ids)
        progress(f"  open projects {min(start + PROJECT_BATCH, len(plans))}/{len(plans)}")
    return list(Project.objects.exclude(pk__in=before).order_by("pk"))
