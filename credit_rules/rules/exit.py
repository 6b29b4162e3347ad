"""Exit (退出) rules: voluntary withdrawal waits until open engagements are finished."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Facts, Outcome, refuse, rule


@rule(
    code="CR-EXIT-001",
    title=_("在办项目未完结"),
    transitions={"membership.withdraw"},
    basis=_("《中介服务网上交易平台管理办法》第三十四条：机构申请退出的，应当先履行完毕在办项目。"),
    message=_("贵机构尚有 %(open)s 个在办项目未完结，完结后方可申请退出。"),
)
def open_engagements(f: Facts) -> Outcome | None:
    """Voluntary exit is refused while engagements are open."""
    count = int(f.context.get("open_engagements", 0))
    if count > 0:
        return refuse(open=count)
    return None
