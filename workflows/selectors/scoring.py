"""The scorers' marks of a scored comparison, as ``workflows.scoring.score_parts`` takes them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..models import ProposalMark, SignUp


def proposal_marks(signups: Iterable[SignUp]) -> dict[int, list[Decimal]]:
    """Every scorer's mark by sign-up id (one query)."""
    marks: dict[int, list[Decimal]] = {}
    for signup_id, mark in ProposalMark.objects.filter(signup__in=list(signups)).values_list("signup_id", "mark"):
        marks.setdefault(signup_id, []).append(mark)
    return marks
