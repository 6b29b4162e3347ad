"""docs/architecture.md ("Query budgets") states the budget of each signed-in page that the tests hold it to."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import NoReverseMatch, reverse

from tests.query_budgets import BUDGETS

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
ROW = re.compile(r"^\| `[^`]+` \| `(?P<name>[a-z-]+)` \| (?P<budget>\d+) \|", re.MULTILINE)


def _documented() -> dict[str, int]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Query budgets", 1)[1].split("\n## ", 1)[0]
    return {m["name"]: int(m["budget"]) for m in ROW.finditer(section)}


def test_the_documented_budgets_are_the_tested_ones():
    assert _documented() == BUDGETS


def test_every_budget_names_a_page():
    for name in BUDGETS:
        try:
            reverse(name)
        except NoReverseMatch:
            reverse(name, kwargs={"code": "ZJCS-2026-000001"})
