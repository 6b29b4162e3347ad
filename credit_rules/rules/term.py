"""The membership term (入驻有效期): a membership past its term without renewal stops trading."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..citations import BUSINESS_ENVIRONMENT_REGULATION, cite
from .base import Facts, Outcome, fmt_date, refuse, rule
from .selection import AFTER_AWARD, POOL

# The credit sweep's review of a membership whose term may have ended (the lapse follows a refusal here).
TERM_ENDED = "membership.term_ended"


@rule(
    code="CR-ONB-007",
    title=_("入驻有效期届满"),
    transitions=POOL | AFTER_AWARD | {TERM_ENDED},
    basis=cite(
        _(
            "%(environment)s：维护公开、公平的中介服务市场。报名、中选和签约的须为入驻有效期内的机构；入驻有效期及续期由部署地中介超市管理办法规定。"
        ),
        environment=BUSINESS_ENVIRONMENT_REGULATION,
    ),
    message=_("贵机构入驻有效期已于 %(until)s 届满，续期前不得报名、中选或签约；可在“入驻申请”页面申请续期。"),
)
def term_ended(f: Facts) -> Outcome | None:
    """A membership whose term (入驻有效期至, a date, inclusive) has passed without renewal does not trade."""
    until = f.context.get("term_until")
    if isinstance(until, str):
        until = datetime.date.fromisoformat(until)
    if until and until < timezone.localtime(f.at).date():
        return refuse(until=fmt_date(until))
    return None
