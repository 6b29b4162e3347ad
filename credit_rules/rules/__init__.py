"""All credit rules, registered by importing their stage modules."""

from . import buyer, entry, escalation, exit, reward, selection, service, term  # noqa: F401  (registration by import)
from .base import REGISTRY, Facts, Outcome, Rule

__all__ = ["REGISTRY", "Facts", "Outcome", "Rule"]
