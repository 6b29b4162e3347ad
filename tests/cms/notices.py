"""Helpers for the notice tests: notice requests with realistic snapshots, published at once."""

from __future__ import annotations

import itertools

from django.utils import timezone

from cms.models import NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from cms.services import notice_request
from credit_rules.defaults import MEASURE_BASIS
from marketplace.validators import org_code_for_serial, uscc_build
from tests.helpers import days_ago

_serial = itertools.count(1)


def credit_payload(kind: str = "warning", *, name: str = "", uscc: str = "", summary: str = "") -> dict:
    """A credit-measure snapshot shaped like workflows.services.credit.entry_notice_payload."""
    n = next(_serial)
    uscc = uscc or uscc_build(region_code="441302", org_code=org_code_for_serial(n, "NT"))
    name = name or f"惠州测试评估咨询有限公司{n:04d}"
    title = {"warning": "信用警告", "suspension": "暂停入驻", "expulsion": "清退出市场", "red_list": "列入红名单"}.get(
        kind, "信用修复"
    )
    return {
        "title": f"{title}：{name}",
        "agency": {"name": name, "uscc": uscc},
        "entry_title": title,
        "points": -5,
        "rule_code": "CR-ESC-001",
        "basis": MEASURE_BASIS["suspend"],
        "evidence_summary": summary or "测绘成果精度不达标，经复核属实。",
        "starts_at": timezone.localdate().isoformat(),
        "ends_at": "",
        "how_to_object": "对本记录有异议的，可自公告之日起 30 日内提出异议。",
    }


def project_payload(kind: str = "announcement", *, name: str = "", code: str = "") -> dict:
    """A project snapshot shaped like workflows.services.projects.project_snapshot."""
    n = next(_serial)
    code = code or f"ZJCS-2026-{n:06d}"
    name = name or f"惠州市第{n}号道路工程造价咨询"
    suffix = {"announcement": "采购公告", "result": "中选结果公示", "contract": "合同公告"}.get(kind, "终止公告")
    return {
        "title": f"{name}{suffix}",
        "project": {
            "code": code,
            "name": name,
            "category": "工程造价咨询",
            "content": "编制施工图预算并审核结算。",
            "scale": "",
            "budget": "120000.00",
            "quote_kind": "金额",
            "quote_floor": "80000.00",
            "quote_ceiling": "120000.00",
            "method": "draw",
            "method_label": "随机抽取",
            "signup_deadline": "",
            "qualification": "无资质要求",
            "min_signups": 3,
        },
        "buyer": {
            "name": "惠州市住房和城乡建设局",
            "uscc": uscc_build(authority="1", kind="1", region_code="441300", org_code=org_code_for_serial(n, "BU")),
        },
        "draw": {},
    }


def publish(kind: str = "warning", *, payload: dict | None = None, moderated: bool = False, at=None) -> NoticePage:
    """Ask for a notice and run the outbox publisher at once (as the Celery task would)."""
    if payload is None:
        payload = (
            credit_payload(kind)
            if kind in ("warning", "suspension", "expulsion", "red_list", "repair")
            else project_payload(kind)
        )
    request = notice_request(kind=kind, source_key=f"test:{kind}:{next(_serial)}", payload=payload, moderated=moderated)
    page_id = notice_request_publish(request.pk)
    page = NoticePage.objects.get(pk=page_id)
    if at is not None:
        # Back-date the publication (lists order and filter by it).
        NoticePage.objects.filter(pk=page.pk).update(first_published_at=at, last_published_at=at)
        page.refresh_from_db()
    return page


def request_for(page: NoticePage) -> NoticeRequest:
    return NoticeRequest.objects.get(page_id=page.pk)


def import_many(count: int, kind: str = "warning", *, withdrawn: bool = False, start_days_ago: int = 1) -> list[int]:
    """Many live notices at once through the bulk importer (a real publish costs ~100 queries each)."""
    from cms.bulk import ImportedNotice, notice_pages_import

    notices = []
    for i in range(count):
        payload = (
            credit_payload(kind)
            if kind in ("warning", "suspension", "expulsion", "red_list", "repair")
            else project_payload(kind)
        )
        notices.append(
            ImportedNotice(
                kind=kind,
                source_key=f"import:{kind}:{next(_serial)}",
                payload=payload,
                published_at=days_ago(start_days_ago + i),
                withdrawn=withdrawn,
                withdrawn_reason="异议成立，已撤销" if withdrawn else "",
            )
        )
    return notice_pages_import(notices)
