"""Procurement states built through the services: admitted agencies qualified to sign up, projects from
draft to published, sign-ups, the award, contracting, and an engagement through contract, delivery
and acceptance (and, at the end, the few rows written directly, each saying why).

Time is never mocked here. A sweep is either told the moment just past a deadline (``after``), or,
with ``wait=True`` and ``settings.ZJCS_TIME_SCALE`` raised by the test, the deadline is waited for
and the sweep runs on the real clock (for tests where what happens next must come after it).
Each step asserts that the service did what it was asked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from marketplace.models import QualificationLevel, QualificationType, ServiceCategory
from tests.factories.membership import admitted_agency
from tests.factories.people import (
    AgencyFactory,
    BuyerUnitFactory,
    QualificationFactory,
    UserFactory,
    buyer_user,
    leaf_category,
    operator_user,
    supervisor_user,
)
from tests.helpers import after, pdf_content, refetch, wait_past
from workflows import draw
from workflows.models import Engagement, Project, SignUp
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import signups as signup_services
from workflows.services.procurement.projects import Requirement

QUOTES = (Decimal("52345.67"), Decimal("61234.56"), Decimal("47123.45"))


def agencies(n: int, *, supervisor=None, level_rank: int = 1):
    """``n`` admitted real-estate appraisal agencies holding a valid Q-RE licence; returns [(agency, user)]."""
    supervisor = supervisor or supervisor_user()
    qtype = QualificationType.objects.get(code="Q-RE")
    out = []
    for _ in range(n):
        agency = AgencyFactory(categories=[ServiceCategory.objects.get(code="VAL-RE")])
        QualificationFactory(
            agency=agency,
            qualification_type=qtype,
            level=QualificationLevel.objects.get(qualification_type=qtype, rank=level_rank),
        )
        agency, _membership, user = admitted_agency(agency, supervisor=supervisor)
        out.append((agency, user))
    return out


# --- projects -------------------------------------------------------------------------------------------


def project_data(method: str, **overrides) -> dict:
    data = {
        "name": "惠城区某安置房项目房地产估价服务",
        "category": ServiceCategory.objects.get(code="VAL-RE"),
        "content": "对安置房项目 120 套房屋进行市场价值评估，出具估价报告。",
        "scale": "120 套，约 1.2 万平方米",
        "budget": Decimal("80000"),
        "quote_kind": Project.QuoteKind.AMOUNT,
        "quote_floor": Decimal("40000"),
        "quote_ceiling": Decimal("80000"),
        "method": method,
    }
    if method == Project.Method.SCORED:
        data.update(weight_price=40, weight_credit=30, weight_proposal=30)
    data.update(overrides)
    return data


def requirement(rank: int = 2) -> Requirement:
    qtype = QualificationType.objects.get(code="Q-RE")
    return Requirement(qtype, QualificationLevel.objects.get(qualification_type=qtype, rank=rank))


def draft_project(buyer=None, method: str = "draw", *, requirements=None, avoid=(), **overrides) -> Project:
    """A project drafted by the buyer (one Q-RE 二级 requirement unless others are given)."""
    buyer = buyer or buyer_user()
    return project_services.project_create(
        buyer=buyer.buyerstaff_set.get().unit,
        actor=buyer,
        data=project_data(method, **overrides),
        requirements=[requirement()] if requirements is None else requirements,
        avoid=avoid,
    )


def submitted_project(buyer=None, method: str = "draw", **kwargs) -> Project:
    """A project drafted and sent for review."""
    buyer = buyer or buyer_user()
    project = draft_project(buyer, method, **kwargs)
    assert project_services.project_submit(project=project, actor=buyer).ok
    return refetch(project)


def published_project(method: str = "draw", *, buyer=None, operator=None, **kwargs) -> Project:
    """A project created, submitted and published: open for sign-up."""
    buyer = buyer or buyer_user()
    project = submitted_project(buyer, method, **kwargs)
    result = project_services.project_review(project=project, actor=operator or operator_user(), publish=True)
    assert result.ok, result.messages
    return refetch(project)


# --- sign-up and award ---------------------------------------------------------------------------------


def signups_submit(project: Project, pool, quotes=QUOTES) -> list[SignUp]:
    """Each agency of the pool signs up with its quote (in order)."""
    made = []
    for (agency, user), quote in zip(pool, quotes, strict=True):
        outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote)
        assert outcome.ok, [r.message for r in outcome.refusals]
        made.append(outcome.signup)
    return made


def signup_closed(project: Project, *, wait: bool = False) -> Project:
    """The sign-up deadline passes and the sweep closes the sign-up (and runs the selection)."""
    if wait:
        wait_past(project.signup_deadline)
        deadlines_sweep()
    else:
        deadlines_sweep(after(project.signup_deadline))
    return refetch(project)


def winner_of(project: Project, pool) -> tuple[SignUp, object]:
    """The selected (or confirmed) sign-up and its agency's user."""
    winner = project.signups.get(state__in=["selected", "confirmed"])
    return winner, next(u for a, u in pool if a == winner.agency)


