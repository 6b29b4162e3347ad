"""Bulk selection for ``seed_demo --scale N``: open projects closed, ranked, awarded, failed or cancelled, in batches.

The second bulk path of the realistic year (README, "A realistic year per agency"), after ``bulk_projects``:
it takes projects open with their sealed sign-ups, their sign-up deadline passed, and writes what the
services leave behind when the deadline sweep closes sign-up (``selection.signup_close``) and selection
runs, per method:

- the close: the project ``selecting``; per sign-up the gate's two decisions on ``signup.admit`` (the
  pool's re-check, then the runner's own), the quote opened with ``quote_open`` and the sign-up admitted
  with its credit score; each transition's log row as ``transition_run`` writes it;
- too few admitted (流标): the project ``failed`` with the service's reason and its termination notice;
- a scored comparison waits for the buyer's marks (``proposal_mark``; the rows are written at their
  moments) and ranks when the buyer finishes (``scored_finish``); without marks it stays ``selecting``;
- the ranking by the service's own rankers (``selection.RANKERS``: the verifiable draw and its proof,
  the lowest price with its tie-breaks, the weighted scores), each sign-up ranked, the first selected
  (its ``signup.select`` decision kept), the project ``awarded`` with its publicity period and proof, the
  result notice's request with the service's payload (``notices.result_payload``);
- optionally the winner's confirmation (``award.winner_confirm``: its ``signup.confirm`` decision, by the
  clerk who signed up), still within publicity;
- (the buyer cancelling a project while it is open is ``bulk_cancel``, which shares its notice requests).

Every gate decision is the real gate's (``gate.evaluate`` with the facts ``signup_context`` gives the
services). A project any decision refuses is left to the services themselves, at its moments, after the
batch: a refusal takes paths (rejection, passing over, revocation) this path does not copy. Then, as the
tasks would once each batch commits, at each moment: the notices are published by the bulk publisher
(``cms.bulk.notice_requests_publish_bulk``, the real publisher's rows) and the winner is told by the real
notification task.
``tests/workflows/test_demo_bulk_selection.py`` runs the services and this path on the same plans and
compares every row either adds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Prefetch

from cms.bulk import notice_requests_publish_bulk
from cms.models import NoticeRequest
from credit_rules import gate
from credit_rules.gate import Decision
from credit_rules.models import CreditSubject, DecisionRecord
from credit_rules.services import decision_row, subject_for_agency
from marketplace.models import Agency

from ..models import Project, ProjectQualification, ProposalMark, SignUp, TransitionLog
from ..selectors.facts import signup_context
from ..services.notifications.dispatch import notification_event_send
from ..services.periods import after_working_days
from ..services.procurement import award as award_services
from ..services.procurement import selection as selection_services
from ..services.procurement.notices import result_payload, termination_payload
from ..services.procurement.sealing import quote_open
from ..services.transitions import target_label
from .bulk_projects import log_row

# Projects per transaction: each batch commits its projects' closes, rankings, awards and notice requests together.
SELECTION_BATCH = 500


@dataclass(frozen=True)
class PlannedMark:
    """The buyer's scorer marks ``agency``'s proposal ``mark`` (0–100) at ``at``."""

    agency: Agency
    mark: Decimal
    at: datetime.datetime


@dataclass
class PlannedClose:
    """An open project whose sign-up the sweep closes at ``closed_at`` (its deadline passed), and what follows.

    A scored comparison is marked by ``scorer`` (``marks``, every admitted sign-up) and finished at
    ``finished_at``; without them it stays awaiting marks. The winner confirms at ``confirmed_at`` if given.
    """

    project: Project
    closed_at: datetime.datetime
    scorer: Any = None
    marks: list[PlannedMark] = field(default_factory=list)
    finished_at: datetime.datetime | None = None
    confirmed_at: datetime.datetime | None = None


@dataclass
class _Closing:
    """One planned close as the batch works it out: its rows loaded, the gate's answers, what it comes to."""

    plan: PlannedClose
    project: Project
    signups: list[SignUp]
    subjects: list[CreditSubject]
    admits: list[tuple[Decision, Decision]]
    award_at: datetime.datetime | None = None
    selects: dict[int, Decision] = field(default_factory=dict)
    winner: SignUp | None = None
    ranked: list[SignUp] = field(default_factory=list)
    proof: dict | None = None
    confirm: Decision | None = None

    @property
    def fails(self) -> bool:
        return len(self.signups) < self.project.min_signups


