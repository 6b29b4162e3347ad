"""Publishing a credit policy version from the what-if page: the credit office's act, applied at once.

``policy_version_publish`` publishes the draft with effect from now, rewrites every cached standing under it and
runs the credit sweep's grade reviews (the grade D restriction and its end), so what the what-if showed for this
moment is what the ledger and the memberships say when the page returns.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import PolicyVersion
from credit_rules.policy import policy_publish
from credit_rules.standing import standing_refresh_all
from marketplace.authority import is_credit_office
from marketplace.errors import ApplicationError, NotPermitted

from .sweeps import grade_d_restrictions_begin, restrictions_end


def policy_version_publish(*, version: PolicyVersion, actor, at: datetime.datetime | None = None) -> dict[str, int]:
    """Publish ``version`` in force from ``at`` (now), refresh the standings and review the grades.

    Only the platform credit office publishes (as in the admin); a published version is refused.
    Returns how many standings were rewritten and how many members were restricted and unrestricted.
    """
    if not is_credit_office(actor):
        raise NotPermitted(_("只有平台信用管理部门可以发布信用政策。"))
    if PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=False).exists():
        raise ApplicationError(_("该政策版本已发布，不能再次发布。"))
    at = at or timezone.now()
    policy_publish(version=version, effective_from=at)
    return {
        "standings": standing_refresh_all(at),
        "restricted": grade_d_restrictions_begin(at),
        "unrestricted": restrictions_end(at),
    }
