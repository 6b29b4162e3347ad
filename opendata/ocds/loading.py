"""Everything the releases of a batch of projects need, read in a fixed number of queries (six, any batch size).

Reads the workflow records only: projects, sign-ups, engagements with their payments, the transition log (the
moments of the steps) and the gate's refused decisions on sign-ups. Sealed quotes are never read: the only
quote used is ``SignUp.quote``, which the close sets after the deadline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from credit_rules.models import DecisionRecord
from workflows.models import Engagement, Project, SignUp, TransitionLog

PUBLISHED_STATES = tuple(
    s for s in Project.State.values if s not in ("draft", "pending_review", "returned", "discarded")
)
PROJECT_STEPS = ("close_signup", "award", "reopen_award", "confirm_winner", "cancel", "fail", "close")
SIGNUP_STEPS = ("decline", "revoke", "confirm")
ENGAGEMENT_STEPS = ("terminate",)


@dataclass
class Bundle:
    """One project and its rows."""

    project: Project
    signups: list[SignUp] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    # (object kind, pk, transition) -> the moment of the step, the last time it was done
    steps: dict[tuple[str, int, str], object] = field(default_factory=dict)
    refusals: list[DecisionRecord] = field(default_factory=list)

    def step_at(self, kind: str, pk: int, name: str):
        return self.steps.get((kind, pk, name))


def published_projects():
    """Every project the public may see: published at some time (a draft, a project in review or discarded
    was never public)."""
    return Project.objects.filter(state__in=PUBLISHED_STATES, published_at__isnull=False)


def bundles_load(projects: list[Project]) -> list[Bundle]:
    """The bundles of ``projects`` (with buyer, region and category already joined), in the given order."""
    if not projects:
        return []
    found = {p.pk: Bundle(p) for p in projects}
    signups = list(
        SignUp.objects.filter(project_id__in=found)
        .select_related("agency__region")
        .order_by("project_id", "pk")
        .defer("sealed_quote")
    )
    for signup in signups:
        found[signup.project_id].signups.append(signup)
    engagements = Engagement.objects.filter(project_id__in=found).select_related("agency__region", "payment")
    for engagement in engagements.order_by("project_id", "pk"):
        found[engagement.project_id].engagements.append(engagement)
    _steps_load(found, signups)
    labels = {f"workflows.project:{pk}": pk for pk in found} | {
        f"workflows.signup:{s.pk}": s.project_id for s in signups
    }
    refused = DecisionRecord.objects.filter(allowed=False, target__in=list(labels), transition__startswith="signup.")
    for record in refused.select_related("subject__agency__region").order_by("at", "pk"):
        if record.subject is not None and record.subject.agency is not None:
            found[labels[record.target]].refusals.append(record)
    return [found[p.pk] for p in projects]


def _steps_load(found: dict[int, Bundle], signups: list[SignUp]) -> None:
    types = ContentType.objects.get_for_models(Project, SignUp, Engagement)  # cached after the first call
    owner: dict[tuple[int, int], int] = {}
    for pk in found:
        owner[(types[Project].pk, pk)] = pk
    for signup in signups:
        owner[(types[SignUp].pk, signup.pk)] = signup.project_id
    for bundle in found.values():
        for engagement in bundle.engagements:
            owner[(types[Engagement].pk, engagement.pk)] = engagement.project_id
    kinds = {types[Project].pk: "project", types[SignUp].pk: "signup", types[Engagement].pk: "engagement"}
    by_type: dict[int, list[int]] = defaultdict(list)
    for type_pk, pk in owner:
        by_type[type_pk].append(pk)
    where = Q()
    for type_pk, pks in by_type.items():
        where |= Q(content_type_id=type_pk, object_id__in=pks)
    logs = TransitionLog.objects.filter(
        where,
        outcome=TransitionLog.Outcome.DONE,
        transition__in=PROJECT_STEPS + SIGNUP_STEPS + ENGAGEMENT_STEPS,
    ).values_list("content_type_id", "object_id", "transition", "at")
    for type_pk, pk, name, at in logs.order_by("at", "pk"):
        bundle = found[owner[(type_pk, pk)]]
        bundle.steps[(kinds[type_pk], pk, name)] = at