# --- loading and deciding ------------------------------------------------------------------------------


def _load(plans: list[PlannedClose]) -> tuple[dict[int, Project], dict[int, list[SignUp]]]:
    """The projects (with what the facts read of them) and their pending sign-ups in the close's order."""
    ids = [plan.project.pk for plan in plans]
    requirements = ProjectQualification.objects.select_related("qualification_type", "min_level")
    projects = {
        p.pk: p
        for p in Project.objects.filter(pk__in=ids)
        .select_related("category", "buyer")
        .prefetch_related(Prefetch("requirements", queryset=requirements))
    }
    signups: dict[int, list[SignUp]] = {pk: [] for pk in ids}
    # The close takes them in the model's order (rank, then sign-up time): none is ranked yet.
    for signup in (
        SignUp.objects.filter(project_id__in=ids, state=SignUp.State.SUBMITTED)
        .select_related("agency")
        .order_by("project_id", "submitted_at", "pk")
    ):
        signups[signup.project_id].append(signup)
    return projects, signups


def _award_moment(plan: PlannedClose, project: Project) -> datetime.datetime | None:
    """When selection runs: at the close, or for a scored comparison with proposal weight when the buyer finishes."""
    if project.method == Project.Method.SCORED and project.weight_proposal:
        return plan.finished_at
    return plan.closed_at


def _decide(plan: PlannedClose, project: Project, signups: list[SignUp], subjects: dict[int, CreditSubject]):
    """Ask the gate everything the services would ask of this close; None if any answer is a refusal."""
    at = plan.closed_at
    if project.state != Project.State.OPEN or project.signup_deadline is None or project.signup_deadline > at:
        raise ValueError(f"{project.code} is not open with its sign-up deadline passed at {at}")
    for signup in signups:
        if signup.agency_id not in subjects:
            subjects[signup.agency_id] = subject_for_agency(signup.agency)
    contexts = {s.pk: signup_context(project, s.agency, at) for s in signups}
    admits = []
    for s in signups:
        subject = subjects[s.agency_id]
        # The pool's re-check, then the runner's own on the sign-up (its facts add when it was selected).
        first = gate.evaluate(subject, "signup.admit", at, contexts[s.pk])
        second = gate.evaluate(subject, "signup.admit", at, {**contexts[s.pk], "selected_at": None})
        if not (first.allowed and second.allowed):
            return None
        admits.append((first, second))
    closing = _Closing(plan, project, signups, [subjects[s.agency_id] for s in signups], admits)
    # The close, in memory: the pool admitted with its quotes opened and credit scores, or too few (流标).
    project.close_signup()
    for signup, subject in zip(signups, closing.subjects, strict=True):
        signup.admit(quote=quote_open(project, signup.sealed_quote, at), credit_score=subject.score)
    if closing.fails:
        project.fail(at=at, reason=selection_services.too_few_reason(project, len(signups)))
        return closing
    closing.award_at = _award_moment(plan, project)
    if closing.award_at is None:
        return closing
    if closing.award_at == at:
        # Ranked at the close, as ``selection_run`` does: the first is asked at signup.select, and must pass
        # (the services would pass it over) before anything is written.
        closing.ranked, closing.proof = _ranking(project, signups)
        candidates = closing.ranked[:1]
    else:
        # A scored comparison ranks on the marks, written first: whoever it puts first must pass.
        contexts = {s.pk: signup_context(project, s.agency, closing.award_at) for s in signups}
        candidates = signups
    for s in candidates:
        context = {**contexts[s.pk], "selected_at": None}
        decision = gate.evaluate(subjects[s.agency_id], "signup.select", closing.award_at, context)
        if not decision.allowed:
            return None
        closing.selects[s.pk] = decision
    return closing


