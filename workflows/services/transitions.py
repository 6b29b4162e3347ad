"""The one transition runner. Every state change in the marketplace goes through ``transition_run``.

In one transaction it locks the row, checks the FSM source state and the actor's permission, asks
the credit gate, records the decision, applies the transition, logs it, and runs the caller's
explicit side effects (ledger entries, notice requests, follow-on transitions). A refusal by
state, permission or credit is a normal, recorded outcome: the row is unchanged and the result
says why.

Whether the gate is asked is the transition's own declaration (``workflows.gating``): a gated
transition is checked on every path that fires it — the subject and the facts are found here when
the caller does not give them — and a transition that declares nothing is refused as a programming
error.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from credit_rules import gate
from credit_rules.gate import Decision
from credit_rules.models import CreditSubject, DecisionRecord
from credit_rules.services import decision_record, subject_for_agency, subject_for_buyer

from ..gating import Gated, declaration, gate_label
from ..models import SignUp, TransitionLog
from ..selectors.facts import gate_facts

M = TypeVar("M", bound=models.Model)

# The caller's side effect runs on the locked row of the same model as ``obj``: a callback written
# for a Project (``def _awarded(project: Project, decision) -> None``) fits a Project transition.
SideEffect = Callable[[M, Decision], None]


@dataclass
class TransitionResult(Generic[M]):
    """What happened: done, or refused (by state, permission or credit) with the reasons."""

    outcome: str
    obj: M
    decision: Decision | None = None
    record: DecisionRecord | None = None
    log: TransitionLog | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == TransitionLog.Outcome.DONE

    @property
    def refusals(self):
        return self.decision.refusals if self.decision else ()

    def __bool__(self) -> bool:
        return self.ok


def row_reload(obj: M) -> M:
    """Load ``obj``'s fields again from the database, in place.

    Use it instead of ``refresh_from_db()`` on models with a protected FSM state: django-fsm's
    ``refresh_from_db`` switches the state field's ``protected`` flag off and on for the whole
    process while it reloads, so a transition or a reload in another thread (a threaded server, the
    live test server) can meet the flag in the wrong position. Writing the instance's ``__dict__``
    goes around the field's guard for this one object only. Cached related objects are dropped, to
    load again on use.
    """
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    obj.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    obj._state.fields_cache.clear()
    obj.__dict__.pop("_prefetched_objects_cache", None)
    return obj


def target_label(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _gate_subject(obj: Any, gate: Gated) -> tuple[CreditSubject | None, Any]:
    """Whose credit a gated transition asks about, and that organisation (None if there is none yet)."""
    if gate.subject == "buyer":
        project = obj if hasattr(obj, "buyer_id") else obj.project
        return subject_for_buyer(project.buyer), None
    if gate.subject == "winner":
        winner = (
            SignUp.objects.filter(project_id=obj.pk, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
            .select_related("agency")
            .first()
        )
        return (subject_for_agency(winner.agency), winner) if winner else (None, None)
    return subject_for_agency(obj.agency), obj


def _log(obj, name, from_state, to_state, outcome, actor, record=None, note="") -> TransitionLog:
    return TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        transition=name,
        from_state=from_state,
        to_state=to_state,
        outcome=outcome,
        actor=actor if getattr(actor, "pk", None) else None,
        decision=record,
        note=note[:2000],
    )


@transaction.atomic
def transition_run(
    *,
    obj: M,
    name: str,
    actor=None,
    subject: CreditSubject | None = None,
    context: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    at: datetime.datetime | None = None,
    on_done: SideEffect[M] | None = None,
    note: str = "",
) -> TransitionResult[M]:
    """Fire transition ``name`` on ``obj`` for ``actor`` (None = the system), gated on ``subject``'s credit."""
    at = at or timezone.now()
    model = type(obj)
    # ``_default_manager`` is ``objects`` on every model that goes through here (none declares
    # another manager); unlike ``objects`` it is known to exist on any model class. The row is an
    # FSM model whose ``state`` field and transition methods are looked up by name, hence ``Any``.
    label = gate_label(model, name)
    declared = declaration(model, name)
    if declared is None:
        raise ImproperlyConfigured(f"transition {label} declares neither gated(...) nor exempt(...)")
    locked: Any = model._default_manager.select_for_update().get(pk=obj.pk)
    method = getattr(locked, name)
    from_state = locked.state

    if not can_proceed(method):
        log = _log(locked, name, from_state, from_state, TransitionLog.Outcome.REFUSED_STATE, actor, note=note)
        message = _("当前状态为「%(state)s」，不能执行该操作（可能已被他人处理，请刷新页面）。") % {
            "state": locked.get_state_display()
        }
        return TransitionResult(TransitionLog.Outcome.REFUSED_STATE, locked, log=log, messages=[message])
    if not has_transition_perm(method, actor):
        log = _log(locked, name, from_state, from_state, TransitionLog.Outcome.REFUSED_PERMISSION, actor, note=note)
        return TransitionResult(
            TransitionLog.Outcome.REFUSED_PERMISSION, locked, log=log, messages=[_("您无权执行该操作。")]
        )

    if isinstance(declared, Gated):
        about = locked
        if subject is None:
            subject, about = _gate_subject(locked, declared)
        if about is not None:
            context = {**gate_facts(about.agency, about, at), **(context or {})}
    elif subject is not None:
        raise ImproperlyConfigured(f"transition {label} is exempt from the gate but was given a credit subject")
    if subject is not None:
        decision = gate.evaluate(subject, label, at, context)
    else:
        decision = Decision.allow(label, at)
    record = decision_record(decision=decision, target=target_label(locked), actor=actor) if subject else None
    if not decision.allowed:
        log = _log(locked, name, from_state, from_state, TransitionLog.Outcome.REFUSED_CREDIT, actor, record, note)
        return TransitionResult(
            TransitionLog.Outcome.REFUSED_CREDIT,
            locked,
            decision,
            record,
            log,
            messages=[f"{r.rule_code} {r.message}" for r in decision.refusals],
        )

    method(**dict(params or {}))
    locked.save()
    log = _log(locked, name, from_state, locked.state, TransitionLog.Outcome.DONE, actor, record, note)
    if on_done is not None:
        on_done(locked, decision)
    # Hand the caller's copy the row as it now is; its cached relations stay, so nothing loads again.
    obj.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return TransitionResult(TransitionLog.Outcome.DONE, locked, decision, record, log)
