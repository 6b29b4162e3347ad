"""Reads for the operator's (运营机构) project review pages: the review queue and one project in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from ..models import AvoidEntry, Project, ProjectQualification, TransitionLog
from ..services.procurement.notices import requirement_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


def project_list_for_operator_queue() -> QuerySet[Project]:
    """Projects waiting for review, oldest submission first, with buyer and category loaded."""
    return (
        Project.objects.filter(state=Project.State.PENDING_REVIEW)
        .select_related("buyer", "category", "category__parent")
        .order_by("submitted_at", "pk")
    )


class StateLabels(TypedDict):
    """The states before and after a history entry, in words, as the page attaches them."""

    from_label: StrOrPromise  # a choice label: lazy, or the raw state when it is not a choice
    to_label: StrOrPromise


@dataclass
class OperatorProjectPage:
    """Everything the operator checks before publishing: the terms, requirements, avoid list, history."""

    project: Project
    requirements: list[ProjectQualification]
    avoid_list: list[AvoidEntry]
    requirement_text: str
    history: list[WithAnnotations[TransitionLog, StateLabels]]

    @property
    def reviewable(self) -> bool:
        return self.project.state == Project.State.PENDING_REVIEW

    @property
    def shows_commitment(self) -> bool:
        # Only a draw's page states its commitment; a tie in another method shows the proof once drawn.
        return bool(self.project.draw_commitment) and self.project.method == Project.Method.DRAW

    @property
    def scored(self) -> bool:
        return self.project.method == Project.Method.SCORED


def project_get_for_operator_project(code: str) -> OperatorProjectPage | None:
    """One project by code with its requirements, avoid list (with reasons) and transition history."""
    project = (
        Project.objects.filter(code=code)
        .select_related("buyer", "buyer__region", "category", "category__parent", "direct_agency", "relaunch_of")
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=ProjectQualification.objects.select_related("qualification_type", "min_level").order_by("pk"),
            ),
            Prefetch("avoid_list", queryset=AvoidEntry.objects.select_related("agency").order_by("pk")),
        )
        .first()
    )
    if project is None:
        return None
    # Typed with the labels from the start: the loop below sets them on every entry.
    history = cast(
        "list[WithAnnotations[TransitionLog, StateLabels]]",
        list(
            TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Project), object_id=project.pk)
            .exclude(outcome__in=[TransitionLog.Outcome.REFUSED_STATE])
            .order_by("at", "pk")
        ),
    )
    labels = dict(Project.State.choices)
    for log in history:
        log.from_label = labels.get(log.from_state, log.from_state)
        log.to_label = labels.get(log.to_state, log.to_state)
    return OperatorProjectPage(
        project=project,
        requirements=list(project.requirements.all()),
        avoid_list=list(project.avoid_list.all()),
        requirement_text=requirement_text(project),
        history=history,
    )
