"""The SVG chart module on its own: scales, empty data, one week, many weeks, long labels, direction."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET  # parses our own SVG, never outside input

import pytest

from checkin.charts import (
    LABEL_SPACING,
    PLOT_BOTTOM,
    PLOT_TOP,
    WIDTH_MIN,
    BarSeries,
    bar_chart,
    nice_scale,
    shorten,
    swatch,
)

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [BarSeries("Registered", "outline"), BarSeries("Attended", "solid"), BarSeries("Walk-ins", "hatched")]


def chart(categories: list[str], values: list[list[int]], **overrides: str) -> ET.Element:
    svg = bar_chart(
        chart_id=overrides.get("chart_id", "c"),
        title=overrides.get("title", "Attendance per week"),
        description=overrides.get("description", "Registered, attended and walk-ins per week."),
        categories=categories,
        series=SERIES,
        values=values,
        empty_text="No sessions in this period",
    )
    return ET.fromstring(str(svg))  # noqa: S314 - well-formed XML, or this raises


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def labels(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("y") == str(PLOT_BOTTOM + 18)]


@pytest.mark.parametrize(
    ("largest", "maximum", "step"),
    [(0, 5, 1), (1, 1, 1), (4, 4, 1), (7, 8, 2), (10, 10, 2), (23, 25, 5), (99, 100, 20), (1234, 1500, 500)],
)
def test_the_scale_holds_the_largest_value_in_round_steps(largest: int, maximum: int, step: int) -> None:
    scale = nice_scale(largest)
    assert (scale.maximum, scale.step) == (maximum, step)
    assert scale.ticks[0] == 0 and scale.ticks[-1] == scale.maximum >= largest
    assert len(scale.ticks) <= 7


def test_a_bar_reaches_as_high_as_its_value() -> None:
    root = chart(["W1", "W2"], [[10, 5, 0], [0, 0, 2]])
    heights = {rect.find(f"{SVG}title").text: float(rect.get("height")) for rect in bars(root)}  # type: ignore[union-attr]
    full = PLOT_BOTTOM - PLOT_TOP
    assert heights == {"W1: Registered 10": full, "W1: Attended 5": full / 2, "W2: Walk-ins 2": full / 5}


def test_no_weeks_draws_an_empty_chart_that_says_so() -> None:
    root = chart([], [])
    assert bars(root) == []
    assert "No sessions in this period" in [t.text for t in root.iter(f"{SVG}text")]
    assert float(root.get("width")) >= WIDTH_MIN  # type: ignore[arg-type]


def test_weeks_without_anyone_also_say_there_is_nothing() -> None:
    root = chart(["W1", "W2"], [[0, 0, 0], [0, 0, 0]])
    assert bars(root) == []
    assert "No sessions in this period" in [t.text for t in root.iter(f"{SVG}text")]


def test_one_week_is_labelled_and_as_wide_as_a_phone() -> None:
    root = chart(["2026-W47"], [[4, 3, 1]])
    assert len(bars(root)) == 3
    assert [t.text for t in labels(root)] == ["2026-W47"]
    assert float(root.get("width")) >= WIDTH_MIN  # type: ignore[arg-type]
    assert "No sessions in this period" not in [t.text for t in root.iter(f"{SVG}text")]


def test_many_weeks_label_every_nth_week_without_overlap() -> None:
    weeks = [f"W{n}" for n in range(157)]
    root = chart(weeks, [[n % 7, n % 5, n % 3] for n in range(157)])
    shown = labels(root)
    assert 10 < len(shown) < 157
    positions = [float(t.get("x")) for t in shown]  # type: ignore[arg-type]
    assert all(b - a >= LABEL_SPACING for a, b in itertools.pairwise(positions))
    assert shown[0].text == "W0"


def test_long_labels_are_shortened_but_the_title_keeps_every_word() -> None:
    long_title = "Anwesenheit pro Woche: angemeldet, anwesend und ohne Anmeldung gekommen (alle Angebotsarten)"
    root = chart(["Kalenderwoche 47 im Jahr 2026"], [[1, 1, 1]], title=long_title)
    assert root.find(f"{SVG}title").text == long_title  # type: ignore[union-attr]
    (label,) = labels(root)
    assert label.text == shorten("Kalenderwoche 47 im Jahr 2026") and label.text.endswith("…")  # type: ignore[union-attr]
    assert len(label.text or "") <= 12


def test_it_is_an_image_with_a_name_and_a_description() -> None:
    root = chart(["W1"], [[1, 2, 3]], chart_id="weekly")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "weekly-title weekly-desc"
    assert root.find(f"{SVG}title").get("id") == "weekly-title"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == "weekly-desc"  # type: ignore[union-attr]


def test_text_is_escaped() -> None:
    root = chart(["<b>"], [[1, 0, 0]], title="<script>alert(1)</script>", description="a & b")
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "a & b"  # type: ignore[union-attr]
    assert "<script>" not in str(
        bar_chart(
            chart_id="x", title="<script>", description="", categories=[], series=SERIES, values=[], empty_text=""
        )
    )


def test_it_reads_left_to_right_even_on_a_right_to_left_page() -> None:
    root = chart(["W1", "W2", "W3"], [[1, 1, 1], [2, 2, 2], [3, 3, 3]])
    assert root.get("direction") == "ltr"  # overrides an inherited dir="rtl", which would flip text-anchor
    xs = [float(rect.get("x")) for rect in bars(root)]  # type: ignore[arg-type]
    assert xs == sorted(xs)  # time runs left to right
    assert {t.get("text-anchor") for t in root.iter(f"{SVG}text")} <= {"middle", "end"}


def test_series_differ_by_more_than_colour() -> None:
    root = chart(["W1"], [[1, 1, 1]])
    fills = [rect.get("fill") for rect in bars(root)]
    assert fills[0] == "#fff" and fills[2] == "url(#c-hatch)" and fills[1] not in ("#fff", "url(#c-hatch)")
    assert root.find(f"{SVG}defs/{SVG}pattern").get("id") == "c-hatch"  # type: ignore[union-attr]
    for style in ("outline", "solid", "hatched"):
        drawn = ET.fromstring(str(swatch(style)))  # noqa: S314
        assert drawn.get("aria-hidden") == "true"


def test_values_must_match_the_series() -> None:
    with pytest.raises(ValueError):
        bar_chart(chart_id="c", title="", description="", categories=["W1"], series=SERIES, values=[[1]], empty_text="")
    with pytest.raises(ValueError):
        bar_chart(
            chart_id="c",
            title="",
            description="",
            categories=["W1", "W2"],
            series=SERIES,
            values=[[1, 1, 1]],
            empty_text="",
        )
