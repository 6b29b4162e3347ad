"""The SVG chart helper (workflows.charts), as the pure functions it is: well-formed, accessible SVG
whose bars carry their numbers, escaped texts, stacked and grouped bars in proportion, nice scales and
number formats."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from tests.helpers import SVG, svg_bars
from workflows.views.charts import (
    Chart,
    Series,
    bar_chart,
    compact_format,
    grouped_bar_chart,
    money_format,
    nice_scale,
    stacked_bar_chart,
)

# --- charts ------------------------------------------------------------------


def _parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg()))


def test_bar_chart_is_well_formed_svg_with_an_accessible_name():
    # given a one-series chart
    chart = bar_chart(chart_id="grades", title="信用等级分布", desc="各等级机构数。", labels=["A", "B"], values=[3, 1])
    # when it is drawn
    root = _parse(chart)
    # then it is an image named by its own title and description
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.attrib["aria-labelledby"].split() == [title.attrib["id"], desc.attrib["id"]]
    assert title.text == "信用等级分布"
    assert desc.text.startswith("各等级机构数。") and "A：3" in desc.text and "B：1" in desc.text
    # and one bar per label, carrying its number, with a tooltip
    assert [r.attrib["data-value"] for r in svg_bars(root)] == ["3", "1"]
    assert [r.find(f"{SVG}title").text for r in svg_bars(root)] == ["A：3", "B：1"]


def test_every_text_is_escaped():
    # given names that would break markup
    nasty = '<script>alert("x")</script> & 公司'
    chart = grouped_bar_chart(
        chart_id='c"><x',
        title=nasty,
        desc=nasty,
        labels=[nasty],
        series=[Series(nasty, (1,)), Series("b", (2,))],
        unit=nasty,
    )
    raw = str(chart.svg())
    # when parsed, then nothing was injected and the texts come back intact
    root = ET.fromstring(raw)
    assert "<script" not in raw
    assert root.find(f"{SVG}title").text == nasty
    assert root.attrib["id"] == 'c"><x'
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))


def test_stacked_bars_add_up_and_reach_the_total():
    # given two labels with three stacked series
    chart = stacked_bar_chart(
        chart_id="m",
        title="t",
        desc="d",
        labels=["1月", "2月"],
        series=[Series("警告", (3, 0)), Series("暂停", (1, 2)), Series("清退", (4, 0))],
    )
    root = _parse(chart)
    rects = svg_bars(root)
    # then each label has one segment per series, stacked without gaps
    first = sorted((r for r in rects if r.attrib["data-label"] == "0"), key=lambda r: -float(r.attrib["y"]))
    assert [r.attrib["data-value"] for r in first] == ["3", "1", "4"]
    for lower, upper in zip(first, first[1:], strict=False):
        assert float(upper.attrib["y"]) + float(upper.attrib["height"]) == pytest.approx(
            float(lower.attrib["y"]), abs=0.11
        )
    # and heights are proportional to the values (8 against 2)
    height = {label: sum(float(r.attrib["height"]) for r in rects if r.attrib["data-label"] == label) for label in "01"}
    assert height["0"] / height["1"] == pytest.approx(4, rel=0.01)
    # and the table and totals carry the same numbers
    assert [(r.label, r.values, r.total) for r in chart.table_rows()] == [
        ("1月", ("3", "1", "4"), "8"),
        ("2月", ("0", "2", "0"), "2"),
    ]
    assert chart.shows_total
    assert root.find(f"{SVG}g[@class='legend']") is not None


def test_grouped_bars_sit_side_by_side():
    chart = grouped_bar_chart(
        chart_id="awards",
        title="中选金额与预算金额",
        desc="d",
        labels=["2026-01", "2026-02"],
        series=[Series("预算", (Decimal("80000"), Decimal("0"))), Series("中选", (Decimal("47000"), Decimal("0")))],
        value_format=money_format,
        integer=False,
    )
    rects = svg_bars(_parse(chart))
    assert len(rects) == 4
    budget, award = (r for r in rects if r.attrib["data-label"] == "0")
    assert float(award.attrib["x"]) > float(budget.attrib["x"])
    assert float(budget.attrib["height"]) / float(award.attrib["height"]) == pytest.approx(80 / 47, rel=0.01)
    assert not chart.shows_total
    assert chart.table_rows()[0].values == ("80,000.00", "47,000.00")


def test_empty_data_still_draws_an_axis():
    chart = stacked_bar_chart(chart_id="z", title="t", desc="d", labels=["a", "b"], series=[Series("s", (0, 0))])
    root = _parse(chart)
    assert all(float(r.attrib["height"]) == 0 for r in svg_bars(root))
    assert len(list(root.iter(f"{SVG}line"))) >= 2


def test_bar_colours_and_mismatched_series_are_checked():
    chart = bar_chart(
        chart_id="g", title="t", desc="d", labels=["A", "D"], values=[1, 2], bar_colors=("#111111", "#222222")
    )
    assert [r.attrib["fill"] for r in svg_bars(_parse(chart))] == ["#111111", "#222222"]
    with pytest.raises(ValueError):
        stacked_bar_chart(chart_id="x", title="t", desc="d", labels=["a", "b"], series=[Series("s", (1,))])
    with pytest.raises(ValueError):
        bar_chart(chart_id="g", title="t", desc="d", labels=["A"], values=[1], bar_colors=("#1", "#2"))


@pytest.mark.parametrize(
    ("peak", "integer", "expected"),
    [
        (0, True, (4.0, 1.0)),
        (3, True, (3.0, 1.0)),
        (7, True, (8.0, 2.0)),
        (40, True, (40.0, 10.0)),
        (197000, False, (200000.0, 50000.0)),
        (0.9, False, (1.0, 0.25)),
        (1, True, (1.0, 1.0)),
    ],
)
def test_nice_scale(peak, integer, expected):
    assert nice_scale(peak, integer=integer) == expected


def test_number_formats():
    assert money_format(Decimal("197000")) == "197,000.00"
    assert compact_format(200000.0) == "20万"
    assert compact_format(12000) == "1.2万"
    assert compact_format(2.5) == "2.5"
    assert compact_format(40) == "40"


def test_axis_numbers_count_in_wan_only_in_chinese():
    from django.utils import translation

    with translation.override("en"):
        assert compact_format(200000.0) == "200k"
        assert compact_format(12000) == "12k"
        assert compact_format(30_000_000) == "30M"
        assert compact_format(40) == "40"
    with translation.override("zh-hans"):
        assert compact_format(30_000_000) == "3,000万"
