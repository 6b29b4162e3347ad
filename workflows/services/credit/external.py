"""External dishonesty lists meet the marketplace: listed members are suspended, delisted ones restored."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from credit_rules.external import listings_import
from credit_rules.models import ExternalListImport
from credit_rules.services import (
    subject_for_agency,
)
from marketplace.models import Agency

from .measures import escalate, membership_sync


@transaction.atomic
def external_list_import(*, content: bytes, filename: str, actor=None) -> tuple[ExternalListImport, int]:
    """Import a list file (all or nothing) and apply it to the agencies it names; returns (batch, affected)."""
    batch, usccs = listings_import(content=content, filename=filename, actor=actor)
    now = timezone.now()
    affected = 0
    for agency in Agency.objects.filter(uscc__in=usccs):
        decision = escalate(
            subject=subject_for_agency(agency), transition="listing.recorded", context={}, actor=actor, at=now
        )
        if decision.measures:
            affected += 1
            membership_sync(agency, at=now)
    return batch, affected
