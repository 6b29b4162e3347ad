"""What the bulk delivery path is asked to do: a plan per awarded project (how far it goes and when each
step happens), and the plans of a year's spread (``delivery_plan``), from the simulated year's timings."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from ..models import Project, Rating, SignUp
from ..services.periods import after_days
from .year_steps import MARKS

STAGES = ("in_service", "accepted", "rated", "closed")
CONTRACT_FILE = "合同.pdf"
RESULT_FILE = "成果.pdf"


def rating_marks(rating: str, rng: random.Random) -> dict[str, int]:
    """Five marks for an excellent, fair or poor rating, as the simulated year's buyers give them."""
    low, high = MARKS[rating]
    return {name: rng.randint(low, high) for name in Rating.MARKS}


@dataclass
class PlannedDelivery:
    """An awarded project whose publicity has ended, how far it goes and when each party acts.

    ``confirmed_at`` is when the winner confirms (before publicity ended; None if it has confirmed
    already). ``late_at`` is when the payment sweep finds the payment past its due date (it is then
    paid at ``paid_at``); None, paid on time. ``stage`` is where the project stops: ``in_service``,
    ``accepted`` (awaiting rating and payment), ``rated`` (awaiting payment) or ``closed``.
    """

    project: Project
    clerk: Any
    officer: Any
    stage: str
    publicity_end_at: datetime.datetime
    uploaded_at: datetime.datetime
    signed_at: datetime.datetime
    confirmed_at: datetime.datetime | None = None
    submitted_at: datetime.datetime | None = None
    accepted_at: datetime.datetime | None = None
    rated_at: datetime.datetime | None = None
    marks: dict[str, int] = field(default_factory=dict)
    late_at: datetime.datetime | None = None
    paid_at: datetime.datetime | None = None

    def reaches(self, stage: str) -> bool:
        return STAGES.index(self.stage) >= STAGES.index(stage)

    @property
    def payment_key(self) -> str:
        """The idempotency key of the buyer's payment command."""
        return f"seed-pay-{self.project.code}"

    def check(self) -> None:
        """The moments follow each other, and a stage has the moments it needs."""
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")
        needed: list[datetime.datetime | None] = [self.publicity_end_at, self.uploaded_at, self.signed_at]
        if self.reaches("accepted"):
            needed += [self.submitted_at, self.accepted_at]
        if self.reaches("rated"):
            needed.append(self.rated_at)
            if set(self.marks) != set(Rating.MARKS):
                raise ValueError("a rating needs its five marks")
        if self.reaches("closed"):
            needed.append(self.paid_at)
        if None in needed:
            raise ValueError(f"stage {self.stage} lacks a moment")
        moments = [
            self.confirmed_at,
            self.publicity_end_at,
            self.uploaded_at,
            self.signed_at,
            self.submitted_at,
            self.accepted_at,
            self.rated_at,
            self.late_at,
            self.paid_at,
        ]
        present = [m for m in moments if m is not None]
        if present != sorted(present):
            raise ValueError("the plan's moments are out of order")


# --- one transition, as the runner writes it ---------------------------------------------------------------


CONTRACTED_SHARE = 0.82


def _days(rng: random.Random, low: float, high: float) -> datetime.timedelta:
    return datetime.timedelta(days=rng.uniform(low, high))


def delivery_plan(
    project: Project, winner: SignUp, clerk, officer, *, now: datetime.datetime, rng: random.Random
) -> PlannedDelivery | None:
    """The project's year after its publicity, as far as it has got by ``now``; None if not yet contracted.

    Each party acts after a while drawn as the simulated year's do (``year.Behaviour``): the winner
    confirms during publicity, uploads the contract within days, the buyer signs; the result comes
    before the service end, is accepted within days, rated within the window; the buyer pays before the
    due date or, 5 % of the time, after it (the sweep finds it late the evening it falls due). The stage
    is the last step whose moment has passed: so a project's stage follows from when its publicity
    ended, and projects spread over the year are in service, accepted or closed in the README's shares
    (days in the state ÷ 365).
    """
    from .year import Behaviour

    behaviour = Behaviour()
    assert project.publicity_ends_at is not None
    confirmed = None
    if winner.state == SignUp.State.SELECTED:
        start = winner.selected_at or project.awarded_at or project.publicity_ends_at
        confirmed = start + (project.publicity_ends_at - start) * rng.uniform(0.1, 0.9)
    ended = project.publicity_ends_at + datetime.timedelta(minutes=rng.randrange(1, 600))
    uploaded = ended + _days(rng, 0.5, 3)
    signed = uploaded + _days(rng, 0.1, 2)
    if signed > now:
        return None
    submitted = signed + datetime.timedelta(days=project.service_days) * rng.uniform(0.7, 0.98)
    accepted = submitted + _days(rng, 0.2, 5)
    rated = accepted + _days(rng, 0.1, project.rating_days * 0.9)
    due = after_days(accepted, project.payment_days)
    late = rng.random() < behaviour.pays_late
    late_at = due + _days(rng, 0.01, 0.5) if late else None
    paid = due + _days(rng, 3, 30) if late else rated + (due - rated) * rng.uniform(0.2, 0.95)
    rating = rng.choices([k for k, _w in behaviour.rating], [w for _k, w in behaviour.rating])[0]
    plan = PlannedDelivery(
        project=project,
        clerk=clerk,
        officer=officer,
        stage="in_service",
        confirmed_at=confirmed,
        publicity_end_at=ended,
        uploaded_at=uploaded,
        signed_at=signed,
    )
    if accepted <= now:
        plan.stage, plan.submitted_at, plan.accepted_at = "accepted", submitted, accepted
    if plan.stage == "accepted" and rated <= now:
        plan.stage, plan.rated_at, plan.marks = "rated", rated, rating_marks(rating, rng)
    if plan.stage == "rated" and late_at and late_at <= now:
        plan.late_at = late_at  # found late by the sweep, paid later (or not yet)
    if plan.stage == "rated" and paid <= now:
        plan.stage, plan.paid_at = "closed", paid
    return plan
