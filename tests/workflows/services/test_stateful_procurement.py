"""Random procurements under a simulated clock, with the invariants of bid secrecy, the award and the records
after every step.

A hypothesis state machine: buyer units post and publish projects by draw, lowest price and scored comparison;
admitted agencies sign up with quotes in the band and out of it, and withdraw; the clock moves past deadlines
and the deadline sweep closes sign-ups, draws, ranks and awards, ends publicity, declines silent winners;
buyers cancel projects, mark proposals and finish scoring, confirm winners; winners confirm or decline and
alternates step up; engagements go through contract, delivery, acceptance (or rework) and rating. Everything
goes through the services.

After every step: no quote opens before its project's sign-up deadline, none is stored in the clear before
the close, the buyer's page loads no bidder and the public page ranks none; a project cancelled during sign-up
keeps its quotes sealed for good; a project has at most one winner and one live engagement; every credit
ledger's hash chain verifies; and each project, sign-up and engagement is in the state its last completed
transition recorded, each gated transition with the gate's decision beside it.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import (
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from credit_rules.verify import ledger_verify
from marketplace.errors import ApplicationError
from tests.factories import agencies, buyer_user, operator_user, published_project, supervisor_user
from tests.helpers import pdf_content
from tests.workflows.services.stateful import RolledBackMachine
from workflows.gating import Gated, declaration
from workflows.models import Engagement, Project, SignUp, TransitionLog
from workflows.selectors.buyer import project_page_for_buyer
from workflows.selectors.public import project_page_for_public
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import selection as selection_services
from workflows.services.procurement import signups as signup_services
from workflows.services.procurement.sealing import QuoteSealed, quote_open

AGENCIES = 4
METHODS = [Project.Method.DRAW, Project.Method.PRICE, Project.Method.SCORED]
# The factories' band (project_data): 40,000 to 80,000 yuan.
IN_BAND = [Decimal("40000"), Decimal("52345.67"), Decimal("61234.56"), Decimal("80000")]
OUT_OF_BAND = [Decimal("39999.99"), Decimal("80000.01"), Decimal("0"), Decimal("-1")]
# Mostly in the band, so that pools reach the three sign-ups a draw needs and the award is reached often.
QUOTES = [*IN_BAND * 4, None, *OUT_OF_BAND]
MAX_PROJECTS = 3
ADMITTED = SignUp.State.ADMITTED
WINNING = (SignUp.State.SELECTED, SignUp.State.CONFIRMED)
REVIEW_MARKS = {"quality": 4, "timeliness": 5, "attitude": 4, "conformity": 5, "fees": 4}


class Cast:
    """The people every example shares, built once per test (each example rolls back to them)."""

    buyers: list = []
    operator = None
    pool: list = []  # [(agency, user)]


class Procurements(RolledBackMachine):
    """A few projects of two buyer units, four admitted agencies, one clock; each example in its own savepoint."""

    def __init__(self):
        super().__init__()
        self.projects: list[Project] = []
        self.cancelled_in_signup: set[int] = set()

    # --- helpers ----------------------------------------------------------------------------------

    def _any(self, model, **where) -> bool:
        """Whether a row of this example's projects is in the given state (a rule's precondition)."""
        mine = [p.pk for p in self.projects]
        return model.objects.filter(
            **({"pk__in": mine} if model is Project else {"project__in": mine}), **where
        ).exists()

    def _project(self, pick: int) -> Project:
        return Project.objects.get(pk=self.projects[pick % len(self.projects)].pk)

    def _buyer_of(self, project: Project):
        return next(u for u in Cast.buyers if u.buyerstaff_set.get().unit_id == project.buyer_id)

    def _user_of(self, agency_id: int):
        return next(u for a, u in Cast.pool if a.pk == agency_id)

    def _winner(self, pick: int) -> SignUp | None:
        winners = SignUp.objects.filter(project__in=[p.pk for p in self.projects], state__in=WINNING).order_by("pk")
        return winners[pick % winners.count()] if winners.exists() else None

    def _engagement(self, pick: int, state: str) -> Engagement | None:
        rows = Engagement.objects.filter(project__in=[p.pk for p in self.projects], state=state).order_by("pk")
        return rows[pick % rows.count()] if rows.exists() else None

    # --- rules ------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.projects) < MAX_PROJECTS)
    @rule(method=st.sampled_from(METHODS), buyer=st.integers(0, 1))
    def post(self, method, buyer):
        """A buyer unit posts a project; the operator publishes it (sign-up opens)."""
        self.projects.append(published_project(method, buyer=Cast.buyers[buyer], operator=Cast.operator))

    @initialize(
        method=st.sampled_from(METHODS),
        buyer=st.integers(0, 1),
        quotes=st.lists(st.sampled_from(QUOTES), min_size=AGENCIES, max_size=AGENCIES),
    )
    def first_post(self, method, buyer, quotes):
        """Every example starts with a published project and its sign-ups, so most reach the close and beyond."""
        self.post(method, buyer)
        self.sign_ups(0, quotes)

    @precondition(lambda self: self._any(Project, state=Project.State.OPEN))
    @rule(pick=st.integers(0, 20), quotes=st.lists(st.sampled_from(QUOTES), min_size=AGENCIES, max_size=AGENCIES))
    def sign_ups(self, pick, quotes):
        """Each agency signs up with its quote (None: it does not)."""
        project = self._project(pick)
        for i, quote in enumerate(quotes):
            if quote is not None:
                self.sign_up(project, i, quote)

    def sign_up(self, project, i, quote):
        agency, user = Cast.pool[i]
        project = Project.objects.get(pk=project.pk)
        try:
            outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote)
        except ApplicationError:  # closed, a second sign-up, or a quote out of the band: refused with a message
            assert project.state != Project.State.OPEN or quote in OUT_OF_BAND or self._signed(project, agency)
            return
        assert quote in IN_BAND, f"a quote of {quote} outside the band was taken"
        # Taken, or refused by the gate with its reasons (a win declined earlier in the example is on the record).
        assert outcome.ok or outcome.refusals

    def _signed(self, project: Project, agency) -> bool:
        live = SignUp.objects.filter(project=project, agency=agency).exclude(state=SignUp.State.WITHDRAWN)
        return live.exists() or self.clock >= project.signup_deadline

    @precondition(lambda self: self._any(SignUp, state=SignUp.State.SUBMITTED))
    @rule(pick=st.integers(0, 50))
    def withdraw(self, pick):
        signups = SignUp.objects.filter(project__in=[p.pk for p in self.projects], state=SignUp.State.SUBMITTED)
        if signups.exists():
            signup = signups.order_by("pk")[pick % signups.count()]
            try:
                signup_services.signup_withdraw(signup=signup, actor=self._user_of(signup.agency_id))
            except ApplicationError:  # after the deadline the pool is frozen: refused with a message
                assert self.clock >= signup.project.signup_deadline

    @rule(hours=st.sampled_from([1, 24, 72, 24 * 8, 24 * 20]))
    def advance(self, hours):
        self.clock += datetime.timedelta(hours=hours)

    @rule()
    def sweep(self):
        deadlines_sweep(self.clock)

    @precondition(lambda self: self.projects)
    @rule()
    def past_next_deadline(self):
        """The clock moves just past the next stored deadline of a project or engagement, and the sweep runs."""
        mine = self._mine()
        moments = [
            m for p in mine for m in (p.signup_deadline, p.publicity_ends_at) if m is not None and m > self.clock
        ] + [
            m
            for e in Engagement.objects.filter(project__in=mine)
            for m in (e.contract_due, e.service_end, e.acceptance_due, e.rating_due)
            if m is not None and m > self.clock
        ]
        if moments:
            self.clock = min(moments) + datetime.timedelta(seconds=1)
        deadlines_sweep(self.clock)

    @precondition(lambda self: self._any(Project, state__in=[Project.State.OPEN, Project.State.AWARDED]))
    @rule(pick=st.integers(0, 20), mind=st.integers(0, 3))
    def cancel(self, pick, mind):
        """The buyer ends a project (a quarter of the times it thinks of it, so that most projects run on)."""
        if mind < 3:
            return
        project = self._project(pick)
        before = project.state
        result = project_services.project_cancel(
            project=project, actor=self._buyer_of(project), reason="预算调整，项目终止。"
        )
        if result.ok and before == Project.State.OPEN:
            self.cancelled_in_signup.add(project.pk)

    @precondition(lambda self: self._any(Project, state=Project.State.SELECTING))
    @rule(pick=st.integers(0, 20), marks=st.lists(st.integers(0, 100), min_size=AGENCIES, max_size=AGENCIES))
    def score(self, pick, marks):
        """The buyer marks every admitted proposal of a scored comparison awaiting marks, and finishes."""
        project = self._project(pick)
        if project.state != Project.State.SELECTING:
            return
        buyer = self._buyer_of(project)
        for signup, mark in zip(project.signups.filter(state=ADMITTED).order_by("pk"), marks, strict=False):
            selection_services.proposal_mark(signup=signup, actor=buyer, mark=Decimal(mark), note="方案完整")
        selection_services.scored_finish(project=project, actor=buyer)

    @precondition(lambda self: self._any(SignUp, state=SignUp.State.SELECTED))
    @rule(pick=st.integers(0, 20), confirm=st.booleans())
    def winner_answers(self, pick, confirm):
        """The winner confirms, or declines (the alternate steps up)."""
        winner = self._winner(pick)
        if winner is None or winner.state != SignUp.State.SELECTED:
            return
        user = self._user_of(winner.agency_id)
        if confirm:
            award_services.winner_confirm(signup=winner, actor=user)
        else:
            award_services.winner_decline(signup=winner, actor=user, reason="人员调整，无法履约。")

    @precondition(lambda self: self._any(Project, state=Project.State.AWARDED))
    @rule(pick=st.integers(0, 20))
    def buyer_confirms(self, pick):
        project = self._project(pick)
        if project.state != Project.State.AWARDED:
            return
        with contextlib.suppress(ApplicationError):  # publicity not over, or the winner has not confirmed
            award_services.project_confirm_winner(project=project, actor=self._buyer_of(project), at=self.clock)

    @precondition(lambda self: self._any(Engagement, state=Engagement.State.AWAITING_CONTRACT))
    @rule(pick=st.integers(0, 20))
    def contract(self, pick):
        """The winner uploads the contract and the buyer signs it at the winning quote."""
        engagement = self._engagement(pick, Engagement.State.AWAITING_CONTRACT)
        if engagement is None:
            return
        engagement_services.contract_upload(
            engagement=engagement, actor=self._user_of(engagement.agency_id), file=pdf_content()
        )
        engagement = Engagement.objects.get(pk=engagement.pk)
        engagement_services.contract_sign(
            engagement=engagement, actor=self._buyer_of(engagement.project), amount=engagement.signup.quote
        )

    @precondition(
        lambda self: self._any(
            Engagement, state__in=[Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK]
        )
    )
    @rule(pick=st.integers(0, 20))
    def deliver(self, pick):
        engagement = self._engagement(pick, Engagement.State.IN_SERVICE) or self._engagement(
            pick, Engagement.State.RETURNED_FOR_REWORK
        )
        if engagement is not None:
            engagement_services.result_submit(
                engagement=engagement, actor=self._user_of(engagement.agency_id), file=pdf_content("report.pdf")
            )

    @precondition(lambda self: self._any(Engagement, state=Engagement.State.RESULT_SUBMITTED))
    @rule(pick=st.integers(0, 20), accept=st.booleans())
    def review(self, pick, accept):
        engagement = self._engagement(pick, Engagement.State.RESULT_SUBMITTED)
        if engagement is not None:
            engagement_services.result_review(
                engagement=engagement, actor=self._buyer_of(engagement.project), accept=accept, note="请补充附件。"
            )

    @precondition(lambda self: self._any(Engagement, state=Engagement.State.ACCEPTED))
    @rule(pick=st.integers(0, 20))
    def rate(self, pick):
        engagement = self._engagement(pick, Engagement.State.ACCEPTED)
        if engagement is not None:
            engagement_services.rating_submit(
                engagement=engagement, actor=self._buyer_of(engagement.project), marks=REVIEW_MARKS, comment="按时交付"
            )

    # --- invariants -------------------------------------------------------------------------------

    def _mine(self):
        return Project.objects.filter(pk__in=[p.pk for p in self.projects]).order_by("pk")

    @invariant()
    def no_quote_is_readable_before_the_close(self):
        for project in self._mine():
            before_deadline = project.signup_deadline is None or self.clock < project.signup_deadline
            sealed_for_good = project.pk in self.cancelled_in_signup
            if not (before_deadline or sealed_for_good):
                continue
            signups = list(project.signups.all())
            for signup in signups:
                assert signup.quote is None, "a quote stored in the clear before the close"
                for moment in [self.clock] + ([self.clock + datetime.timedelta(days=3650)] if sealed_for_good else []):
                    with pytest.raises(QuoteSealed):
                        quote_open(project, signup.sealed_quote, moment)
            buyer = self._buyer_of(project)
            page = project_page_for_buyer(buyer.buyerstaff_set.get().unit, buyer, project.code, now=self.clock)
            assert page.sealed and page.rows == [], "the buyer's page shows bidders before the close"
            public = project_page_for_public(project.code)
            assert not public.closed and public.ranking == [] and public.winner is None, "bidders shown to the public"

    @invariant()
    def at_most_one_award_per_project(self):
        for project in self._mine():
            winners = project.signups.filter(state__in=WINNING).count()
            live = Engagement.objects.filter(project=project).exclude(state=Engagement.State.TERMINATED).count()
            assert winners <= 1, f"{project.code}: {winners} winners"
            assert live <= 1, f"{project.code}: {live} live engagements"

    @invariant()
    def ledger_chains_verify(self):
        report = ledger_verify()
        assert report.ok, str(report.problem)

    @invariant()
    def every_state_change_is_in_the_transition_log(self):
        projects = list(self._mine())
        rows = (
            [(Project, p.pk, p.state) for p in projects]
            + [(SignUp, s.pk, s.state) for s in SignUp.objects.filter(project__in=projects)]
            + [(Engagement, e.pk, e.state) for e in Engagement.objects.filter(project__in=projects)]
        )
        types = {model: ContentType.objects.get_for_model(model).pk for model in (Project, SignUp, Engagement)}
        done: dict[tuple[int, int], list[tuple[str, str, int | None]]] = {}
        for ct, pk, transition, to_state, decision in (
            TransitionLog.objects.filter(content_type__in=types.values(), outcome=TransitionLog.Outcome.DONE)
            .order_by("pk")
            .values_list("content_type", "object_id", "transition", "to_state", "decision")
        ):
            done.setdefault((ct, pk), []).append((transition, to_state, decision))
        for model, pk, state in rows:
            logs = done.get((types[model], pk), [])
            expected = logs[-1][1] if logs else model._meta.get_field("state").default
            assert state == expected, f"{model.__name__} {pk} is {state}, its log says {expected}"
            for transition, _to, decision in logs:
                if isinstance(declaration(model, transition), Gated):
                    assert decision is not None, f"{model.__name__}.{transition} done with no decision"


class ProcurementsTest(TestCase):
    """Runs the machine inside one test transaction, over a cast built once; each example rolls back."""

    def test_procurements(self):
        supervisor = supervisor_user()
        Cast.buyers = [buyer_user(), buyer_user()]
        Cast.operator = operator_user()
        Cast.pool = agencies(AGENCIES, supervisor=supervisor)
        run_state_machine_as_test(Procurements, settings=settings(stateful_step_count=14))
