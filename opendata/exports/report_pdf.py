"""The credit report as a PDF (reportlab): the facts a report states, its verification URL and digest.

Chinese is set in reportlab's built-in CID font STSong-Light (no font file); the verification URL, the report
id and the digest are set in Courier so they read as plain text in the file. The labels are in the reader's
language; the facts are as recorded.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credit_rules.models import MeasureKind
from credit_rules.selectors import EntryStatus

FONT = "STSong-Light"
MONO = "Courier"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=11)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1, spaceAfter=4 * mm)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)
_CODE = ParagraphStyle("code", fontName=MONO, fontSize=8, leading=11)


def _p(text, style=_BODY) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "—")), style)


def _table(header: list[str] | None, rows: list[list], widths: list[float]) -> Table:
    head = [[_p(h, _SMALL) for h in header]] if header else []
    data = head + [[_p(v, _SMALL) for v in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1 if header else 0, 0 if header else -1), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _status(value: str) -> str:
    return str(EntryStatus(value).label) if value in EntryStatus.values else value


def _measure(value: str) -> str:
    return str(MeasureKind(value).label) if value in MeasureKind.values else value


def report_pdf(facts: dict, verify_url: str, facts_digest: str) -> bytes:
    """The report's PDF bytes for ``facts`` (``report_facts.report_facts``)."""
    organisation, standing, policy = facts["organisation"], facts["standing"], facts["policy"]
    story: list = [_p(_("中介机构信用报告"), _TITLE)]
    summary = [
        [_("机构名称"), organisation["name"]],
        [_("统一社会信用代码"), organisation["uscc"]],
        [_("所在地区"), organisation["region"] or "—"],
        [_("信用等级"), standing["grade"]],
        [_("信用分"), standing["score"]],
        [_("信用政策版本"), _("第 %(version)s 版") % {"version": policy["version"]}],
        [_("生成时间"), facts["generated_at"]],
    ]
    if policy["demonstration"]:
        summary.append([_("说明"), _("平台现行信用政策为示范政策。")])
    story.append(_table(None, summary, [45, 125]))

    story.append(_p(_("正在执行的信用措施"), _HEADING))
    if facts["measures"]:
        rows = [
            [m["label"], m["title"], m["starts"], m["ends"] or _("至解除之日"), m["rule_code"] or "—"]
            for m in facts["measures"]
        ]
        story.append(
            _table([_("措施"), _("事项"), _("起始日期"), _("截止日期"), _("规则代码")], rows, [22, 70, 25, 25, 28])
        )
    else:
        story.append(_p(_("无。")))

    story.append(_p(_("公开信用记录"), _HEADING))
    if facts["records"]:
        rows = [
            [
                r["date"],
                r["title"] + (f"（{_measure(r['measure'])}）" if r["measure"] else ""),
                "—" if r["points"] is None else f"{r['points']:+d}",
                r["expires"] or "—",
                r["rule_code"] or "—",
                _status(r["status"]),
            ]
            for r in facts["records"]
        ]
        header = [_("日期"), _("事项"), _("分值"), _("有效期至"), _("规则代码"), _("状态")]
        story.append(_table(header, rows, [22, 70, 14, 22, 24, 18]))
    else:
        story.append(_p(_("无。")))

    story.append(_p(_("验证"), _HEADING))
    story.append(
        _p(
            _(
                "本报告的内容摘要和文件摘要已在平台登记。任何人可在下列网址上传本 PDF 或输入摘要，核对报告是否由平台签发及其载明的信息。"
            )
        )
    )
    story.append(Spacer(1, 2 * mm))
    story.append(_p(_("报告编号"), _SMALL))
    story.append(_p(facts["report_id"], _CODE))
    story.append(_p(_("验证网址"), _SMALL))
    story.append(_p(verify_url, _CODE))
    story.append(_p(_("报告内容 SHA-256"), _SMALL))
    story.append(_p(facts_digest, _CODE))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("中介机构信用报告"),
        pageCompression=0,
    )
    document.build(story)
    return buffer.getvalue()
