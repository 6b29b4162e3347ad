"""Bulk admission for ``seed_demo --scale N``: the rows the entry services write, written in batches.

Taking 100,000 agencies through the services one at a time would take hours. For an agency with no
account, no credit record and no external listing, this writes directly what a service-path
admission leaves behind (``tests/workflows/test_demo_bulk.py`` compares the two row by row):

- a clerk account as ``market.agency_staff_add`` attaches it (role group, staff link, object perms);
- the credit subject as ``subject_for_agency`` creates it;
- the membership as the model's own ``submit`` and ``approve`` transitions leave it, with the
  commitment letter that ``membership_submit`` records;
- for each of the two gated transitions, the gate's decision record and the transition log row
  that ``transition_run`` writes.

Any other agency, and any the gate would not simply allow, goes through the services themselves.
The dates lie in the past, spread over two years, so that the members have a history.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from guardian.models import UserObjectPermission

from credit_rules import gate
from credit_rules.caching import credit_cache_bump
from credit_rules.gate import Decision
from credit_rules.models import CommitmentLetter, CreditSubject, DecisionRecord, ExternalListing
from marketplace.errors import ApplicationError
from marketplace.models import Agency, AgencyStaff
from marketplace.roles import Role

from ..models import Membership, TransitionLog
from ..services.transitions import target_label
from .agencies import BATCH
from .people import DEMO_PASSWORD
from .scenarios import APPROVAL_NOTE, member_admit

STATEMENT = "依法诚信执业，按约定时限和质量提交服务成果。"
CLERK_POSITION = "经办人"
# How long before submitting the application was opened (its clerk's account and membership row created).
DRAFTING = datetime.timedelta(days=3)


def gate_context(state: str, **given: Any) -> dict[str, Any]:
    """The gate's facts for a first application, as the runner finds them (``gate_facts``) and the
    entry services add them (no earlier membership, so no member_since)."""
    label = str(Membership.State(state).label)
    return {"member_state": state, "member_state_label": label, "term_until": None, "open_engagements": 0, **given}


def clerk_username(uscc: str) -> str:
    """The login of the clerk who applied for the agency, named by its USCC."""
    return f"clerk_{uscc.lower()}"


def history(agency_id: int, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime, datetime.datetime]:
    """When the agency opened, submitted and was granted its application: a month ago at the latest, spread by id."""
    # Every fifth day over two years: each weekday occurs, and with few distinct moments the gate
    # is asked few times (see _Shared.decision).
    days = 5 * (agency_id % 140)
    submitted = now - datetime.timedelta(days=30 + days)
    return submitted - DRAFTING, submitted, now - datetime.timedelta(days=28 + days)


@dataclass(frozen=True)
class _Row:
    """The agency columns the bulk path needs."""

    pk: int
    uscc: str
    name: str
    contact_name: str


@dataclass(frozen=True)
class _Step:
    """One transition an admission went through: the runner's log row and decision record in the making."""

    name: str
    source: str
    target: str
    actor_id: int
    decision: Decision


