"""The service (服务): contract under a second credit gate, delivery (late is a credit event), acceptance,
rating, and the buyer's decision when a measure reaches the agency mid-service."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request
from credit_rules.gate import Decision
from credit_rules.models import MeasureKind, Source
from credit_rules.policy import policy_at
from credit_rules.services import decision_record, subject_for_agency
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.selectors import acts_for_agency, acts_for_buyer_unit

from ...models import Engagement, Payment, Project, Rating, SignUp
from ..credit.buyers import buyer_failure_record
from ..credit.events import consequences_record, decision_events_record
from ..periods import after_days
from ..procurement.award import refused_win_revoke
from ..procurement.notices import project_snapshot
from ..procurement.revocation import IN_SERVICE, win_revoke
from ..transitions import TransitionResult, row_reload, target_label, transition_run


def _project_follow(engagement: Engagement, name: str, at: datetime.datetime, **params) -> None:
    """The project mirrors its engagement's progress (system transitions)."""
    transition_run(obj=engagement.project, name=name, actor=None, params=params, at=at)


@transaction.atomic
def contract_upload(*, engagement: Engagement, actor, file) -> Engagement:
    """The agency uploads the signed contract (PDF/scan) before the contract deadline."""
    locked = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if not acts_for_agency(actor, locked.agency):
        raise NotPermitted(_("您无权为该项目上传合同。"))
    if locked.state != Engagement.State.AWAITING_CONTRACT:
        raise ApplicationError(_("该服务当前不需要上传合同。"))
    locked.contract_file = file
    locked.contract_uploaded_at = timezone.now()
    locked.save(update_fields=["contract_file", "contract_uploaded_at"])
    return locked


def contract_sign(*, engagement: Engagement, actor, amount: Decimal | None = None) -> TransitionResult:
    """The buyer confirms the contract; the winner passes the credit gate again first.

    A suspension or expulsion in force now — whenever it began — or a restricted winner at its cap
    refuses the contract: the win is revoked and the next eligible alternate steps up, with no redraw.
    """
    now = timezone.now()
    engagement = Engagement.objects.select_related("project", "agency", "signup").get(pk=engagement.pk)
    if not engagement.contract_file:
        raise ApplicationError(_("中选机构尚未上传合同文本。"))
    amount = amount if amount is not None else engagement.amount
    if amount is None or amount <= 0:
        raise ApplicationError(_("请填写合同金额。"))
    if amount > engagement.project.budget:
        raise ApplicationError(_("合同金额不能超过项目预算。"))

    def started(locked: Engagement, _decision) -> None:
        transition_run(
            obj=locked,
            name="start",
            actor=None,
            params={"service_end": after_days(now, locked.project.service_days)},
            at=now,
        )
        _project_follow(locked, "start_service", now)
        project = locked.project
        notice_request(
            kind="contract",
            source_key=f"project:{project.code}:contract:{locked.pk}",
            payload={
                "title": f"{project.name}合同公告",
                **project_snapshot(project),
                "parties": {
                    "buyer": project.buyer.name,
                    "agency": locked.agency.name,
                    "agency_uscc": locked.agency.uscc,
                },
                "amount": str(amount),
                "service_period": {
                    "start": timezone.localtime(now).date().isoformat(),
                    "end": timezone.localtime(after_days(now, project.service_days)).date().isoformat(),
                },
            },
        )

    with transaction.atomic():
        result = transition_run(
            obj=engagement, name="sign", actor=actor, params={"at": now, "amount": amount}, at=now, on_done=started
        )
        assert engagement.signup is not None  # engagements are created from the winning sign-up only
        refused_win_revoke(engagement.signup, result, now)
    return result


@transaction.atomic
def service_extend(*, engagement: Engagement, actor, days: int, reason: str) -> Engagement:
    """The buyer extends the service end date once, with a reason."""
    locked = Engagement.objects.select_for_update().select_related("project").get(pk=engagement.pk)
    if not acts_for_buyer_unit(actor, locked.project.buyer):
        raise NotPermitted(_("您无权延长该服务期限。"))
    if locked.state not in (Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK):
        raise ApplicationError(_("只有服务中的项目可以延期。"))
    if locked.extended:
        raise ApplicationError(_("服务期限只能延长一次。"))
    if not reason.strip() or not (1 <= days <= 180):
        raise ApplicationError(_("延期须填写理由，天数为 1–180 天。"))
    locked.service_end = after_days(locked.service_end or timezone.now(), days)
    locked.extended = True
    locked.extension_reason = reason
    locked.save(update_fields=["service_end", "extended", "extension_reason"])
    return locked


