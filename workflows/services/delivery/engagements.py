"""The service (服务): contract under a second credit gate, delivery (late is a credit event), acceptance, rating."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request
from credit_rules.models import Source
from credit_rules.policy import policy_at
from credit_rules.services import (
    subject_for_agency,
)
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.selectors import acts_for_agency, acts_for_buyer_unit

from ...models import Engagement, Payment, Project, Rating
from ..credit.events import credit_event_record
from ..periods import after_days
from ..procurement.award import winner_revoke
from ..procurement.notices import project_snapshot
from ..transitions import TransitionResult, row_reload, transition_run


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

    A suspension or expulsion since selection refuses the contract (CR-CON-001): the win is
    revoked and the next-ranked alternate steps up, with no redraw.
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

    result = transition_run(
        obj=engagement,
        name="sign",
        actor=actor,
        subject=subject_for_agency(engagement.agency),
        context={
            "selected_at": engagement.signup.selected_at if engagement.signup else None,
            "method": engagement.project.method,
        },
        params={"at": now, "amount": amount},
        at=now,
        on_done=started,
    )
    if not result.ok and result.decision is not None and any(m.kind == "revoke" for m in result.decision.measures):
        reason = "；".join(f"{r.rule_code} {r.message}" for r in result.refusals)
        assert engagement.signup is not None  # engagements are created from the winning sign-up only
        winner_revoke(signup=engagement.signup, reason=reason, at=now)
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
    """Record late delivery once per engagement (CR-SVC-003)."""
    updated = Engagement.objects.filter(pk=engagement.pk, late_recorded=False).update(late_recorded=True)
    if updated:
        credit_event_record(
            subject=subject_for_agency(engagement.agency),
            code="DELIVERY_LATE",
            source=Source.RULE,
            rule_code="CR-SVC-003",
            evidence={
                "summary": f"项目 {engagement.project.code} 服务期限至 "
                f"{timezone.localtime(engagement.service_end):%Y-%m-%d %H:%M}，逾期未提交成果。",
                "project": engagement.project.code,
            },
            at=at,
        )


def result_submit(*, engagement: Engagement, actor, file) -> TransitionResult:
    """The agency delivers its result; after the service end date it is late (a credit event)."""
    now = timezone.now()

    def effects(locked: Engagement, _decision) -> None:
        locked.result_file = file
        locked.save(update_fields=["result_file"])
        if locked.service_end and now > locked.service_end:
            late_delivery_record(locked, now)
        if locked.project.state == Project.State.IN_SERVICE:
            _project_follow(locked, "result_in", now)

    return transition_run(
        obj=engagement, name="submit_result", actor=actor, params={"at": now}, at=now, on_done=effects
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
        Payment.objects.get_or_create(
            engagement=locked,
            defaults={"amount": locked.amount or Decimal(0), "due_at": after_days(now, locked.project.payment_days)},
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
    result = transition_run(obj=engagement, name="rate", actor=actor, at=now)
    if not result.ok:
        raise ApplicationError(result.messages)
    policy = policy_at(now)
    average = Decimal(str(rating.average))
    code = (
        "RATING_EXCELLENT"
        if average >= policy.rating_excellent_min
        else "RATING_POOR"
        if average <= policy.rating_poor_max
        else ""
    )
    if code:
        credit_event_record(
            subject=subject_for_agency(engagement.agency),
            code=code,
            source=Source.RATING,
            rule_code="CR-SVC-004",
            evidence={
                "summary": f"项目 {engagement.project.code} 服务评价平均 {average:.1f} 分。",
                "project": engagement.project.code,
            },
            at=now,
        )
    _project_follow(engagement, "rate", now)
    project_close_if_done(engagement, now)
    return rating


def rating_window_close(engagement: Engagement, at: datetime.datetime) -> None:
    """The rating window ended unrated: the engagement is closed without a rating event."""
    transition_run(obj=engagement, name="rate", actor=None, at=at, note="评价期满未评价")
    _project_follow(engagement, "rate", at)
    project_close_if_done(engagement, at)


def contract_deadline_missed(engagement: Engagement, at: datetime.datetime) -> None:
    """The contract was not signed in time: a credit event, the win revoked, the alternate steps up."""
    if engagement.signup is None:
        return
    winner_revoke(
        signup=engagement.signup,
        reason=_("未在规定期限（%(due)s）内签订合同")
        % {"due": timezone.localtime(engagement.contract_due).strftime("%Y-%m-%d %H:%M")},
        at=at,
        event_code="CONTRACT_LATE",
    )