def _ranking(project: Project, admitted: list[SignUp]) -> tuple[list[SignUp], dict | None]:
    """The pool ranked by the declared method, by the services' own rankers, with the draw's proof if one ran."""
    pool = sorted(admitted, key=lambda s: s.pk)  # ``selection_run`` takes the admitted pool by id
    if project.method == Project.Method.DIRECT:
        return pool, None
    return selection_services.RANKERS[project.method](project, pool, bytes.fromhex(project.draw_secret))


# --- writing -------------------------------------------------------------------------------------------


def _admit_rows(closings: list[_Closing]) -> list[DecisionRecord]:
    """The admit decisions of every close as rows, sign-up by sign-up in the order the services keep them."""
    return [
        decision_row(decision=decision, target=target_label(signup))
        for c in closings
        for signup, pair in zip(c.signups, c.admits, strict=True)
        for decision in pair
    ]


def _marks_write(closings: list[_Closing]) -> None:
    """The buyer's marks of each scored comparison, each as ``proposal_mark`` keeps it at its moment."""
    rows = []
    for c in closings:
        if c.fails or not c.plan.marks:
            continue
        by_agency = {s.agency_id: s for s in c.signups}
        rows += [
            ProposalMark(signup=by_agency[m.agency.pk], scorer=c.plan.scorer, mark=m.mark, note="", at=m.at)
            for m in c.plan.marks
        ]
        if c.award_at is not None and {m.agency.pk for m in c.plan.marks} != set(by_agency):
            raise ValueError(f"{c.project.code}: the buyer finishes scoring only with every proposal marked")
    ProposalMark.objects.bulk_create(rows, batch_size=SELECTION_BATCH)


def _award(c: _Closing) -> None:
    """Rank the pool (a scored comparison now, on its marks), select the first, award the project; the winner
    confirms if planned and the gate allows."""
    assert c.award_at is not None
    project = c.project
    if not c.ranked:
        c.ranked, c.proof = _ranking(project, c.signups)
    ranked, proof = c.ranked, c.proof
    for position, signup in enumerate(ranked, start=1):
        signup.rank_at(rank=position, score=signup.score)
    c.winner = ranked[0]
    c.winner.select(at=c.award_at)
    project.award(at=c.award_at, publicity_ends_at=after_working_days(c.award_at, project.publicity_days), proof=proof)
    if c.plan.confirmed_at is not None:
        at = c.plan.confirmed_at
        context = {**signup_context(project, c.winner.agency, at), "selected_at": c.winner.selected_at}
        decision = gate.evaluate(c.subjects[c.signups.index(c.winner)], "signup.confirm", at, context)
        if decision.allowed:  # a refusal revokes the win: left to ``winner_confirm`` after the batch
            c.confirm = decision
            c.winner.confirm()


def _logs(closings: list[_Closing], selects: dict[int, DecisionRecord], admits: list[DecisionRecord]):
    """Each transition's log row, project by project in the order the services write them."""
    project_type = ContentType.objects.get_for_model(Project)
    signup_type = ContentType.objects.get_for_model(SignUp)
    admitted = iter(admits)
    logs = []
    for c in closings:
        at, pk = c.plan.closed_at, c.project.pk
        logs.append(log_row(project_type, pk, "close_signup", "open", "selecting", None, at))
        for signup in c.signups:
            next(admitted)
            logs.append(log_row(signup_type, signup.pk, "admit", "submitted", "admitted", None, at, next(admitted)))
        if c.fails:
            logs.append(log_row(project_type, pk, "fail", "selecting", "failed", None, at))
            continue
        if c.winner is None:
            continue
        for signup in c.ranked:
            logs.append(log_row(signup_type, signup.pk, "rank_at", "admitted", "ranked", None, c.award_at))
        select = selects[c.winner.pk]
        logs.append(log_row(signup_type, c.winner.pk, "select", "ranked", "selected", None, c.award_at, select))
        logs.append(log_row(project_type, pk, "award", "selecting", "awarded", None, c.award_at))
    return logs


