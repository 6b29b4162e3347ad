"""What procurement publishes: the announcement snapshot, result publicity (with the draw proof or ranking), termination and failure."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import override

from cms.services import notice_request

from ... import draw
from ...models import Project, SignUp
from ...scoring import score_parts
from ...selectors.scoring import proposal_marks

HOW_TO_OBJECT_RESULT = (
    "对中选结果有异议的，参与报名的机构可在公示期内通过本平台在线提出质疑；对答复不满意或项目业主逾期未答复的，"
    "可向监管部门投诉。抽取结果可凭公示的证明文件自行验证。"
)


def requirement_text(project: Project) -> str:
    """The qualification requirement in words, for notices."""
    reqs = [f"{r.qualification_type.name}{r.min_level.name}及以上" for r in project.requirements.all()]
    if not reqs:
        return "无资质要求"
    joiner = "或" if project.qualification_mode == Project.QualificationMode.ANY else "且"
    return joiner.join(reqs)


def project_snapshot(project: Project) -> dict[str, Any]:
    """What an announcement tells the public (project, buyer, quote band, method, deadline, qualification, draw commitment), as a snapshot."""
    return {
        "project": {
            "code": project.code,
            "name": project.name,
            "category": project.category.name,
            "content": project.content,
            "scale": project.scale,
            "budget": str(project.budget),
            "quote_kind": project.get_quote_kind_display(),
            "quote_floor": str(project.quote_floor),
            "quote_ceiling": str(project.quote_ceiling),
            "method": project.method,
            "method_label": str(Project.Method(project.method).label),
            "signup_deadline": timezone.localtime(project.signup_deadline).isoformat()
            if project.signup_deadline
            else "",
            "qualification": requirement_text(project),
            "min_signups": project.min_signups,
        },
        "buyer": {"name": project.buyer.name, "uscc": project.buyer.uscc},
        "draw": {"commitment": project.draw_commitment, "beacon": project.draw_beacon, "version": draw.VERSION}
        if project.method in (Project.Method.DRAW, Project.Method.PRICE)
        else {},
    }


def termination_payload(project: Project, reason: str, kind_label: str) -> dict[str, Any]:
    """What a termination (终止) or failure (流标) notice tells the public: the project and why it ended."""
    return {"title": f"{project.name}{kind_label}公告", "reason": reason, **project_snapshot(project)}


def termination_notice(project: Project, reason: str, kind_label: str) -> None:
    notice_request(
        kind="termination",
        source_key=f"project:{project.code}:termination",
        payload=termination_payload(project, reason, kind_label),
    )


def result_title(project: Project, winner: SignUp, *, step: int = 0) -> str:
    """A result notice's title, one of its own: the project, its method, and for a step-up the step, rank and day."""
    with override(settings.LANGUAGE_CODE):  # a notice is published in the platform's language
        method = str(Project.Method(project.method).label)
    title = f"{project.name}中选结果公示（{method}）"
    if step:
        title += f"（第 {step} 次递补：第 {winner.rank} 名，{timezone.localdate().isoformat()}）"
    return title


def result_payload(project: Project, winner: SignUp, ranking: list[SignUp], *, step: int = 0) -> dict[str, Any]:
    """What a result notice (中选结果公示) tells the public: the winner, the ranking (a scored comparison's
    parts too), where the draw proof is, and until when the result can be challenged."""
    parts = {}
    if project.method == Project.Method.SCORED and ranking and all(s.quote is not None for s in ranking):
        parts = score_parts(project, ranking, proposal_marks(ranking))
    return {
        "title": result_title(project, winner, step=step),
        **project_snapshot(project),
        "winner": {"name": winner.agency.name, "uscc": winner.agency.uscc, "quote": str(winner.quote)},
        "ranking": [
            {
                "rank": s.rank,
                "name": s.agency.name,
                "uscc": s.agency.uscc,
                "score": str(s.score or ""),
                **({"parts": parts[s.pk].as_json()} if s.pk in parts else {}),
            }
            for s in ranking
        ],
        "proof_url": f"/draws/{project.code}.json" if project.draw_proof else "",
        "publicity_ends_at": timezone.localtime(project.publicity_ends_at).isoformat()
        if project.publicity_ends_at
        else "",
        "how_to_object": HOW_TO_OBJECT_RESULT,
    }


def result_notice(project: Project, winner: SignUp, ranking: list[SignUp], *, step: int = 0) -> None:
    """中选结果公示, with the draw proof or the ranking (a scored comparison's parts too); a step-up publishes its own notice."""
    notice_request(
        kind="result",
        source_key=f"project:{project.code}:result:{step}",
        payload=result_payload(project, winner, ranking, step=step),
    )
