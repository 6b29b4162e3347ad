"""Bulk delivery for ``seed_demo --scale N``: awarded projects taken through contract, service, rating and payment.

The second bulk path of the realistic year (README, "A realistic year per agency"). It takes projects in
state ``awarded`` whose publicity has ended and writes, a batch of projects at a time, what the services
leave behind as each goes on, at the moments its plan gives:

- the winner confirms (``winner_confirm``), when it has not yet;
- publicity ends (the sweep's ``publicity_end``): contracting starts and the engagement is created;
- the winner uploads the contract (``contract_upload``) and the buyer signs it (``contract_sign``): the
  service starts, with its contract notice;
- the winner delivers its result (``result_submit``) and the buyer accepts it (``result_review``): the
  payment falls due;
- the buyer rates the service (``rating_submit``): the rules' events for an excellent or poor rating;
- the payment is found late (the sweep's ``payment_late``: the buyer's record) and is paid
  (``payment_record``, the sandbox): the project closes.

What is domain logic is not written again here. Every gated step asks the real gate with the facts the
runner gives it (``gate_facts``) and keeps its decision as ``decision_record`` does; the rules' consequences
of a rating and of a late payment are written by the very functions the services call
(``decision_events_record``, ``payment_late``), which chain the ledger and escalate; notices carry
``project_snapshot`` and are published by the real publisher after each step, at its moment, as the notice
task would when the step commits. What those functions hand to the commit themselves (a credit notice, a
notification) runs when they end, at their moment (``_committed_at``), not at the present when the batch
commits. What the bulk path saves is the per-row overhead of the rest: rows of a step are written
together (``bulk_create``, ``bulk_update``), one transaction a batch.

Delivery is always in time and the result accepted at once (no late delivery, no rework): the plan has
no place for them. Measured on PostgreSQL (``bench/bench_delivery.py``): about a third of a second a
project, half of it publishing the contract notices (Wagtail pages) and a third the gate's evaluations.

A step the gate refuses (a winner suspended meanwhile, say) is not the bulk path's to carry out: that
project's step goes through its service, which records the refusal and its consequences (the win
revoked, the alternate stepping up), and the project leaves the bulk path there. So does a project that
a consequence moved (a measure on its agency written for another project of the batch).

``tests/workflows/test_demo_bulk_delivery.py`` runs the services and this path on the same plans and
compares every row either adds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cms.bulk import notice_requests_publish_bulk
from cms.models import NoticeRequest
from credit_rules.models import Source
from credit_rules.policy import policy_at

from ..models import Engagement, Payment, PaymentCommand, Project, Rating, SignUp
from ..selectors.facts import gate_facts
from ..services.complaints.challenges import challenges_pending
from ..services.credit.events import decision_events_record
from ..services.delivery import engagements as engagement_services
from ..services.delivery import payments as payment_services
from ..services.periods import after_days
from ..services.procurement import award as award_services
from ..services.procurement.notices import project_snapshot
from .delivery_batch import DELIVERY_BATCH, _at, _Batch, _changed, _committed_at, _Writes
from .delivery_plan import (
    CONTRACT_FILE,
    RESULT_FILE,
    PlannedDelivery,
)
from .year_steps import PDF


# How far a planned project goes, in order.
def _confirm(batch: _Batch) -> None:
    """The winners that had not confirmed confirm (``winner_confirm``)."""
    plans = [p for p in batch.plans if p.confirmed_at is not None]
    winners = {
        s.project_id: s
        for s in SignUp.objects.filter(
            project_id__in=[p.project.pk for p in plans], state=SignUp.State.SELECTED
        ).select_related("agency", "project__buyer", "project__category")
    }
    writes, done = _Writes(), []
    for plan in plans:
        signup, at = winners[plan.project.pk], plan.confirmed_at
        assert at is not None
        decision, record = writes.decide(
            batch.subject(signup.agency),
            "signup.confirm",
            at,
            gate_facts(signup.agency, signup, at),
            signup,
            plan.clerk,
        )
        if not decision.allowed:
            batch.leave(plan, partial(award_services.winner_confirm, signup=signup, actor=plan.clerk), at)
            continue
        writes.run(signup, "confirm", plan.clerk, at, record)
        done.append(signup)
    writes.flush()
    _changed(done, ["state"])


def _contracting(batch: _Batch) -> None:
    """Publicity ends with the confirmed winner: contracting starts, the engagement is created (``publicity_end``)."""
    projects = batch.projects(Project.State.AWARDED)
    winners = {
        s.project_id: s
        for s in SignUp.objects.filter(project_id__in=list(projects), state=SignUp.State.CONFIRMED).select_related(
            "agency"
        )
    }
    writes, moved, engagements = _Writes(), [], []
    for plan in list(batch.plans):
        project, at = projects[plan.project.pk], plan.publicity_end_at
        winner = winners.get(project.pk)
        if winner is None or (project.publicity_ends_at and at < project.publicity_ends_at):
            raise ValueError(f"{project.code}: publicity has not ended with a confirmed winner at {at}")
        context = {**gate_facts(winner.agency, winner, at), "challenges_pending": challenges_pending(project)}
        decision, record = writes.decide(
            batch.subject(winner.agency), "project.confirm_winner", at, context, project, None
        )
        if not decision.allowed:
            batch.leave(plan, partial(_publicity_end, project, at), at)
            continue
        writes.run(project, "confirm_winner", None, at, record)
        moved.append(project)
        engagements.append(
            (
                Engagement(
                    project=project,
                    agency=winner.agency,
                    signup=winner,
                    amount=winner.quote if project.quote_kind == Project.QuoteKind.AMOUNT else None,
                    contract_due=after_days(at, project.contract_days),
                ),
                at,
            )
        )
    writes.flush()
    _changed(moved, ["state"])
    made = Engagement.objects.bulk_create([e for e, _at in engagements], batch_size=DELIVERY_BATCH)
    # created_at is auto_now_add, stamped with the present by bulk_create: the sweep created it at its moment.
    for engagement, (_e, at) in zip(made, engagements, strict=True):
        engagement.created_at = at
    _changed(made, ["created_at"])


def _publicity_end(project: Project, at: datetime.datetime) -> None:
    with transaction.atomic():
        award_services.publicity_end(project, at)


def _upload(batch: _Batch) -> None:
    """The winner uploads the signed contract (``contract_upload``)."""
    engagements = batch.engagements(Engagement.State.AWAITING_CONTRACT)
    uploaded = []
    for plan in batch.plans:
        engagement = engagements[plan.project.pk]
        with _at(plan.uploaded_at):
            # As the model's save would on the service's path: the file goes to storage under the field's name.
            engagement.contract_file.save(CONTRACT_FILE, ContentFile(PDF), save=False)
        engagement.contract_uploaded_at = plan.uploaded_at
        uploaded.append(engagement)
    _changed(uploaded, ["contract_file", "contract_uploaded_at"])


def _sign(batch: _Batch) -> None:
    """The buyer signs the contract (``contract_sign``): the service starts; the contract notice is asked for."""
    engagements = batch.engagements(Engagement.State.AWAITING_CONTRACT)
    writes, signed, projects, requests = _Writes(), [], [], []
    for plan in list(batch.plans):
        engagement, at = engagements[plan.project.pk], plan.signed_at
        amount = engagement.amount
        if amount is None or amount <= 0 or amount > engagement.project.budget or not engagement.contract_file:
            raise ValueError(f"{plan.project.code}: the contract cannot be signed at {amount}")
        agency = engagement.agency
        decision, record = writes.decide(
            batch.subject(agency), "engagement.sign", at, gate_facts(agency, engagement, at), engagement, plan.officer
        )
        if not decision.allowed:
            batch.leave(
                plan,
                partial(engagement_services.contract_sign, engagement=engagement, actor=plan.officer, amount=amount),
                at,
            )
            continue
        project = engagement.project
        service_end = after_days(at, project.service_days)
        writes.run(engagement, "sign", plan.officer, at, record, at=at, amount=amount)
        writes.run(engagement, "start", None, at, service_end=service_end)
        writes.run(project, "start_service", None, at)
        signed.append(engagement)
        projects.append(project)
        requests.append(
            (
                NoticeRequest(
                    kind="contract",
                    source_key=f"project:{project.code}:contract:{engagement.pk}",
                    payload={
                        "title": f"{project.name}合同公告",
                        **project_snapshot(project),
                        "parties": {"buyer": project.buyer.name, "agency": agency.name, "agency_uscc": agency.uscc},
                        "amount": str(amount),
                        "service_period": {
                            "start": timezone.localtime(at).date().isoformat(),
                            "end": timezone.localtime(service_end).date().isoformat(),
                        },
                    },
                    moderated=False,
                ),
                at,
            )
        )
    writes.flush()
    _changed(signed, ["state", "contracted_at", "amount", "service_end"])
    _changed(projects, ["state"])
    made = NoticeRequest.objects.bulk_create([r for r, _at in requests], batch_size=DELIVERY_BATCH)
    # created_at is auto_now_add as well: the request was made when the contract was signed.
    for request, (_r, at) in zip(made, requests, strict=True):
        request.created_at = at
    _changed(made, ["created_at"])


def _submit(batch: _Batch) -> None:
    """The winner delivers its result in time (``result_submit``); the buyer's period to accept it starts."""
    engagements = batch.engagements(Engagement.State.IN_SERVICE, "accepted")
    writes, submitted, projects = _Writes(), [], []
    for plan in batch.reaching("accepted"):
        engagement, at = engagements[plan.project.pk], plan.submitted_at
        assert at is not None
        if engagement.service_end and at > engagement.service_end:
            raise ValueError(f"{plan.project.code}: the bulk path delivers in time (by {engagement.service_end})")
        agency = engagement.agency
        decision, record = writes.decide(
            batch.subject(agency),
            "engagement.submit_result",
            at,
            gate_facts(agency, engagement, at),
            engagement,
            plan.clerk,
        )
        if not decision.allowed:
            batch.leave(
                plan,
                partial(
                    engagement_services.result_submit,
                    engagement=engagement,
                    actor=plan.clerk,
                    file=ContentFile(PDF, RESULT_FILE),
                ),
                at,
            )
            continue
        acceptance_due = after_days(at, policy_at(at).buyer_acceptance_days)
        writes.run(engagement, "submit_result", plan.clerk, at, record, at=at, acceptance_due=acceptance_due)
        with _at(at):
            engagement.result_file.save(RESULT_FILE, ContentFile(PDF), save=False)
        writes.run(engagement.project, "result_in", None, at)
        submitted.append(engagement)
        projects.append(engagement.project)
    writes.flush()
    _changed(submitted, ["state", "result_submitted_at", "acceptance_due", "acceptance_late_recorded", "result_file"])
    _changed(projects, ["state"])


