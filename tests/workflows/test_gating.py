"""The transition inventory cannot rot: every transition declares its gate or why it has none, every
gated transition has rules, every rule gates something real, and docs/credit-gate.md is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_fsm import transition

from credit_rules.rules import REGISTRY
from workflows.gating import STEPS, Exempt, Gated, exempt, gate_table_markdown, gated, transitions_all
from workflows.models import SignUp

ROOT = Path(__file__).resolve().parents[2]


def test_every_transition_is_gated_or_exempt_with_a_reason():
    undeclared = [info.label for info in transitions_all() if not isinstance(info.declared, Gated | Exempt)]
    assert undeclared == []
    assert all(info.declared.reason.strip() for info in transitions_all() if isinstance(info.declared, Exempt))


def test_the_inventory_sees_every_state_machine():
    models = {info.model.__name__ for info in transitions_all()}
    assert models == {
        "Membership",
        "IdentityVerification",
        "InspectionPlan",
        "InspectionTarget",
        "CreditCase",
        "Objection",
        "RepairRequest",
        "WarningWithdrawal",
        "Project",
        "SignUp",
        "Engagement",
        "Payment",
        "Challenge",
        "ServiceComplaint",
        "RiskFlag",
    }


def test_every_gated_transition_has_rules_and_every_rule_gates_something_real():
    gated_labels = {info.label for info in transitions_all() if isinstance(info.declared, Gated)}
    ruled = {label for rule in REGISTRY.values() for label in rule.transitions}
    assert gated_labels - ruled == set(), "gated transitions no rule looks at"
    assert ruled - gated_labels - set(STEPS) == set(), "rules for transitions that are not gated (or do not exist)"


@pytest.mark.parametrize(
    "label",
    ["signup.select", "signup.confirm", "project.confirm_winner", "engagement.sign", "engagement.submit_result"],
)
def test_the_steps_that_were_bypassed_are_gated(label):
    declared = {info.label: info.declared for info in transitions_all()}
    assert isinstance(declared[label], Gated)


def test_declarations_refuse_an_unknown_stage_or_an_empty_reason():
    with pytest.raises(ValueError):
        gated("lunch")
    with pytest.raises(ValueError):
        exempt("  ")


@pytest.mark.django_db
def test_the_runner_refuses_a_transition_that_declares_nothing(monkeypatch):
    from workflows.services.transitions import transition_run

    # given a transition someone added without declaring it
    def undeclared(self, *, note: str) -> None:
        self.note = note

    monkeypatch.setattr(
        SignUp,
        "undeclared",
        transition(field="state", source="ranked", target="not_selected")(undeclared),
        raising=False,
    )
    # then the runner refuses to fire it, before it touches the database
    with pytest.raises(ImproperlyConfigured, match="declares neither"):
        transition_run(obj=SignUp(pk=1), name="undeclared", params={"note": "x"})


def test_the_gate_document_is_current():
    assert (ROOT / "docs" / "credit-gate.md").read_text(encoding="utf-8") == gate_table_markdown(), (
        "run: python manage.py credit_gate_doc > docs/credit-gate.md"
    )