class Awarded(NamedTuple):
    project: Project
    pool: list


def awarded_project(
    method: str = "draw", *, buyer=None, operator=None, pool=None, quotes=QUOTES, wait: bool = False, **overrides
) -> Awarded:
    """A published project, a sign-up from each agency of ``pool`` (three new ones by default), past its
    deadline: awarded (a scored comparison waits for its marks, in ``selecting``)."""
    pool = agencies(3) if pool is None else pool
    project = published_project(method, buyer=buyer, operator=operator, **overrides)
    signups_submit(project, pool, quotes[: len(pool)])
    return Awarded(signup_closed(project, wait=wait), pool)


def winner_confirmed(project: Project, pool) -> tuple[SignUp, object]:
    """The winner confirms during publicity; returns (winner, its user)."""
    winner, user = winner_of(refetch(project), pool)
    assert award_services.winner_confirm(signup=winner, actor=user).ok
    return refetch(winner), user


def publicity_ended(project: Project, *, wait: bool = False) -> Engagement:
    """Publicity ends: the sweep starts contracting with the confirmed winner; returns the engagement."""
    project = refetch(project)
    if wait:
        wait_past(project.publicity_ends_at)
        deadlines_sweep()
    else:
        deadlines_sweep(after(project.publicity_ends_at))
    assert refetch(project).state == Project.State.CONTRACTING, refetch(project).state
    return Engagement.objects.get(project=project)


# --- contract and delivery ------------------------------------------------------------------------------


class Deal(NamedTuple):
    """A project past its award, with its engagement, the winning sign-up and the winner's user."""

    project: Project
    engagement: Engagement
    winner: SignUp
    winner_user: object


def contract_uploaded(engagement: Engagement, user, name: str = "contract.pdf") -> Engagement:
    engagement_services.contract_upload(engagement=engagement, actor=user, file=pdf_content(name))
    return refetch(engagement)


def contract_signed(engagement: Engagement, buyer, amount: Decimal) -> Engagement:
    assert engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=amount).ok
    return refetch(engagement)


def contracting_project(
    method: str = "draw", *, buyer=None, pool=None, wait: bool = False, contract: bool = False, **kwargs
) -> Deal:
    """An awarded project whose winner confirmed and whose publicity is over: contracting, the
    engagement awaiting the contract (``contract``: the winner has uploaded it)."""
    buyer = buyer or buyer_user()
    project, pool = awarded_project(method, buyer=buyer, pool=pool, wait=wait, **kwargs)
    winner, winner_user = winner_confirmed(project, pool)
    engagement = publicity_ended(project, wait=wait)
    if contract:
        engagement = contract_uploaded(engagement, winner_user)
    return Deal(refetch(project), engagement, winner, winner_user)


