"""Who holds the win: the next eligible alternate steps up, a win is revoked (撤销中选资格), a measure reaches
the agency's open wins and services.

Selecting a winner — first place at the award, or an alternate stepping up — is gated
(``signup.select``): an alternate the gate refuses is passed over, with the refusal recorded, and the
next one is asked; there is never a redraw. A revocation is a rung of the ladder: a ledger measure
with its rule and basis, a public notice, and the next eligible alternate where the project has not
started its service; once the service runs, the project fails and the buyer may relaunch it.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import LedgerEntry, MeasureKind
from credit_rules.policy import policy_at
from credit_rules.rules import REGISTRY
from credit_rules.services import measure_record, subject_for_agency
from marketplace.models import Agency

from ...models import Engagement, Project, SignUp
from ..credit.notices import entry_publish
from ..periods import after_days, after_working_days
from ..transitions import row_reload, transition_run
from .notices import result_notice
from .selection import project_fail, winner_select

# Engagements whose service has begun: a measure does not take them from the buyer, it asks the buyer.
IN_SERVICE = (Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK, Engagement.State.RESULT_SUBMITTED)
# Engagements a revocation may still end: from the award until acceptance.
REVOCABLE = (Engagement.State.AWAITING_CONTRACT, Engagement.State.CONTRACTED, *IN_SERVICE)
# Projects an alternate may still take over: the contract is not yet signed.
STEP_UP_STATES = (Project.State.AWARDED, Project.State.CONTRACTING)


@transaction.atomic
def alternate_step_up(project: Project, at: datetime.datetime, reason: str) -> SignUp | None:
    """The next eligible alternate becomes the winner (no redraw), with its own publicity.

    With none left, or once the service has started, the project fails (流标) and the buyer may relaunch it.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    alternate = winner_select(project, at) if project.state in STEP_UP_STATES else None
    if alternate is None:
        project_fail(project, _("中选机构%(reason)s，且无可递补的备选机构，项目流标。") % {"reason": reason}, at)
        return None
    publicity = after_working_days(at, project.publicity_days)
    step = SignUp.objects.filter(project=project, state__in=[SignUp.State.DECLINED, SignUp.State.REVOKED]).count()
    if project.state == Project.State.CONTRACTING:
        transition_run(
            obj=project, name="reopen_award", actor=None, params={"at": at, "publicity_ends_at": publicity}, at=at
        )
    else:
        Project.objects.filter(pk=project.pk).update(publicity_ends_at=publicity)
    row_reload(project)
    ranking = list(SignUp.objects.filter(project=project, rank__isnull=False).select_related("agency").order_by("rank"))
    result_notice(project, alternate, ranking, step=step)
    return alternate


def winner_rows_lock(signup: SignUp) -> None:
    """Lock the winner's engagement (if any) and project before its sign-up, the order the sweeps use.

    The sweeps claim an engagement or a project first and reach the sign-up after; a decline or a
    revocation taking the sign-up first (then the project, for the alternate) could deadlock with them.
    """
    list(Engagement.objects.select_for_update().filter(signup_id=signup.pk).values_list("pk", flat=True))
    list(Project.objects.select_for_update().filter(pk=signup.project_id).values_list("pk", flat=True))


def engagement_stop(signup: SignUp, reason: str, at: datetime.datetime) -> None:
    """The engagement that came of a win ends with it (服务中止), if it is still open."""
    engagement = Engagement.objects.filter(signup=signup).first()
    if engagement is not None and engagement.state in Engagement.OPEN:
        transition_run(obj=engagement, name="terminate", actor=None, params={"reason": reason}, at=at)


@transaction.atomic
def win_revoke(
    signup: SignUp, *, rule_code: str, reason: str, at: datetime.datetime | None = None, actor=None
) -> LedgerEntry | None:
    """Revoke a win (撤销中选资格) as a measure of the ladder: recorded, published, and the win passes on.

    ``rule_code`` is the registered rule that warrants it. Returns the measure entry, or None when the
    win was no longer there to revoke (declined or revoked a moment ago).
    """
    at = at or timezone.now()
    winner_rows_lock(signup)
    result = transition_run(obj=signup, name="revoke", actor=None, params={"note": reason}, at=at)
    if not result.ok:
        return None
    locked = result.obj
    project = Project.objects.get(pk=locked.project_id)
    entry = measure_record(
        subject=subject_for_agency(locked.agency),
        kind=MeasureKind.REVOKE,
        starts_at=at,
        ends_at=at,  # an act, not a period: it stands in the record, never "in force"
        rule_code=rule_code,
        basis=str(REGISTRY[rule_code].basis),
        actor=actor,
        evidence={"summary": f"项目 {project.code}（{project.name}）：{reason[:300]}", "project": project.code},
    )
    entry_publish(entry, "revocation")
    engagement_stop(locked, reason, at)
    alternate_step_up(project, at, _("被撤销中选资格"))
    return entry


def wins_revoke(agency: Agency, *, rule_code: str, reason: str, at: datetime.datetime, in_service: bool = False) -> int:
    """Revoke the agency's open wins — those whose service has not begun, or (``in_service``) every one
    not yet accepted; returns how many."""
    open_wins = SignUp.objects.filter(agency=agency, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
    revoked = 0
    for signup in open_wins.select_related("agency"):
        engagement = Engagement.objects.filter(signup=signup).first()
        if engagement is not None and engagement.state not in REVOCABLE:
            continue  # accepted or rated: the service is done, nothing is left to revoke
        if engagement is not None and engagement.state in IN_SERVICE and not in_service:
            continue
        revoked += win_revoke(signup, rule_code=rule_code, reason=reason, at=at) is not None
    return revoked


def services_to_buyers(agency: Agency, *, rule_code: str, reason: str, at: datetime.datetime) -> int:
    """Hand the agency's running services to their buyers: continue or terminate within the policy's days."""
    due = after_days(at, policy_at(at).measure_decision_days)
    running = Engagement.objects.filter(agency=agency, state__in=IN_SERVICE, measure_decision_due__isnull=True)
    return running.update(measure_decision_due=due, measure_reason=reason[:500], measure_rule_code=rule_code)


def measure_reaches_service(agency: Agency, entry: LedgerEntry, at: datetime.datetime) -> None:
    """What a measure just recorded does to the agency's wins and services, as the policy says.

    An expulsion (and a suspension, where the policy says suspended agencies stop serving) revokes
    the wins whose service has not begun — the next alternate steps up — and asks the buyers of
    the services under way whether the agency finishes them. A revocation ordered by a rule for a
    new bad record revokes the open wins, services under way included.
    """
    policy = policy_at(at)
    reason = f"{entry.rule_code} {entry.title}"
    if entry.measure == MeasureKind.EXPEL or (entry.measure == MeasureKind.SUSPEND and policy.suspension_halts_service):
        wins_revoke(agency, rule_code=entry.rule_code, reason=reason, at=at)
        services_to_buyers(agency, rule_code=entry.rule_code, reason=reason, at=at)
