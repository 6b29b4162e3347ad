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


def _target_text(target: Any) -> str:
    """A transition's target as text: a state, the states it may choose among, or "(unchanged)"."""
    if target is None:
        return "(unchanged)"
    choices = getattr(target, "allowed_states", None)
    return " or ".join(str(s) for s in choices) if choices else str(target)


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
            targets = tuple(sorted({_target_text(t.target) for t in meta.transitions.values()}))
            doc = (getattr(model, name).__doc__ or "").strip().splitlines()[0] if getattr(model, name).__doc__ else ""
            yield TransitionInfo(model, name, sources, targets, doc, declaration(model, name))


# Steps the rules look at that are no transition of a model: escalation after a new record, the
# credit sweep's review, an external list arriving, and consequences the sweeps find by the clock.
STEPS = {
    "signup.submit": "an agency signs up for a project: the sign-up is created only if the gate allows",
    "ledger.recorded": "a new record on the ledger (escalation by thresholds)",
    "standing.review": "the credit sweep's review of standing changed by time",
    "listing.recorded": "an external dishonesty list names or clears the agency",
    "engagement.late": "the service end date passed without a result",
    "engagement.contract_missed": "the contract deadline passed unsigned",
    "payment.late": "a payment passed its due date",
    "engagement.buyer_contract_missed": "the contract deadline passed with the agency's contract uploaded: the buyer's failure",
    "engagement.acceptance_late": "the buyer neither accepted nor returned the result within the policy's period",
    "engagement.rating_missed": "the rating window closed without the buyer's rating",
    "buyer.recorded": "a new failure on a buyer unit's record (政务诚信): the warning threshold",
    "membership.term_ended": "the deadline sweep finds a membership past its term without renewal: it lapses",
    "challenge.upheld": "a supervisor upheld a complaint (投诉) about a selection result: the win is revoked",
    "inspection.finding": "a random inspection (双随机抽查) found a problem: 责令整改 or 不合格 is recorded",
}


def _outcome_kinds(func) -> list[str]:
    """What a rule function may say, read from its source: refuse, fast track, measures, lifts, records."""
    import ast
    import inspect
    import textwrap

    found: list[str] = []
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name, args = node.func.id, node.args
        if name in ("refuse", "fast_track"):
            found.append(name.replace("_", " "))
        elif name == "lift":
            found.append("lift a measure")
        elif name == "order" and args:
            found.append(
                ast.unparse(args[0]).removeprefix("MeasureKind.").lower()
                if ast.unparse(args[0]).startswith("MeasureKind.")
                else "the case's measure"
            )
        elif name in ("record", "recorded"):
            literal = next((a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)), "")
            found.append(f"record {literal}")
    return list(dict.fromkeys(found))


def gate_table_markdown() -> str:
    """``docs/credit-gate.md``: every transition with its stage (or why it is exempt) and the rules that gate it.

    Rule titles are written in the platform's own language, simplified Chinese.
    """
    from django.utils import translation

    with translation.override("zh-hans"):
        return _gate_table_markdown()


def _gate_table_markdown() -> str:
    from credit_rules.rules import REGISTRY

    def rules_for(label: str) -> list:
        return [REGISTRY[code] for code in sorted(REGISTRY) if label in REGISTRY[code].transitions]

    def rules_cell(label: str) -> tuple[str, str]:
        rules = rules_for(label)
        names = "<br>".join(f"{r.code} {r.title}" for r in rules) or "—"
        outcomes = "<br>".join(f"{r.code}: {', '.join(_outcome_kinds(r.func))}" for r in rules) or "—"
        return names, outcomes

    lines = [
        "# The credit gate at every transition",
        "",
        "Generated by `python manage.py credit_gate_doc` from the declarations beside each transition",
        "(`workflows/gating.py`: `gated(stage)` or `exempt(reason)`) and the rule registry",
        "(`credit_rules/rules/`). A test fails when this file is not current.",
        "",
        "## Transitions",
        "",
        "| transition | from → to | stage | rules | what the rules may do |",
        "|---|---|---|---|---|",
    ]
    for info in transitions_all():
        moves = f"{', '.join(info.sources)} → {', '.join(info.targets)}"
        if isinstance(info.declared, Gated):
            stage = f"**{info.declared.stage}** ({info.declared.subject})"
            names, outcomes = rules_cell(info.label)
        else:
            reason = info.declared.reason if isinstance(info.declared, Exempt) else "UNDECLARED"
            stage, names, outcomes = f"exempt: {reason}", "—", "—"
        lines.append(f"| `{info.label}` | {moves} | {stage} | {names} | {outcomes} |")
    lines += [
        "",
        "## Steps that are not transitions",
        "",
        "| step | when | rules | what the rules may do |",
        "|---|---|---|---|",
    ]
    for label, when in STEPS.items():
        names, outcomes = rules_cell(label)
        lines.append(f"| `{label}` | {when} | {names} | {outcomes} |")
    return "\n".join(lines) + "\n"
