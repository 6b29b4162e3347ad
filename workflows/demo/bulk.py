"""Bulk admission for ``seed_demo --scale N``: thousands of agencies admitted as members at once."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from credit_rules.models import CommitmentLetter, CreditSubject
from marketplace.models import Agency

from ..models import Membership
from .agencies import BATCH


def members_bulk_admit(exclude: set[int], progress: Callable[[str], None]) -> None:
    """Every other demo agency is an admitted member with a credit subject (bulk, for scale)."""
    letter = CommitmentLetter.objects.order_by("-version").first()
    assert letter is not None, "the commitment letter is installed by migration credit_rules 0002"
    now = timezone.now()
    ids = list(
        Agency.objects.exclude(pk__in=exclude)
        .exclude(memberships__isnull=False)
        .order_by("pk")
        .values_list("pk", "uscc", "name")
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            Membership.objects.bulk_create(
                [
                    Membership(
                        agency_id=pk,
                        state=Membership.State.ACTIVE,
                        statement="依法诚信执业，按约定时限和质量提交服务成果。",
                        commitment=letter,
                        commitment_digest=letter.digest,
                        commitment_accepted_at=now - datetime.timedelta(days=30 + pk % 700),
                        submitted_at=now - datetime.timedelta(days=30 + pk % 700),
                        decided_at=now - datetime.timedelta(days=28 + pk % 700),
                        member_since=now - datetime.timedelta(days=28 + pk % 700),
                        term_until=(now + datetime.timedelta(days=365 * 3 - pk % 700)).date(),
                    )
                    for pk, _uscc, _name in chunk
                ],
                batch_size=BATCH,
            )
            CreditSubject.objects.bulk_create(
                [CreditSubject(kind="agency", agency_id=pk, uscc=uscc, name=name) for pk, uscc, name in chunk],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
        progress(f"  memberships {min(start + BATCH, len(ids))}/{len(ids)}")
