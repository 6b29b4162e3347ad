"""The public notice of a supervisor's decision on a complaint (投诉处理决定公告): organisations only, never
a natural person's name, phone or ID number."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request
from marketplace.errors import ApplicationError
from marketplace.personal_data import personal_data_problem

from ...models import Challenge, ServiceComplaint
from ..procurement.notices import project_snapshot

RESULT_CHALLENGE_ONLINE = "对中选结果有异议的，参与报名的机构可在公示期内通过本平台在线提出质疑；对答复不满意或项目业主逾期未答复的，可向监管部门投诉。抽取结果可凭公示的证明文件自行验证。"


def reasons_check(reasons: str) -> None:
    """A decision's reasons are published: they must be given, and carry no personal data of natural persons."""
    if not reasons.strip():
        raise ApplicationError({"reasons": _("请填写处理理由，理由将随决定公告。")})
    problem = personal_data_problem(reasons)
    if problem:
        raise ApplicationError({"reasons": problem})


def challenge_decision_notice(challenge: Challenge) -> None:
    """Publish the decision on a complaint about a selection result."""
    project = challenge.project
    upheld = challenge.state == Challenge.State.UPHELD
    notice_request(
        kind="complaint_decision",
        source_key=f"challenge:{challenge.pk}:decision",
        payload={
            "title": f"{project.name}投诉处理决定公告",
            **project_snapshot(project),
            "winner": {"name": challenge.winner.agency.name, "uscc": challenge.winner.agency.uscc},
            "complainant": {"name": challenge.agency.name, "uscc": challenge.agency.uscc},
            "complaint_subject": "中选结果",
            "decision": "投诉成立，撤销中选资格" if upheld else "投诉不成立，维持中选结果",
            "decision_reasons": challenge.decision_reasons,
            "decided_on": timezone.localdate(challenge.decided_at).isoformat() if challenge.decided_at else "",
        },
    )


def service_decision_notice(complaint: ServiceComplaint) -> None:
    """Publish the decision on a complaint about an agency's service; the complainant is named only as a unit or "公众"."""
    upheld = complaint.state == ServiceComplaint.State.UPHELD
    payload = {
        "title": f"{complaint.agency.name}服务投诉处理决定公告",
        "agency": {"name": complaint.agency.name, "uscc": complaint.agency.uscc},
        "complainant": {"name": complaint.buyer.name, "uscc": complaint.buyer.uscc}
        if complaint.buyer
        else {"name": "公众", "uscc": ""},
        "complaint_subject": "服务质量",
        "decision": "投诉成立，记入质量投诉" if upheld else "投诉不成立",
        "decision_reasons": complaint.decision_reasons,
        "decided_on": timezone.localdate(complaint.decided_at).isoformat() if complaint.decided_at else "",
    }
    if complaint.project is not None:
        payload["service_project"] = {"code": complaint.project.code, "name": complaint.project.name}
    notice_request(kind="complaint_decision", source_key=f"service-complaint:{complaint.pk}:decision", payload=payload)