def late_delivery_record(engagement: Engagement, at: datetime.datetime) -> None:
    """The service end date passed without a result: the rules record it once per engagement."""
    updated = Engagement.objects.filter(pk=engagement.pk, late_recorded=False).update(late_recorded=True)
    if updated:
        code = engagement.project.code
        due = f"{timezone.localtime(engagement.service_end):%Y-%m-%d %H:%M}" if engagement.service_end else ""
        consequences_record(
            subject=subject_for_agency(engagement.agency),
            step="engagement.late",
            context={"project": code, "due": due},
            target=target_label(engagement),
            evidence={"project": code},
            at=at,
        )


def result_submit(*, engagement: Engagement, actor, file) -> TransitionResult:
    """The agency delivers its result; after the service end date it is late (a credit event). The buyer's
    period to accept or return it (the policy's) starts."""
    now = timezone.now()
    acceptance_due = after_days(now, policy_at(now).buyer_acceptance_days)

    def effects(locked: Engagement, _decision) -> None:
        locked.result_file = file
        locked.save(update_fields=["result_file"])
        if locked.service_end and now > locked.service_end:
            late_delivery_record(locked, now)
        if locked.project.state == Project.State.IN_SERVICE:
            _project_follow(locked, "result_in", now)

    return transition_run(
        obj=engagement,
        name="submit_result",
        actor=actor,
        params={"at": now, "acceptance_due": acceptance_due},
        at=now,
        on_done=effects,
    )


def result_review(*, engagement: Engagement, actor, accept: bool, note: str = "") -> TransitionResult:
    """The buyer accepts the result (rating window and payment due start) or returns it for rework."""
    now = timezone.now()
    if not accept:
        if not note.strip():
            raise ApplicationError(_("退回整改须写明整改意见。"))

        def back(locked: Engagement, _decision) -> None:
            _project_follow(locked, "rework", now)

        return transition_run(
            obj=engagement, name="return_for_rework", actor=actor, params={"note": note}, at=now, on_done=back
        )

    def accepted(locked: Engagement, _decision) -> None:
        _project_follow(locked, "accept", now)
        # Accepted after its period: the payment period runs from the end of that period (保障中小企业款项支付条例).
        start = min(now, locked.acceptance_due) if locked.acceptance_due else now
        Payment.objects.get_or_create(
            engagement=locked,
            defaults={"amount": locked.amount or Decimal(0), "due_at": after_days(start, locked.project.payment_days)},
        )

    project = Project.objects.get(pk=engagement.project_id)
    return transition_run(
        obj=engagement,
        name="accept",
        actor=actor,
        params={"at": now, "rating_due": after_days(now, project.rating_days)},
        at=now,
        on_done=accepted,
    )


def project_close_if_done(engagement: Engagement, at: datetime.datetime) -> None:
    """Rated and paid: the project is complete."""
    row_reload(engagement)
    paid = Payment.objects.filter(engagement=engagement, state=Payment.State.PAID).exists()
    project = Project.objects.get(pk=engagement.project_id)
    if engagement.state == Engagement.State.RATED and paid and project.state == Project.State.RATED:
        transition_run(obj=project, name="close", actor=None, params={"at": at}, at=at)


@transaction.atomic
def rating_submit(*, engagement: Engagement, actor, marks: dict[str, int], comment: str = "") -> Rating:
    """The buyer rates five aspects 1–5; the average writes an excellent or poor credit event."""
    for name in Rating.MARKS:
        value = marks.get(name)
        if not isinstance(value, int) or not (1 <= value <= 5):
            raise ApplicationError(_("五项评分均须为 1–5 的整数。"))
    now = timezone.now()
    try:
        with transaction.atomic():
            rating = Rating.objects.create(engagement=engagement, rated_by=actor, comment=comment, at=now, **marks)
    except IntegrityError:
        raise Conflict(_("该服务已评价，请勿重复提交。")) from None
    code = engagement.project.code
    result = transition_run(
        obj=engagement, name="rate", actor=actor, context={"average": str(rating.average), "project": code}, at=now
    )
    if not result.ok:
        raise ApplicationError(result.messages)
    assert result.decision is not None  # the rating step is gated: the rules say what the average means
    decision_events_record(
        result.decision, subject=subject_for_agency(engagement.agency), source=Source.RATING, evidence={"project": code}
    )
    _project_follow(engagement, "rate", now)
    project_close_if_done(engagement, now)
    return rating


