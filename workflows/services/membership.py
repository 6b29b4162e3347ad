"""The agency's entry (入驻) and exit (退出): apply, submit, review, renew (or ask a supervisor to), withdraw;
and the lapse of a term that ended without renewal."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from credit_rules import gate
from credit_rules.rules.base import code_of
from credit_rules.rules.entry import renewal_needs_review
from credit_rules.selectors import commitment_current
from credit_rules.services import decision_record, subject_for_agency
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import Agency, Qualification, QualificationLevel, QualificationType, ServiceCategory
from marketplace.selectors import acts_for_agency, qualifications_valid_on

from ..models import Membership
from ..selectors.facts import current_membership, member_since, open_engagement_count
from ..selectors.identity import identity_refusal
from .credit.measures import membership_sync
from .transitions import TransitionResult, target_label, transition_run


@transaction.atomic
def membership_start(*, agency: Agency, actor) -> Membership:
    """Open (or return) the agency's application being filled in."""
    if not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权代表该机构申请入驻。"))
    refusal = identity_refusal(agency, pgettext("identity refusal", "申请入驻"))
    if refusal:
        raise ApplicationError(refusal)
    existing = current_membership(agency)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Membership.objects.create(agency=agency)
    except IntegrityError:  # a double click created it a moment ago
        # The partial unique constraint that refused the insert is on exactly the open memberships.
        existing = current_membership(agency)
        assert existing is not None
        return existing


