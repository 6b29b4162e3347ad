"""Login throttling as the operator sees it: which sign-ins django-axes has locked, and unlocking one.

The lockouts themselves are django-axes' (``AXES_*`` in settings): the login backend counts failures
per username and address and refuses a locked pair before any password is checked.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lockout:
    username: str
    failures: int
    last_attempt: datetime.datetime
    until: datetime.datetime


def lockout_list(limit: int = 200) -> list[Lockout]:
    """Usernames locked now (failures at the limit within the cool-off), most recent first; one query."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")[:limit]
    )
    return [
        Lockout(row["username"], row["failures"], row["last"], row["last"] + settings.AXES_COOLOFF_TIME) for row in rows
    ]


def lockout_clear(*, username: str, actor) -> int:
    """Unlock every address's attempts for ``username``; returns how many attempt rows were cleared."""
    cleared = reset(username=username)
    logger.info("login lockout of %r cleared by %s (%d attempt rows)", username, actor, cleared)
    return cleared
