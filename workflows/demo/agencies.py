"""Demo agencies (中介机构): plausible names, fields of service and licences, inserted in bulk."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from faker import Faker

from marketplace.models import Agency, Qualification, QualificationType, Region, ServiceCategory
from marketplace.validators import org_code_for_serial, uscc_build

# Agencies per transaction and rows per INSERT: a large seed commits in pieces and keeps memory flat.
BATCH = 5000

# Trade names (字号) and, per top-level category, the business phrase and legal form.
TRADE_NAMES = [
    "粤信",
    "恒基",
    "中正",
    "华诚",
    "德正",
    "弘达",
    "鹏程",
    "嘉信",
    "东江",
    "西湖",
    "罗浮",
    "南粤",
    "汇通",
    "博衡",
    "信达",
    "泰和",
    "广衡",
    "金鹏",
    "众联",
    "天衡",
    "正源",
    "宏图",
    "瑞丰",
    "诚安",
    "智远",
    "同创",
    "合力",
    "致远",
    "永信",
    "立信",
    "明正",
    "公信",
    "卓越",
    "中衡",
    "华粤",
    "新鸿",
    "海岳",
    "长青",
    "融信",
    "广正",
]
BUSINESS = {
    "ENG": ("工程咨询", "有限公司"),
    "AUD": ("工程造价咨询", "有限公司"),
    "DES": ("建筑设计院", "有限公司"),
    "SUR": ("测绘勘察", "有限公司"),
    "ENV": ("环境安全技术", "有限公司"),
    "VAL": ("房地产土地资产评估", "有限公司"),
    "TST": ("检测技术", "有限公司"),
    "LAW": ("律师事务所", ""),
    "SUP": ("工程监理", "有限公司"),
}
CITY_PREFIX = {"441300": "惠州市", "441302": "惠州市", "441303": "惠州市", "441322": "博罗县", "441323": "惠东县"}


def agency_rows(start: int, stop: int, fake: Faker, rng: random.Random) -> list[tuple[Agency, list[ServiceCategory]]]:
    """Agencies number ``start`` to ``stop`` (unsaved), each with the service categories it offers."""
    tops = list(ServiceCategory.objects.filter(parent=None).prefetch_related("children"))
    regions = list(Region.objects.filter(code__in=list(CITY_PREFIX)))
    rows = []
    for serial in range(start, stop):
        top = tops[serial % len(tops)]
        region = regions[serial % len(regions)]
        trade = TRADE_NAMES[serial % len(TRADE_NAMES)]
        phrase, form = BUSINESS[top.code]
        suffix = "" if serial < len(TRADE_NAMES) * len(tops) else f"（{serial // (len(TRADE_NAMES) * len(tops))}）"
        name = f"{CITY_PREFIX[region.code]}{trade}{phrase}{form}{suffix}"
        children = list(top.children.all())
        picked = rng.sample(children, k=min(len(children), 1 + serial % 3))
        agency = Agency(
            uscc=uscc_build(region_code=region.code, org_code=org_code_for_serial(serial, "MA")),
            name=name,
            region=region,
            address=f"{CITY_PREFIX[region.code]}{fake.street_name()}{fake.building_number()}号",
            contact_name=fake.name(),
            contact_phone=fake.phone_number(),
            legal_representative=fake.name(),
            introduction=f"{name}专业从事{'、'.join(c.name for c in picked)}等中介服务。",
        )
        rows.append((agency, picked))
    return rows


def agencies_seed(count: int, fake: Faker, rng: random.Random, progress: Callable[[str], None]) -> None:
    """Bulk-insert agencies with their categories and qualifications, skipping those already there."""
    for start in range(0, count, BATCH):
        stop = min(count, start + BATCH)
        agencies_insert(agency_rows(start, stop, fake, rng), first=start, rng=rng)
        progress(f"  agencies {stop}/{count}")


def agencies_insert(
    planned: list[tuple[Agency, list[ServiceCategory]]], *, first: int, rng: random.Random | None = None
) -> None:
    """Insert planned agencies (numbered from ``first``) not already there, with categories and licences."""
    rng = rng or random.Random(first)
    today = timezone.localdate()
    qtypes = {
        cat_id: qt
        for qt in QualificationType.objects.prefetch_related("categories", "levels")
        for cat_id in qt.categories.values_list("pk", flat=True)
    }
    levels = {qt.pk: list(qt.levels.all()) for qt in QualificationType.objects.prefetch_related("levels")}
    through = Agency.categories.through
    existing = set(Agency.objects.filter(uscc__in=[a.uscc for a, _ in planned]).values_list("uscc", flat=True))
    fresh = [(a, cats) for a, cats in planned if a.uscc not in existing]
    if not fresh:
        return
    with transaction.atomic():
        Agency.objects.bulk_create([a for a, _ in fresh], batch_size=BATCH)
        ids = dict(Agency.objects.filter(uscc__in=[a.uscc for a, _ in fresh]).values_list("uscc", "pk"))
        links, quals = [], []
        for serial_offset, (agency, cats) in enumerate(fresh):
            agency_id = ids[agency.uscc]
            seen_types = set()
            for cat in cats:
                links.append(through(agency_id=agency_id, servicecategory_id=cat.pk))
                qt = qtypes.get(cat.pk)
                if qt and qt.pk not in seen_types:
                    seen_types.add(qt.pk)
                    lvls = levels[qt.pk]
                    # A few licences have lapsed, so expiry visibly removes eligibility.
                    lapsed = (first + serial_offset) % 17 == 5
                    quals.append(
                        Qualification(
                            agency_id=agency_id,
                            qualification_type=qt,
                            level=lvls[(first + serial_offset) % len(lvls)],
                            certificate_no=f"{qt.code[2:]}-{agency.uscc[8:16]}",
                            issued_by=qt.issuing_body,
                            valid_until=today + datetime.timedelta(days=-20 if lapsed else 200 + rng.randint(0, 900)),
                        )
                    )
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        Qualification.objects.bulk_create(quals, batch_size=BATCH)
