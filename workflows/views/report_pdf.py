"""The monthly operations report as a PDF (reportlab), in the reader's language.

Chinese is set in reportlab's built-in CID font STSong-Light (Adobe's Asian font pack names it; readers
supply the glyphs), so no font file is embedded or shipped.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..models import MonthlyReport

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _table(header: list[str], rows: list[list[Any]]) -> Table:
    table = Table([header, *[[str(v) for v in row] for row in rows]], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a94a6")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def report_pdf_bytes(report: MonthlyReport, rows: dict[str, Any]) -> bytes:
    """The report's tables as a PDF document."""
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    month = f"{report.month:%Y-%m}"
    story: list[Any] = [
        Paragraph(_("中介超市月度运营报告（%(month)s）") % {"month": month}, title),
        Paragraph(
            _("生成时间：%(at)s") % {"at": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")}, body
        ),
        Spacer(1, 4 * mm),
        Paragraph(_("一、项目、金额与节约（按选取方式）"), heading),
        _table(
            [
                _("选取方式"),
                _("发布"),
                _("报名截止"),
                _("报名数"),
                _("平均报名"),
                _("完成选取"),
                _("流标"),
                _("预算金额（元）"),
                _("中选金额（元）"),
                _("节约率"),
            ],
            [
                [
                    m["label"],
                    m["published"],
                    m["closed"],
                    m["signups"],
                    m["signups_per_project"] or "—",
                    m["awarded"],
                    m["failed"],
                    m["budget_text"],
                    m["amount_text"],
                    m["saving_rate_text"],
                ]
                for m in [*rows["methods"], rows["total"]]
            ],
        ),
        Paragraph(_("二、中选集中度"), heading),
        Paragraph(
            _("中选机构 %(n)s 家；前五名份额 %(share)s；HHI 指数 %(hhi)s。")
            % {"n": rows["concentration"]["agencies"], "share": rows["top_share"], "hhi": rows["hhi"]},
            body,
        ),
    ]
    if rows["top"]:
        story.append(
            _table(
                [_("机构名称"), _("统一社会信用代码"), _("中选项目"), _("中选金额（元）"), _("份额")],
                [[t["name"], t["uscc"], t["awards"], t["amount_text"], t["share_text"]] for t in rows["top"]],
            )
        )
    story += [
        Paragraph(_("三、奖惩措施"), heading),
        _table([_("类型"), _("数量")], [list(r) for r in rows["ladder"]]),
        Paragraph(_("四、质疑、投诉与异议"), heading),
        _table([_("类别"), _("受理"), _("成立"), _("不成立")], [list(r) for r in rows["complaints"]]),
        Paragraph(_("五、办理时长（平均）"), heading),
        _table([_("事项"), _("平均用时")], [list(r) for r in rows["response"]]),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"{month}", leftMargin=15 * mm, rightMargin=15 * mm)
    doc.build(story)
    return out.getvalue()