def _accept(batch: _Batch) -> None:
    """The buyer accepts the result (``result_review``): the rating window opens, the payment falls due."""
    engagements = batch.engagements(Engagement.State.RESULT_SUBMITTED, "accepted")
    writes, accepted, projects, payments = _Writes(), [], [], []
    for plan in batch.reaching("accepted"):
        engagement, at = engagements[plan.project.pk], plan.accepted_at
        assert at is not None
        project = engagement.project
        writes.run(engagement, "accept", plan.officer, at, at=at, rating_due=after_days(at, project.rating_days))
        writes.run(project, "accept", None, at)
        # Accepted after its period: the payment period runs from the end of that period (as the service).
        start = min(at, engagement.acceptance_due) if engagement.acceptance_due else at
        payments.append(
            Payment(
                engagement=engagement,
                amount=engagement.amount or Decimal(0),
                due_at=after_days(start, project.payment_days),
            )
        )
        accepted.append(engagement)
        projects.append(project)
    writes.flush()
    _changed(accepted, ["state", "accepted_at", "rating_due"])
    _changed(projects, ["state"])
    Payment.objects.bulk_create(payments, batch_size=DELIVERY_BATCH)


def _rate(batch: _Batch) -> None:
    """The buyer rates the service (``rating_submit``): the rules' events are written through ``decision_events_record``."""
    engagements = batch.engagements(Engagement.State.ACCEPTED, "rated")
    plans = batch.reaching("rated")
    ratings = []
    for p in plans:
        assert p.rated_at is not None
        ratings.append(
            Rating(engagement=engagements[p.project.pk], rated_by=p.officer, comment="", at=p.rated_at, **p.marks)
        )
    Rating.objects.bulk_create(ratings, batch_size=DELIVERY_BATCH)
    writes, rated, consequences = _Writes(), [], []
    for plan, rating in zip(plans, ratings, strict=True):
        engagement, at = engagements[plan.project.pk], plan.rated_at
        assert at is not None
        agency, code = engagement.agency, engagement.project.code
        context = {**gate_facts(agency, engagement, at), "average": str(rating.average), "project": code}
        decision, record = writes.decide(
            batch.subject(agency), "engagement.rate", at, context, engagement, plan.officer
        )
        if not decision.allowed:
            raise ValueError(f"{code}: the rating was refused ({decision.refusals}); rate it through the service")
        writes.run(engagement, "rate", plan.officer, at, record)
        rated.append(engagement)
        if decision.events:
            consequences.append((decision, batch.subject(agency), code))
    writes.flush()
    _changed(rated, ["state"])
    for decision, subject, code in consequences:
        with _committed_at(decision.at):
            decision_events_record(decision, subject=subject, source=Source.RATING, evidence={"project": code})
    # The project follows the rating (after the events, as in the service); one a consequence moved leaves.
    found = batch.projects(Project.State.ACCEPTED, "rated")
    moved = []
    for plan in batch.reaching("rated"):
        assert plan.rated_at is not None
        writes.run(found[plan.project.pk], "rate", None, plan.rated_at)
        moved.append(found[plan.project.pk])
    writes.flush()
    _changed(moved, ["state"])