def rating_window_close(engagement: Engagement, at: datetime.datetime) -> None:
    """The rating window ended unrated: the engagement is closed without a rating event for the agency,
    and the rules record the missed rating against the buyer (政务诚信)."""
    result = transition_run(obj=engagement, name="rate", actor=None, at=at, note="评价期满未评价")
    if result.ok:
        project = Project.objects.select_related("buyer").get(pk=engagement.project_id)
        due = f"{timezone.localtime(engagement.rating_due):%Y-%m-%d %H:%M}" if engagement.rating_due else ""
        buyer_failure_record(
            unit=project.buyer,
            step="engagement.rating_missed",
            context={"project": project.code, "due": due},
            target=target_label(engagement),
            evidence={"project": project.code},
            at=at,
        )
    _project_follow(engagement, "rate", at)
    project_close_if_done(engagement, at)


def contract_deadline_missed(engagement: Engagement, at: datetime.datetime) -> None:
    """The contract was not signed in time: the rules record it and revoke the win; the alternate steps up."""
    if engagement.signup is None:
        return
    code = engagement.project.code
    due = timezone.localtime(engagement.contract_due).strftime("%Y-%m-%d %H:%M") if engagement.contract_due else ""
    decision = consequences_record(
        subject=subject_for_agency(engagement.agency),
        step="engagement.contract_missed",
        context={
            "project": code,
            "due": due,
            "win_open": engagement.signup.state in (SignUp.State.SELECTED, SignUp.State.CONFIRMED),
        },
        target=target_label(engagement),
        evidence={"project": code},
        at=at,
    )
    for order in decision.measures:
        if order.kind == MeasureKind.REVOKE:
            win_revoke(
                engagement.signup,
                rule_code=order.rule_code,
                reason=_("未在规定期限（%(due)s）内签订合同") % {"due": due},
                at=at,
            )


def service_after_measure_decide(
    *, engagement: Engagement, actor, continue_service: bool, note: str, at: datetime.datetime | None = None
) -> Engagement:
    """The buyer decides whether the agency a measure reached mid-service finishes it.

    Continuing is kept as a credit decision record; terminating revokes the win (撤销中选资格, a
    measure on the agency's record) and the project fails, for the buyer to relaunch.
    """
    if not note.strip():
        raise ApplicationError(_("请写明决定的理由。"))
    with transaction.atomic():
        locked = Engagement.objects.select_for_update().select_related("project", "agency").get(pk=engagement.pk)
        if actor is not None and not acts_for_buyer_unit(actor, locked.project.buyer):
            raise NotPermitted(_("您无权就该服务作出决定。"))
        if locked.measure_decision_due is None or locked.buyer_continues is not None:
            raise ApplicationError(_("该服务当前无需作出是否继续的决定。"))
        if locked.state not in IN_SERVICE:
            raise ApplicationError(_("该服务已不在服务中。"))
        now = at or timezone.now()
        subject = subject_for_agency(locked.agency)
        decision_record(
            decision=Decision(
                transition="engagement.after_measure",
                at=now,
                subject_id=subject.pk,
                allowed=continue_service,
                inputs={"measure": locked.measure_reason, "buyer_continues": continue_service, "note": note[:500]},
            ),
            target=target_label(locked),
            actor=actor,
        )
        if continue_service:
            Engagement.objects.filter(pk=locked.pk).update(buyer_continues=True)
        else:
            Engagement.objects.filter(pk=locked.pk).update(buyer_continues=False)
            assert locked.signup is not None  # engagements are created from the winning sign-up only
            win_revoke(locked.signup, rule_code=locked.measure_rule_code, reason=note, at=now)
        row_reload(locked)
        return locked


def measure_decision_lapsed(engagement: Engagement, at: datetime.datetime) -> None:
    """The buyer let the decision period pass: the policy's default decides (continue, or terminate)."""
    policy = policy_at(at)
    continuing = policy.measure_decision_default == "continue"
    service_after_measure_decide(
        engagement=engagement,
        actor=None,
        continue_service=continuing,
        note=_("项目业主未在期限内作出决定，按信用政策默认处理。"),
        at=at,
    )