@transaction.atomic
def membership_update_application(
    *, membership: Membership, actor, statement: str, categories: Iterable[ServiceCategory] | None = None
) -> Membership:
    """Save the application (text, and the service categories applied for) while it is draft or returned."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not acts_for_agency(actor, membership.agency):
        raise NotPermitted(_("您无权修改该申请。"))
    if membership.state not in (Membership.State.DRAFT, Membership.State.RETURNED):
        raise ApplicationError(_("申请已提交，不能修改。"))
    Membership.objects.filter(pk=membership.pk).update(statement=statement)
    membership.statement = statement
    if categories is not None:
        # Categories decide which qualifications the review asks for, so they freeze on submit too.
        membership.agency.categories.set(categories)
    return membership


@transaction.atomic
def qualification_add(
    *,
    agency: Agency,
    actor,
    qualification_type: QualificationType,
    level: QualificationLevel,
    certificate_no: str,
    valid_until: datetime.date,
    issued_by: str = "",
    document=None,
) -> Qualification:
    """Register a licence (资质证书) of the agency with its scan; it counts for its categories until it expires."""
    if not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权为该机构登记资质。"))
    if level.qualification_type_id != qualification_type.pk:
        raise ApplicationError(_("所选等级不属于该资质类型。"))
    if valid_until < timezone.localdate():
        raise ApplicationError(_("该资质证书已过有效期，不能登记。"))
    certificate_no = certificate_no.strip()
    # Lock the agency so a double-clicked form cannot register the same certificate twice.
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    duplicate = Qualification.objects.filter(
        agency=agency, qualification_type=qualification_type, certificate_no=certificate_no
    )
    if duplicate.exists():
        raise ApplicationError(_("资质证书「%(no)s」已登记，请勿重复提交。") % {"no": certificate_no})
    qualification = Qualification(
        agency=agency,
        qualification_type=qualification_type,
        level=level,
        certificate_no=certificate_no,
        issued_by=issued_by,
        valid_until=valid_until,
        document=document or "",
    )
    try:
        qualification.full_clean()
    except ValidationError as exc:
        raise ApplicationError.from_validation(exc) from None
    qualification.save()
    return qualification


def application_problems(membership: Membership) -> list[str]:
    """What is missing before the application can be submitted."""
    problems = []
    agency = membership.agency
    refusal = identity_refusal(agency, pgettext("identity refusal", "提交入驻申请"))
    if refusal:
        problems.append(refusal)
    if not agency.categories.exists():
        problems.append(_("请至少选择一项服务事项。"))
    today = timezone.localdate()
    regulated = agency.categories.filter(qualification_types__isnull=False).distinct()
    valid_types = set(
        qualifications_valid_on(today).filter(agency=agency).values_list("qualification_type_id", flat=True)
    )
    for category in regulated.prefetch_related("qualification_types"):
        if not any(qt.pk in valid_types for qt in category.qualification_types.all()):
            problems.append(_("服务事项「%(cat)s」需要有效资质证书，请先上传。") % {"cat": category.name})
    if not (membership.statement or "").strip():
        problems.append(_("请填写服务承诺与业务说明。"))
    return problems


def _admitted(membership: Membership, decision) -> None:
    """A new member starts under the measures already in force (a restriction outlives a withdrawn membership)."""
    membership_sync(membership.agency, at=decision.at)


def membership_submit(*, membership: Membership, actor, accept_commitment: bool) -> TransitionResult:
    """Submit the application with the accepted commitment letter; green-channel agencies pass at once."""
    if not accept_commitment:
        raise ApplicationError(_("须阅读并签署信用承诺书后方可提交。"))
    problems = application_problems(membership)
    if problems:
        raise ApplicationError(problems)
    letter = commitment_current()
    now = timezone.now()
    agency = membership.agency
    subject = subject_for_agency(agency)

    def record_commitment(locked: Membership, decision) -> None:
        Membership.objects.filter(pk=locked.pk).update(
            commitment=letter,
            commitment_digest=letter.digest,
            commitment_accepted_at=now,
            commitment_accepted_by=actor,
        )
        if decision.fast_track:
            transition_run(
                obj=locked,
                name="approve",
                actor=None,
                subject=subject,
                context={"member_since": member_since(agency)},
                params={"at": now, "fast_tracked": True, "note": _("绿色通道，免于人工审核")},
                at=now,
                on_done=_admitted,
            )

    return transition_run(
        obj=membership,
        name="submit",
        actor=actor,
        subject=subject,
        context={"member_since": member_since(agency), "actor_role": "agency"},
        params={"at": now},
        at=now,
        on_done=record_commitment,
    )


def membership_review(*, membership: Membership, actor, decision: str, note: str = "") -> TransitionResult:
    """A supervisor approves, returns for changes, or rejects an application."""
    now = timezone.now()
    if decision in ("send_back", "reject") and not note.strip():
        raise ApplicationError(_("退回或不予入驻须填写理由。"))
    if decision == "approve":
        return transition_run(
            obj=membership,
            name="approve",
            actor=actor,
            subject=subject_for_agency(membership.agency),
            context={"member_since": member_since(membership.agency)},
            params={"at": now, "note": note},
            at=now,
            on_done=_admitted,
        )
    if decision in ("send_back", "reject"):
        return transition_run(obj=membership, name=decision, actor=actor, params={"at": now, "note": note}, at=now)
    raise ValueError(decision)


def renewal_sent_for_review(result: TransitionResult) -> bool:
    """The agency's renewal was refused only because it needs a supervisor's review: it is a request, not a no."""
    codes = {r.rule_code for r in result.refusals}
    return not result.ok and codes == {code_of(renewal_needs_review)}


def membership_renew(*, membership: Membership, actor, as_role: str) -> TransitionResult[Membership]:
    """Extend the term: green-channel agencies by themselves, others by a supervisor after review.

    An agency without the green channel is sent to review: its request is kept on the membership
    (``renewal_requested_at``) and puts it in the supervisors' renewals queue. A lapsed membership
    renewed trades again, under the measures still in force.
    """
    now = timezone.now()
    result = transition_run(
        obj=membership,
        name="renew",
        actor=actor,
        subject=subject_for_agency(membership.agency),
        context={"member_since": member_since(membership.agency), "actor_role": as_role},
        params={"at": now},
        at=now,
        on_done=_admitted,
    )
    if as_role == "agency" and renewal_sent_for_review(result):
        Membership.objects.filter(pk=membership.pk, renewal_requested_at__isnull=True).update(renewal_requested_at=now)
    return result


def membership_lapse(membership: Membership, at: datetime.datetime) -> TransitionResult | None:
    """A membership past its term without renewal stops trading (入驻已到期), if the term rule says so.

    The rule is asked at ``membership.term_ended`` and its decision kept; the lapse names it. None when the
    rule finds the term not ended (renewed a moment ago). The agency is told on its membership page.
    """
    decision = gate.evaluate(
        subject_for_agency(membership.agency), "membership.term_ended", at, {"term_until": membership.term_until}
    )
    if decision.allowed:
        return None
    decision_record(decision=decision, target=target_label(membership))
    note = "；".join(f"{r.rule_code} {r.message}" for r in decision.refusals)
    return transition_run(obj=membership, name="lapse", actor=None, params={"at": at}, at=at, note=note)


def membership_withdraw(*, membership: Membership, actor) -> TransitionResult:
    """Voluntary exit, refused by the gate while engagements are open."""
    now = timezone.now()
    return transition_run(
        obj=membership,
        name="withdraw",
        actor=actor,
        subject=subject_for_agency(membership.agency),
        context={"open_engagements": open_engagement_count(membership.agency)},
        params={"at": now},
        at=now,
    )
