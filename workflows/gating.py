"""Which transitions the credit gate guards, declared beside each transition.

Every ``@transition`` of every model says, in its ``custom=``, either ``gated(stage)`` — the runner asks
the gate with the credit subject it names on every path that fires it (a clerk's click, a sweep, an
alternate stepping up) — or ``exempt(reason)``, with the reason written down. The inventory test
walks every transition and fails on one that says neither; ``docs/credit-gate.md`` is generated from
these declarations and the rule registry (``manage.py credit_gate_doc``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django_fsm import FSMFieldMixin

STAGES = ("entry", "selection", "contract", "service", "payment", "exit", "due_process")


@dataclass(frozen=True)
class Gated:
    """The gate is asked at this transition, about ``subject``'s credit ("agency", "buyer" or "winner")."""

    stage: str
    subject: str = "agency"


@dataclass(frozen=True)
class Exempt:
    """The gate is not asked here, for the reason given."""

    reason: str


def gated(stage: str, *, subject: str = "agency") -> dict[str, Any]:
    """``custom=`` of a transition the credit gate guards."""
    if stage not in STAGES:
        raise ValueError(f"unknown gate stage {stage!r}")
    return {"gate": Gated(stage, subject)}


def exempt(reason: str) -> dict[str, Any]:
    """``custom=`` of a transition the gate does not guard, with why."""
    if not reason.strip():
        raise ValueError("an exempt transition says why")
    return {"gate": Exempt(reason)}


def gate_label(model: type[models.Model], name: str) -> str:
    """The transition as the gate and the rules name it: ``<model>.<transition>``."""
    return f"{model._meta.model_name}.{name}"


def declaration(model: type[models.Model], name: str) -> Gated | Exempt | None:
    """What the transition ``name`` of ``model`` declares, or None if it declares nothing."""
    meta = getattr(getattr(model, name, None), "_django_fsm", None)
    if meta is None:
        return None
    found = {t.custom.get("gate") for t in meta.transitions.values()}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class TransitionInfo:
    """One transition of one state machine, with its declaration."""

    model: type[models.Model]
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    doc: str
    declared: Gated | Exempt | None

    @property
    def label(self) -> str:
        return gate_label(self.model, self.name)


def transitions_all(app_labels: tuple[str, ...] = ("workflows",)) -> Iterator[TransitionInfo]:
    """Every transition of every model with an FSM field in the given apps, in a stable order."""
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.app_label not in app_labels:
            continue
        if not any(isinstance(f, FSMFieldMixin) for f in model._meta.get_fields()):
            continue
        for name in sorted(vars(model)):
            meta = getattr(getattr(model, name), "_django_fsm", None)
            if meta is None:
                continue
            sources = tuple(sorted(str(s) for s in meta.transitions))
            targets = tuple(sorted({str(t.target) for t in meta.transitions.values()}))
            doc = (getattr(model, name).__doc__ or "").strip().splitlines()[0] if getattr(model, name).__doc__ else ""
            yield TransitionInfo(model, name, sources, targets, doc, declaration(model, name))