def notice_requests_add(items: list[tuple[str, str, dict, datetime.datetime]]) -> list[tuple[int, datetime.datetime]]:
    """Notice requests as ``notice_request`` makes them, dated when they were asked for; their ids and moments."""
    requests = NoticeRequest.objects.bulk_create(
        [
            NoticeRequest(kind=kind, source_key=key, payload=payload, moderated=False)
            for kind, key, payload, _at in items
        ],
        batch_size=SELECTION_BATCH,
    )
    # created_at is auto_now_add, stamped with the present by bulk_create: the request was made earlier.
    for request, (_kind, _key, _payload, at) in zip(requests, items, strict=True):
        request.created_at = at
    NoticeRequest.objects.bulk_update(requests, ["created_at"], batch_size=SELECTION_BATCH)
    return [(r.pk, at) for r, (_k, _s, _p, at) in zip(requests, items, strict=True)]


def _batch_close(
    plans: list[PlannedClose],
) -> tuple[list[tuple[datetime.datetime, Callable[[], Any] | int]], list[PlannedClose]]:
    """Write one batch of closes; return what the tasks do after it commits, and the plans left to the services."""
    projects, pending = _load(plans)
    agency_ids = {s.agency_id for rows in pending.values() for s in rows}
    subjects: dict[int, CreditSubject] = {
        s.agency_id: s for s in CreditSubject.objects.filter(agency_id__in=agency_ids) if s.agency_id is not None
    }
    closings, left = [], []
    for plan in plans:
        project = projects[plan.project.pk]
        closing = _decide(plan, project, pending[project.pk], subjects)
        if closing is None:
            left.append(plan)
        else:
            closings.append(closing)

    admit_rows = DecisionRecord.objects.bulk_create(_admit_rows(closings), batch_size=SELECTION_BATCH)
    # Saved before ranking: the scored ranker reads the marks, the price ranker the subjects, as in the services.
    Project.objects.bulk_update([c.project for c in closings], ["state", "closed_at", "cancel_reason"])
    SignUp.objects.bulk_update(
        [s for c in closings for s in c.signups], ["state", "quote", "credit_score"], batch_size=SELECTION_BATCH
    )
    _marks_write(closings)
    awarding = [c for c in closings if not c.fails and c.award_at is not None]
    for c in awarding:
        _award(c)
    later = []
    for c in awarding:
        assert c.winner is not None
        later.append(decision_row(decision=c.selects[c.winner.pk], target=target_label(c.winner)))
        if c.confirm is not None:
            later.append(decision_row(decision=c.confirm, target=target_label(c.winner), actor=c.winner.submitted_by))
    later_rows = iter(DecisionRecord.objects.bulk_create(later, batch_size=SELECTION_BATCH))
    selects, confirms = {}, {}
    for c in awarding:
        assert c.winner is not None
        selects[c.winner.pk] = next(later_rows)
        if c.confirm is not None:
            confirms[c.winner.pk] = next(later_rows)
    Project.objects.bulk_update(
        [c.project for c in awarding],
        ["state", "awarded_at", "publicity_ends_at", "draw_proof"],
        batch_size=SELECTION_BATCH,
    )
    SignUp.objects.bulk_update(
        [s for c in awarding for s in c.ranked], ["state", "rank", "score", "selected_at"], batch_size=SELECTION_BATCH
    )
    logs = _logs(closings, selects, admit_rows)
    signup_type = ContentType.objects.get_for_model(SignUp)
    for c in awarding:
        assert c.winner is not None
        if c.winner.pk in confirms:
            logs.append(
                log_row(
                    signup_type,
                    c.winner.pk,
                    "confirm",
                    "selected",
                    "confirmed",
                    c.winner.submitted_by,
                    c.plan.confirmed_at,
                    confirms[c.winner.pk],
                )
            )
    TransitionLog.objects.bulk_create(logs, batch_size=SELECTION_BATCH)

    # The result notice names the ranking as the database keeps it (amounts and scores to their places).
    ranking: dict[int, list[SignUp]] = {}
    for signup in (
        SignUp.objects.filter(project__in=[c.project for c in awarding], rank__isnull=False)
        .select_related("agency")
        .order_by("project_id", "rank")
    ):
        ranking.setdefault(signup.project_id, []).append(signup)
    items = []
    for c in closings:
        key = f"project:{c.project.code}"
        if c.fails:
            payload = termination_payload(c.project, c.project.cancel_reason, "流标")
            items.append(("termination", f"{key}:termination", payload, c.plan.closed_at))
        elif c.winner is not None:
            rows = ranking[c.project.pk]
            winner = next(s for s in rows if s.pk == c.winner.pk)
            items.append(("result", f"{key}:result:0", result_payload(c.project, winner, rows), c.award_at))
    # Each piece of work after the commit at its moment: a call, or a notice request's id to publish.
    after: list[tuple[datetime.datetime, Callable[[], Any] | int]] = []
    for c in awarding:
        assert c.winner is not None and c.award_at is not None
        # As ``winner_select`` asks once the award commits: the winner is told to confirm.
        after.append((c.award_at, partial(notification_event_send, "win", c.winner.pk)))
    after += [(at, pk) for pk, at in notice_requests_add(items)]
    after += [(c.plan.confirmed_at, _confirm_left(c)) for c in awarding if c.plan.confirmed_at and c.confirm is None]
    return after, left