def _late(batch: _Batch) -> None:
    """The sweep finds a payment past its due date: the buyer's record, by ``payment_late`` itself."""
    late = [p for p in batch.reaching("rated") if p.late_at is not None]
    payments = {
        pay.engagement.project_id: pay
        for pay in Payment.objects.filter(engagement__project_id__in=[p.project.pk for p in late]).select_related(
            "engagement__project__buyer"
        )
    }
    for plan in late:
        payment, at = payments[plan.project.pk], plan.late_at
        assert at is not None
        if at < payment.due_at:
            raise ValueError(f"{plan.project.code}: a payment is late only after {payment.due_at}")
        with _committed_at(at):
            payment_services.payment_late(payment, at)


def _pay(batch: _Batch) -> None:
    """The buyer pays through the sandbox (``payment_record``): it settles at once and the project closes."""
    plans = batch.reaching("closed")
    payments = {
        pay.engagement.project_id: pay
        for pay in Payment.objects.filter(
            engagement__project_id__in=[p.project.pk for p in plans],
            state=Payment.State.DUE,
            engagement__state=Engagement.State.RATED,
        )
    }
    projects = {
        p.pk: p for p in Project.objects.filter(pk__in=[p.project.pk for p in plans], state=Project.State.RATED)
    }
    plans = [p for p in plans if p.project.pk in payments and p.project.pk in projects]
    writes, paid, closed, commands = _Writes(), [], [], []
    for plan in plans:
        payment, at = payments[plan.project.pk], plan.paid_at
        assert at is not None
        writes.run(
            payment, "record_transfer", plan.officer, at, at=at, reference=f"SANDBOX-{payment.pk}", provider="sandbox"
        )
        writes.run(payment, "settle", None, at, at=at)
        writes.run(projects[plan.project.pk], "close", None, at, at=at)
        commands.append(
            PaymentCommand(key=plan.payment_key, payment=payment, command="record", result={"state": "recorded"}, at=at)
        )
        paid.append(payment)
        closed.append(projects[plan.project.pk])
    writes.flush()
    _changed(paid, ["state", "recorded_at", "reference", "provider", "paid_at"])
    _changed(closed, ["state", "closed_at"])
    PaymentCommand.objects.bulk_create(commands, batch_size=DELIVERY_BATCH)


