"""All credit rules, registered by importing their stage modules."""

from . import (  # noqa: F401  (registration by import)
    buyer,
    entry,
    escalation,
    exit,
    inspection,
    reward,
    selection,
    service,
    term,
)
from .base import REGISTRY, Facts, Outcome, Rule

__all__ = ["REGISTRY", "Facts", "Outcome", "Rule"]