def _confirm_left(c: _Closing) -> Callable[[], Any]:
    """The confirmation the gate refuses, through the service: it records the refusal and revokes the win."""
    winner = c.winner
    assert winner is not None
    return lambda: award_services.winner_confirm(signup=SignUp.objects.get(pk=winner.pk), actor=winner.submitted_by)


def _through_services(plan: PlannedClose) -> None:
    """A close the gate refuses somewhere: the sweep's action and the people's steps, at their moments."""
    pk = plan.project.pk
    with time_machine.travel(plan.closed_at, tick=False):
        selection_services.signup_close(Project.objects.get(pk=pk), plan.closed_at)
    for mark in plan.marks:
        signup = SignUp.objects.filter(project_id=pk, agency=mark.agency, state=SignUp.State.ADMITTED).first()
        if signup is None or Project.objects.get(pk=pk).state != Project.State.SELECTING:
            continue
        with time_machine.travel(mark.at, tick=False):
            selection_services.proposal_mark(signup=signup, actor=plan.scorer, mark=mark.mark)
    if plan.finished_at is not None and Project.objects.get(pk=pk).state == Project.State.SELECTING:
        with time_machine.travel(plan.finished_at, tick=False):
            selection_services.scored_finish(project=Project.objects.get(pk=pk), actor=plan.scorer)
    winner = SignUp.objects.filter(project_id=pk, state=SignUp.State.SELECTED).first()
    if plan.confirmed_at is not None and winner is not None:
        with time_machine.travel(plan.confirmed_at, tick=False):
            award_services.winner_confirm(signup=winner, actor=winner.submitted_by)


def _after_run(after: list[tuple[datetime.datetime, Callable[[], Any] | int]]) -> None:
    """As the tasks do once the transaction commits, each at its moment: the calls one by one, each run of
    notices between them by the bulk publisher (the rows the publisher writes one at a time, in order)."""
    notices: list[tuple[int, datetime.datetime]] = []
    for at, work in sorted(after, key=lambda item: item[0]):
        if isinstance(work, int):
            notices.append((work, at))
            continue
        notice_requests_publish_bulk(notices)
        notices = []
        with time_machine.travel(at, tick=False):
            work()
    notice_requests_publish_bulk(notices)


def selection_bulk(plans: Iterable[PlannedClose], *, progress: Callable[[str], None] = lambda _m: None) -> None:
    """Close sign-up on open projects and run their selection in batches, then publish and notify as the tasks do."""
    plans = sorted(plans, key=lambda p: p.closed_at)
    for start in range(0, len(plans), SELECTION_BATCH):
        with transaction.atomic():
            after, left = _batch_close(plans[start : start + SELECTION_BATCH])
        _after_run(after)
        for plan in left:
            _through_services(plan)
        progress(f"  closed projects {min(start + SELECTION_BATCH, len(plans))}/{len(plans)}")