def _batch_write(plans: list[PlannedDelivery]) -> None:
    """Take one batch through every step its plans reach, publishing the notices each step asked for."""
    last = NoticeRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    batch = _Batch(list(plans))
    for step in (_confirm, _contracting, _upload, _sign, _submit, _accept, _rate, _late, _pay):
        step(batch)
        # As the notice task does when the step commits, at its moment: one request, one page (a request
        # the services' own functions made was published when they "committed", and is left as it is).
        asked = list(NoticeRequest.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "created_at"))
        notice_requests_publish_bulk(asked)  # the publisher's rows, one request after another, in bulk
        if asked:
            last = asked[-1][0]


def delivery_bulk(
    plans: Iterable[PlannedDelivery], *, progress: Callable[[str], None] = lambda _m: None
) -> list[Project]:
    """Take awarded projects whose publicity has ended through delivery, a batch to a transaction."""
    plans = sorted(plans, key=lambda p: p.publicity_end_at)
    for plan in plans:
        plan.check()
    for start in range(0, len(plans), DELIVERY_BATCH):
        with transaction.atomic():
            _batch_write(plans[start : start + DELIVERY_BATCH])
        progress(f"  delivery {min(start + DELIVERY_BATCH, len(plans))}/{len(plans)}")
    return list(Project.objects.filter(pk__in=[p.project.pk for p in plans]).order_by("pk"))


# --- the scaled demo's year -----------------------------------------------------------------------------


# Per agency: 104,000 projects a year per 100,000 agencies, 82 % of them contracted (in service 8 %,
# accepted 5 %, closed 69 %: README, "A realistic year per agency").
