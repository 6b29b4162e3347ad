"""The words of every notification, rendered from its kind and parameters in the active language.

Messages are stored as a kind and parameters, not as text, so the inbox shows them in the reader's
language; e-mail and SMS are rendered in the platform's language when sent. Deadlines are shown in
local time.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit_rules.models import MeasureKind

from ...models import Notification

# What each reminder asks the person to do before its deadline.
REMINDER_ACTIONS = {
    "confirm_win": gettext_lazy("确认中选"),
    "contract_upload": gettext_lazy("上传签约合同"),
    "deliver": gettext_lazy("提交服务成果"),
    "case_response": gettext_lazy("陈述申辩"),
    "buyer_contract": gettext_lazy("签订合同"),
    "acceptance": gettext_lazy("验收服务成果"),
    "rating": gettext_lazy("评价服务"),
    "payment": gettext_lazy("支付服务费"),
    "after_measure": gettext_lazy("决定是否继续服务"),
}


def local_time(at: datetime.datetime | None) -> str:
    """A moment as people read it here: local date and time to the minute."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def _measure(params: dict) -> str:
    code = params.get("measure", "")
    return str(MeasureKind(code).label) if code in MeasureKind.values else _("信用惩戒措施")


def notification_text(notification: Notification) -> tuple[str, str]:
    """The title and body of a notification, in the active language."""
    p = notification.params
    due = local_time(notification.deadline)
    kind = notification.kind
    if kind == Notification.Kind.WIN:
        title = _("中选通知：%(project)s") % {"project": p.get("project", "")}
        body = _("贵机构已中选项目 %(project)s。请在 %(due)s 前确认中选，逾期未确认视为放弃，将影响信用。") % {
            "project": p.get("project", ""),
            "due": due,
        }
    elif kind == Notification.Kind.REMINDER:
        action = str(REMINDER_ACTIONS.get(p.get("action", ""), p.get("action", "")))
        title = _("期限提醒：%(action)s（%(about)s）") % {"action": action, "about": p.get("about", "")}
        body = _("%(about)s：请在 %(due)s 前%(action)s。逾期将记入信用记录。") % {
            "about": p.get("about", ""),
            "due": due,
            "action": action,
        }
    elif kind == Notification.Kind.MEASURE_NOTICE:
        measure = _measure(p)
        title = _("信用惩戒告知书：拟采取%(measure)s") % {"measure": measure}
        body = _(
            "平台拟对贵机构采取%(measure)s。贵机构可在 %(due)s 前陈述申辩；逾期未陈述申辩的，措施将按告知内容实施。"
        ) % {"measure": measure, "due": due}
    elif kind == Notification.Kind.OBJECTION_DECIDED:
        outcome = _("异议成立，该记录已撤销") if p.get("overturned") else _("异议不成立，维持该记录")
        title = _("异议处理结果：%(entry)s") % {"entry": p.get("entry", "")}
        body = _("您对「%(entry)s」提出的异议已处理：%(outcome)s。") % {"entry": p.get("entry", ""), "outcome": outcome}
    elif kind == Notification.Kind.REPAIR_DECIDED:
        outcome = _("准予修复，该记录不再计分，公示已撤销") if p.get("approved") else _("不予修复")
        title = _("信用修复审核结果：%(entry)s") % {"entry": p.get("entry", "")}
        body = _("您对「%(entry)s」的信用修复申请已审核：%(outcome)s。") % {
            "entry": p.get("entry", ""),
            "outcome": outcome,
        }
    elif kind == Notification.Kind.IDENTITY_DECIDED:
        if p.get("verified"):
            title = _("身份核验已通过")
            body = _("贵机构的营业执照已核验通过，机构已列入公开名录，可以在工作台填写入驻申请。")
        else:
            title = _("身份核验未通过")
            body = _("贵机构的营业执照未通过核验，理由：%(reason)s。请在工作台按理由重新上传营业执照。") % {
                "reason": p.get("reason", "")
            }
    elif kind == Notification.Kind.DORMANCY_PROMPT:
        title = _("长期无业务提示")
        body = _(
            "贵机构自 %(since)s 起已满 %(months)s 个月无报名、服务或续期记录。请在 %(due)s 前参与项目报名或办理续期；"
            "逾期仍无业务的，将按平台政策退出中介超市（不属于失信惩戒，不影响信用记录）。"
        ) % {"since": p.get("since", ""), "months": p.get("months", ""), "due": due}
    elif kind == Notification.Kind.DORMANCY_EXIT:
        title = _("长期无业务退出")
        body = _(
            "贵机构自 %(since)s 起无业务，经 %(prompted)s 提示后逾期仍无业务，已按平台政策退出中介超市。"
            "本次退出不属于失信惩戒，不影响信用记录，可随时重新申请入驻。"
        ) % {"since": p.get("since", ""), "prompted": p.get("prompted", "")}
    else:  # REPAIRABLE
        title = _("信用修复提醒函：%(entry)s") % {"entry": p.get("entry", "")}
        body = _("贵机构的记录「%(entry)s」已满最短公示期限，整改完毕并履行义务后可申请信用修复。") % {
            "entry": p.get("entry", "")
        }
    return title, body