@dataclass
class _Shared:
    """What every batch reuses: the reviewer, the letters, the clerks' group, permissions and password."""

    reviewer: Any
    now: datetime.datetime
    letters: list[CommitmentLetter]
    group: Group
    permissions: list[Permission]
    agency_type: ContentType
    membership_type: ContentType
    password: str
    # The gate's answer for an empty record, per transition and moment (see ``decision``).
    answers: dict[tuple[str, datetime.datetime], Decision] = field(default_factory=dict)

    @classmethod
    def load(cls, reviewer) -> _Shared:
        """Look up the shared rows once per run."""
        return cls(
            reviewer=reviewer,
            now=timezone.now(),
            letters=list(CommitmentLetter.objects.order_by("-effective_from")),
            group=Group.objects.get(name=Role.AGENCY),
            permissions=list(
                Permission.objects.filter(
                    content_type__app_label="marketplace", codename__in=["act_for_agency", "administer_agency"]
                ).order_by("codename")
            ),
            agency_type=ContentType.objects.get_for_model(Agency),
            membership_type=ContentType.objects.get_for_model(Membership),
            # One hash for every clerk: hashing 100,000 passwords would take hours, and the demo
            # password is public anyway. Each clerk can log in with it.
            password=make_password(DEMO_PASSWORD),
        )

    def letter_at(self, at: datetime.datetime) -> CommitmentLetter | None:
        """The commitment letter in force when the application was submitted."""
        return next((letter for letter in self.letters if letter.effective_from <= at), None)

    def decision(self, subject: CreditSubject, label: str, at: datetime.datetime, context: dict) -> Decision:
        """The gate's decision on an empty record, asked of the gate once per transition and moment.

        Two empty records (no ledger entry, no listing) give the rules the same facts but for
        whose they are, so the answer for one stands for the other with its identity put in.
        """
        key = (label, at)
        if key not in self.answers:
            self.answers[key] = gate.evaluate(subject, label, at, context)
        answer = self.answers[key]
        return replace(
            answer, subject_id=subject.pk, inputs={**answer.inputs, "subject_id": subject.pk, "uscc": subject.uscc}
        )


def _decision_row(decision: Decision, target: str, actor_id: int) -> DecisionRecord:
    """The decision record ``credit_rules.services.decision_record`` would keep for this decision."""
    return DecisionRecord(
        at=decision.at,
        subject_id=decision.subject_id,
        transition=decision.transition,
        target=target,
        allowed=decision.allowed,
        reasons=[r.as_json() for r in decision.reasons],
        measures=[m.as_json() for m in decision.measures],
        inputs=decision.inputs,
        policy_id=decision.policy_id,
        actor_id=actor_id,
    )


def _staffed(rows: list[_Row]) -> set[int]:
    """Agencies that have an account already: it, not a new clerk, applies for them."""
    return set(AgencyStaff.objects.filter(agency_id__in=[r.pk for r in rows]).values_list("agency_id", flat=True))


def _on_record(rows: list[_Row]) -> set[int]:
    """Agencies whose credit record is not empty: with a credit subject already, or on an external list."""
    listed = set(ExternalListing.objects.filter(uscc__in=[r.uscc for r in rows]).values_list("uscc", flat=True))
    subjects = CreditSubject.objects.filter(agency_id__in=[r.pk for r in rows]).values_list("agency_id", flat=True)
    return set(subjects) | {r.pk for r in rows if r.uscc in listed}


