"""The scored comparison (比选): each sign-up's price, credit and proposal parts and their total.

One definition, used by the selection that ranks the pool and by the pages and notices that publish
the parts, so what is published is what was ranked. Pure: it reads the loaded rows, never the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

PLACES = Decimal("0.001")


@dataclass(frozen=True)
class ScoreParts:
    """A sign-up's points for price, credit and proposal (each up to its weight) and their total."""

    price: Decimal
    credit: Decimal
    proposal: Decimal
    total: Decimal

    def as_json(self) -> dict[str, str]:
        return {"price": str(self.price), "credit": str(self.credit), "proposal": str(self.proposal)}


def score_parts(project: Any, signups: Sequence[Any], marks: Mapping[int, Sequence[Decimal]]) -> dict[int, ScoreParts]:
    """The parts of every sign-up in the frozen pool, by sign-up id (their opened quotes and credit scores set).

    Price: the best quote over this one (for a discount rate, this rate over the best rate) times the price
    weight; credit: the credit score over the best in the pool times the credit weight; proposal: the mean of
    the scorers' marks (0–100) as a share, times the proposal weight.
    """
    if not signups:
        return {}
    rate = project.quote_kind == "rate"
    quotes = [Decimal(s.quote) for s in signups]
    best_price = min(quotes)
    top_rate = max(quotes)
    best_credit = max((s.credit_score or 0) for s in signups) or 1
    out: dict[int, ScoreParts] = {}
    for s, quote in zip(signups, quotes, strict=True):
        if rate:
            share = quote / top_rate if top_rate else Decimal(1)
        else:
            share = best_price / quote if quote else Decimal(1)
        given = marks.get(s.pk) or []
        proposal_share = Decimal(sum(given)) / len(given) / 100 if given else Decimal(0)
        price = share * project.weight_price
        credit = Decimal(s.credit_score or 0) / best_credit * project.weight_credit
        proposal = proposal_share * project.weight_proposal
        out[s.pk] = ScoreParts(
            price.quantize(PLACES),
            credit.quantize(PLACES),
            proposal.quantize(PLACES),
            (price + credit + proposal).quantize(PLACES),
        )
    return out