def contracted_engagement(method: str = "draw", *, buyer=None, **kwargs) -> Deal:
    """The contract uploaded by the winner and confirmed by the buyer at the winning quote: in service."""
    buyer = buyer or buyer_user()
    project, engagement, winner, winner_user = contracting_project(method, buyer=buyer, contract=True, **kwargs)
    engagement = contract_signed(engagement, buyer, winner.quote)
    return Deal(refetch(project), engagement, winner, winner_user)


def delivered_engagement(method: str = "draw", *, buyer=None, **kwargs) -> Deal:
    """An engagement in service whose result the winner has submitted."""
    buyer = buyer or buyer_user()
    project, engagement, winner, winner_user = contracted_engagement(method, buyer=buyer, **kwargs)
    assert engagement_services.result_submit(
        engagement=engagement, actor=winner_user, file=pdf_content("report.pdf")
    ).ok
    return Deal(refetch(project), refetch(engagement), winner, winner_user)


def accepted_engagement(method: str = "draw", *, buyer=None, **kwargs) -> Deal:
    """A delivered result the buyer has accepted: the rating is open and the payment falls due."""
    buyer = buyer or buyer_user()
    project, engagement, winner, winner_user = delivered_engagement(method, buyer=buyer, **kwargs)
    assert engagement_services.result_review(engagement=engagement, actor=buyer, accept=True).ok
    return Deal(refetch(project), refetch(engagement), winner, winner_user)


# --- rows as stored -------------------------------------------------------------------------------------
#
# The only builders here that write rows (and their states) directly. Each says why the services would
# not do: these rows stand in for a history that is not under test where they are used.


def project_row(state: str = Project.State.DRAFT, *, method: str = Project.Method.DRAW) -> Project:
    """A buyer's project row in the given state, for tests about an agency's sign-ups and engagements
    on it (whether they count as open, what a measure does to them), not about how it got there."""
    unit = BuyerUnitFactory()
    return Project.objects.create(
        code=f"ZJCS-ROW-{Project.objects.count() + 1:06d}-{unit.pk}",
        buyer=unit,
        created_by=buyer_user(unit),
        state=state,
        name="某地块土地估价服务",
        category=leaf_category(),
        content="对拟出让地块进行土地估价。",
        budget=Decimal("80000"),
        quote_floor=Decimal("20000"),
        quote_ceiling=Decimal("80000"),
        method=method,
    )


def engagement_row(agency, state: str = Engagement.State.AWAITING_CONTRACT) -> Engagement:
    """An engagement row of the agency in the given state, on a project in service of its own: for the
    exit rules, which only ask whether the agency's engagements are still open."""
    return Engagement.objects.create(project=project_row(Project.State.IN_SERVICE), agency=agency, state=state)


def stored_draw_project(*, code="ZJCS-2026-000123", state="awarded", agencies=None, proof=True, beacon="") -> Project:
    """A draw project row as it is stored, with a real buyer unit and a proof built over real agencies'
    USCCs and names (``proof=False``: none yet).

    Written directly because the draw's pages and the verify command are checked against a chosen
    project code (the test vector's), in any state, with or without a proof, which the services would
    not hand out. How a proof comes to be is tested through the services.
    """
    agencies = agencies if agencies is not None else [AgencyFactory() for _ in range(3)]
    secret = draw.secret_new()
    built = draw.proof_build(code, [(a.uscc, a.name) for a in agencies], secret, beacon) if proof else None
    return Project.objects.create(
        code=code,
        buyer=BuyerUnitFactory(),
        created_by=UserFactory(),
        state=state,
        name="惠城区旧城改造房地产估价服务",
        category=leaf_category("VAL-RE"),
        content="对改造范围内房屋进行市场价值评估。",
        budget=Decimal("180000.00"),
        quote_floor=Decimal("120000.00"),
        quote_ceiling=Decimal("180000.00"),
        method=Project.Method.DRAW,
        draw_secret=secret.hex(),
        draw_commitment=draw.commitment(secret),
        draw_beacon=beacon,
        draw_proof=built,
    )