def _clerks_create(rows: list[_Row], shared: _Shared) -> dict[int, int]:
    """One clerk account per agency, as ``market.user_create`` and ``agency_staff_add`` make it; agency id → user id."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            # The account was opened when the application was: before the admission's other dates.
            User(
                username=clerk_username(r.uscc),
                first_name=r.contact_name,
                password=shared.password,
                date_joined=history(r.pk, shared.now)[0],
            )
            for r in rows
        ],
        batch_size=BATCH,
    )
    clerks = {r.pk: user.pk for r, user in zip(rows, users, strict=True)}
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user_id, group_id=shared.group.pk) for user_id in clerks.values()],
        batch_size=BATCH,
    )
    AgencyStaff.objects.bulk_create(
        [
            AgencyStaff(agency_id=agency_id, user_id=user_id, is_admin=True, position=CLERK_POSITION)
            for agency_id, user_id in clerks.items()
        ],
        batch_size=BATCH,
    )
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                user_id=user_id, permission=perm, content_type=shared.agency_type, object_pk=str(agency_id)
            )
            for agency_id, user_id in clerks.items()
            for perm in shared.permissions
        ],
        batch_size=BATCH,
    )
    return clerks


def _admissions_write(rows: list[_Row], clerks: dict[int, int], shared: _Shared) -> list[_Row]:
    """Write the admissions of agencies with an empty record; return those the gate would not simply allow."""
    subjects = CreditSubject.objects.bulk_create(
        [CreditSubject(kind=CreditSubject.Kind.AGENCY, agency_id=r.pk, uscc=r.uscc, name=r.name) for r in rows],
        batch_size=BATCH,
    )
    admitted: list[tuple[Membership, list[_Step]]] = []
    others: list[_Row] = []
    for row, subject in zip(rows, subjects, strict=True):
        _opened, submitted, decided = history(row.pk, shared.now)
        letter = shared.letter_at(submitted)
        submit = shared.decision(
            subject,
            "membership.submit",
            submitted,
            gate_context(Membership.State.DRAFT, member_since=None, actor_role="agency"),
        )
        approve = shared.decision(
            subject, "membership.approve", decided, gate_context(Membership.State.SUBMITTED, member_since=None)
        )
        # A refusal or a green-channel fast track takes another course: the services will follow it.
        if letter is None or not all(d.allowed and not d.fast_track for d in (submit, approve)):
            others.append(row)
            continue
        clerk = clerks[row.pk]
        membership = Membership(agency_id=row.pk, statement=STATEMENT)
        # The model's own transitions set the fields, as they do for the runner before it saves the row.
        source = membership.state
        membership.submit(at=submitted)
        steps = [_Step("submit", source, membership.state, clerk, submit)]
        # membership_submit's side effect: the letter the clerk accepted on submitting.
        membership.commitment = letter
        membership.commitment_digest = letter.digest
        membership.commitment_accepted_at = submitted
        membership.commitment_accepted_by_id = clerk
        source = membership.state
        membership.approve(at=decided, note=APPROVAL_NOTE)
        steps.append(_Step("approve", source, membership.state, shared.reviewer.pk, approve))
        admitted.append((membership, steps))
    memberships = Membership.objects.bulk_create([m for m, _steps in admitted], batch_size=BATCH)
    # created_at is auto_now_add, which bulk_create stamps with the present: the draft came first.
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(created_at=F("submitted_at") - DRAFTING)
    steps_done = [(membership, step) for membership, steps in admitted for step in steps]
    records = DecisionRecord.objects.bulk_create(
        [_decision_row(step.decision, target_label(membership), step.actor_id) for membership, step in steps_done],
        batch_size=BATCH,
    )
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                content_type=shared.membership_type,
                object_id=membership.pk,
                transition=step.name,
                from_state=step.source,
                to_state=step.target,
                outcome=TransitionLog.Outcome.DONE,
                actor_id=step.actor_id,
                decision=record,
                at=step.decision.at,
            )
            for (membership, step), record in zip(steps_done, records, strict=True)
        ],
        batch_size=BATCH,
    )
    return others


def _through_services(rows: Iterable[_Row], shared: _Shared) -> None:
    """Admit these agencies through the entry services today, each applying by its first administrator."""
    for row in rows:
        agency = Agency.objects.get(pk=row.pk)
        clerk = agency.staff.select_related("user").order_by("-is_admin", "pk")[0]
        # An incomplete application (a lapsed licence) stays a draft, as it would for a user.
        with suppress(ApplicationError):
            member_admit(agency, clerk.user, shared.reviewer, statement=STATEMENT)


def members_bulk_admit(
    agencies: QuerySet[Agency], *, reviewer, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Admit every agency of ``agencies`` that has no membership yet, as the entry services would have.

    An agency whose identity is not verified may not apply (``services.identity``): it is left as it is."""
    pending = list(
        agencies.filter(memberships__isnull=True, identity_verified_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not pending:
        return  # Seeded before: nothing to look up.
    shared = _Shared.load(reviewer)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        rows = [
            _Row(*values)
            for values in Agency.objects.filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "uscc", "name", "contact_name")
        ]
        with transaction.atomic():
            staffed = _staffed(rows)
            clerks = _clerks_create([r for r in rows if r.pk not in staffed], shared)
            # The rows written here stand for what the services do for a new account and an empty record.
            irregular = staffed | _on_record(rows)
            plain = [r for r in rows if r.pk not in irregular]
            refused = _admissions_write(plain, clerks, shared)
            _through_services([r for r in rows if r.pk in irregular] + refused, shared)
        progress(f"  memberships {min(start + BATCH, len(pending))}/{len(pending)}")
    # Bulk rows send no signals and refresh no standing: the public credit lists are read afresh.
    credit_cache_bump()
