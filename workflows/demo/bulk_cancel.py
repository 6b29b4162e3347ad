"""The buyer cancelling projects while they are open (``projects.project_cancel``), in bulk, for the scaled demo.

Each batch writes what the service writes — the project's ``cancel`` transition and its log row, the
termination notice's request with its snapshot — and the notices are published by the bulk publisher as
the notice task would. ``tests/workflows/test_demo_bulk_selection.py`` compares every row with the service's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from cms.bulk import notice_requests_publish_bulk

from ..models import Project, TransitionLog
from ..services.procurement.notices import termination_payload
from .bulk_projects import log_row
from .bulk_selection import SELECTION_BATCH, notice_requests_add


@dataclass(frozen=True)
class PlannedCancel:
    """The buyer's officer ``actor`` ends an open project at ``at`` with ``reason`` (published)."""

    project: Project
    actor: Any
    reason: str
    at: datetime.datetime


def cancel_bulk(plans: Iterable[PlannedCancel], *, progress: Callable[[str], None] = lambda _m: None) -> None:
    """The buyers end open projects (``project_cancel``) in batches, then their termination notices are published."""
    plans = sorted(plans, key=lambda p: p.at)
    project_type = ContentType.objects.get_for_model(Project)
    for start in range(0, len(plans), SELECTION_BATCH):
        batch = plans[start : start + SELECTION_BATCH]
        with transaction.atomic():
            projects = {
                p.pk: p
                for p in Project.objects.filter(pk__in=[plan.project.pk for plan in batch]).select_related(
                    "category", "buyer"
                )
            }
            logs, items = [], []
            for plan in batch:
                project = projects[plan.project.pk]
                if not project.published_at or not plan.reason.strip():
                    raise ValueError(f"{project.code}: only a published project is cancelled, with a reason")
                source = project.state
                project.cancel(at=plan.at, reason=plan.reason)
                logs.append(log_row(project_type, project.pk, "cancel", source, project.state, plan.actor, plan.at))
                payload = termination_payload(project, plan.reason, "终止")
                items.append(("termination", f"project:{project.code}:termination", payload, plan.at))
            Project.objects.bulk_update(list(projects.values()), ["state", "closed_at", "cancel_reason"])
            TransitionLog.objects.bulk_create(logs, batch_size=SELECTION_BATCH)
            published = notice_requests_add(items)
        notice_requests_publish_bulk(published)
        progress(f"  cancelled projects {min(start + SELECTION_BATCH, len(plans))}/{len(plans)}")
