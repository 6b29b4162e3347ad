"""Exit (退出) rules: voluntary withdrawal waits until open engagements are finished."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import CREDIT_BASED_SUPERVISION, cite
from .base import Facts, Outcome, refuse, rule


@rule(
    code="CR-EXIT-001",
    title=_("在办项目未完结"),
    transitions={"membership.withdraw"},
    basis=cite(
        _(
            "%(supervision)s：市场主体作出信用承诺，违背承诺的记入信用记录（入驻时的信用承诺书包括按合同履行在办项目）。申请退出前应当履行完毕在办项目，由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("贵机构尚有 %(open)s 个在办项目未完结，完结后方可申请退出。"),
)
def open_engagements(f: Facts) -> Outcome | None:
    """Voluntary exit is refused while engagements are open."""
    count = int(f.context.get("open_engagements", 0))
    if count > 0:
        return refuse(open=count)
    return None
