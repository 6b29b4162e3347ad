"""Public draw verification pages (docs/draw.md): the proof as JSON, a project's draw page, a paste-in verifier, the spec.

No login: anyone may recompute a draw. The pages show organisations (USCC and name) only; the
proof holds no quotes and no natural persons, and a project's secret is never read before the
draw has published it in the proof.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.boundedjson import JsonRefused, bounded_loads
from marketplace.forms import PlainForm

from .. import draw
from ..markdown_subset import markdown_html
from ..models import Project

# The published specification of the draw, served as it stands in the repository.
SPEC_PATH = settings.BASE_DIR / "docs" / "draw.md"

# Projects the public can see: everything after the operator's review published them.
UNPUBLISHED_STATES = (Project.State.DRAFT, Project.State.PENDING_REVIEW, Project.State.RETURNED)


def project_for_draw_page(code: str) -> Project:
    """The published project with this code, with what its draw page shows (never its stored secret)."""
    project = (
        Project.objects.select_related("buyer", "category")
        .exclude(state__in=UNPUBLISHED_STATES)
        .only(
            "code",
            "name",
            "state",
            "method",
            "draw_commitment",
            "draw_beacon",
            "draw_proof",
            "signup_deadline",
            "buyer__name",
            "buyer__uscc",
            "category__name",
            "category__name_en",
        )
        .filter(code=code)
        .first()
    )
    if project is None:
        raise Http404(_("没有这个项目的抽取信息。"))
    return project


@dataclass(frozen=True)
class RankRow:
    """One line of a ranking as the pages show it."""

    place: int
    uscc: str
    name: str
    is_winner: bool


def ranking_context(proof, result: draw.VerifyResult) -> dict:
    """The proof's ranking with names and, when it differs, the recomputed one; nothing for an unreadable proof."""
    if not result.ranking:  # unreadable proof: nothing trustworthy to list
        return {"readable": False}
    names = {member["uscc"]: member["name"] for member in proof["pool"]}

    def rows(ranked: list[str]) -> list[RankRow]:
        return [RankRow(place, uscc, names.get(uscc, ""), place == 1) for place, uscc in enumerate(ranked, start=1)]

    recomputed = rows(result.ranking) if result.ranking != proof["ranking"] else []
    return {"readable": True, "rows": rows(proof["ranking"]), "recomputed_rows": recomputed}


def proof_json_text(proof) -> str:
    """The proof as published: UTF-8 JSON with Chinese names kept readable."""
    return json.dumps(proof, ensure_ascii=False, indent=2)


@require_GET
def draw_proof_json(request: HttpRequest, code: str) -> HttpResponse:
    """The project's draw proof, exactly as stored, for anyone to download and recompute."""
    project = project_for_draw_page(code)
    if not project.draw_proof:
        raise Http404(_("该项目尚未抽取。"))
    response = HttpResponse(proof_json_text(project.draw_proof).encode("utf-8"), content_type="application/json")
    # Public data: independent verifiers may fetch it from their own pages.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def draw_proof(request: HttpRequest, code: str) -> HttpResponse:
    """A project's draw: commitment, pool, seed, ranking, the server's check and the reader's own check."""
    project = project_for_draw_page(code)
    if not project.draw_proof and not project.draw_commitment:
        raise Http404(_("该项目不采用随机抽取。"))
    context: dict = {"project": project}
    if project.draw_proof:
        result = draw.proof_verify(
            project.draw_proof,
            expected_commitment=project.draw_commitment,
            expected_project_code=project.code,
            expected_beacon=project.draw_beacon,
        )
        context.update(proof=project.draw_proof, result=result, **ranking_context(project.draw_proof, result))
    return render(request, "workflows/public_draw_proof.html", context)


class DrawVerifyForm(PlainForm):
    """Any proof JSON, pasted or uploaded, and optionally the commitment the announcement published."""

    proof_text = forms.CharField(
        label=gettext_lazy("证明 JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "mono"}),
        help_text=gettext_lazy("粘贴结果公告所附的抽取证明；也可以在下方上传下载的 .json 文件。"),
    )
    proof_file = forms.FileField(label=gettext_lazy("或上传证明文件"), required=False)
    commitment = forms.CharField(
        label=gettext_lazy("公告中的承诺值（可选）"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("采购公告发布时公布的 64 位十六进制承诺值；填写后将核对证明是否与之一致。"),
    )

    def clean_commitment(self) -> str:
        value = "".join(self.cleaned_data["commitment"].split()).lower()
        if value and not draw.HEX64.fullmatch(value):
            raise forms.ValidationError(_("承诺值应为 64 位十六进制字符。"))
        return value

    def clean_proof_file(self):
        upload = self.cleaned_data["proof_file"]
        if upload and upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件过大：%(size).1f MB，上限为 %(limit).1f MB。")
                % {"size": upload.size / 1048576, "limit": settings.MAX_UPLOAD_BYTES / 1048576}
            )
        return upload

    def clean(self):
        data = super().clean()
        text, upload = (data.get("proof_text") or "").strip(), data.get("proof_file")
        if self.errors:
            return data
        if bool(text) == bool(upload):
            raise forms.ValidationError(_("请粘贴证明 JSON，或上传证明文件（二者选一）。"))
        if upload:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("文件不是 UTF-8 编码的文本。"))
        try:
            data["proof"] = bounded_loads(text)
        except JsonRefused as exc:
            raise forms.ValidationError(str(exc))
        return data


@require_http_methods(["GET", "POST"])
def draw_verify(request: HttpRequest) -> HttpResponse:
    """Verify any proof JSON: on the server with ``proof_verify`` and again in the reader's browser."""
    bound = request.method == "POST"
    form = DrawVerifyForm(request.POST if bound else None, request.FILES if bound else None)
    context: dict = {"form": form}
    if bound and form.is_valid():
        proof = form.cleaned_data["proof"]
        result = draw.proof_verify(proof, expected_commitment=form.cleaned_data["commitment"] or None)
        context.update(
            proof=proof, result=result, announced=form.cleaned_data["commitment"], **ranking_context(proof, result)
        )
    return render(request, "workflows/public_draw_verify.html", context)


def spec_text() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


@require_GET
def draw_spec(request: HttpRequest) -> HttpResponse:
    """docs/draw.md, the draw's specification with its test vectors, as a page of the site."""
    return render(request, "workflows/public_draw_spec.html", {"spec_html": markdown_html(spec_text(), shift=1)})


@require_GET
def draw_spec_text(request: HttpRequest) -> HttpResponse:
    """docs/draw.md exactly as the repository holds it."""
    return HttpResponse(spec_text().encode("utf-8"), content_type="text/markdown; charset=utf-8")
