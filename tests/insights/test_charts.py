"""The Insights charts: SVG that parses, says what it shows, and draws the numbers it is given."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from insights.charts import COLOURS, NO_DATA, Chart, Series, nice_scale

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = [(date(2026, 11, 23) + timedelta(weeks=i)).isoformat() for i in range(3)]


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg()))


def bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "chart-bar"]


def points(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "chart-point"]


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def deploys(*series: Series, unit: str = "deploys", kind: str = "bar") -> Chart:
    return Chart(
        "deploys",
        "Production deploys per week",
        "Deploys each week.",
        WEEKS,
        list(series),
        unit,
        kind,
    )


def test_it_is_well_formed_and_named_by_its_title_and_description() -> None:
    root = parse(deploys(Series("Deploys", [2, 4, 1])))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.text, desc.text) == ("Production deploys per week", "Deploys each week.")
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 ")


def test_its_ids_are_unique_per_chart_and_it_uses_no_inline_style() -> None:
    two = Series("Failed", [0, 1, 0])
    a = deploys(Series("Deploys", [2, 4, 1]), two)
    b = Chart(
        "handoffs", "Hand-offs", "Due.", WEEKS, [Series("On time", [1, 2, 3]), two], "hand-offs"
    )
    ids = [e.get("id") for chart in (a, b) for e in parse(chart).iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 6  # title, desc and a pattern each
    assert "style=" not in str(a.svg())  # the CSP allows no inline style


def test_it_draws_one_bar_per_value_as_tall_as_its_value() -> None:
    root = parse(deploys(Series("Deploys", [2, 4, None]), Series("Failed", [1, None, 3])))
    drawn = bars(root)
    assert len(drawn) == 4
    by_tip = {e.find(f"{SVG}title").text: float(e.get("height")) for e in drawn}
    assert by_tip["Deploys, 2026-11-30: 4 deploys"] == pytest.approx(
        2 * by_tip["Deploys, 2026-11-23: 2 deploys"], abs=0.2
    )
    assert by_tip["Failed, 2026-12-07: 3 deploys"] == pytest.approx(
        3 * by_tip["Failed, 2026-11-23: 1 deploys"], abs=0.2
    )


def test_it_tells_series_apart_by_pattern_and_shows_a_legend() -> None:
    root = parse(deploys(Series("Deploys", [2, 4, 1]), Series("Failed", [1, 0, 1])))
    fills = {e.get("fill") for e in bars(root)}
    assert fills == {COLOURS[0], "url(#chart-deploys-p1)"}
    assert {"Deploys", "Failed"} <= set(texts(root))


def test_it_lays_category_bars_across_with_widths_in_proportion() -> None:
    chart = Chart(
        "by-role",
        "Latency by role",
        "Hours per role.",
        ["QA Lead", "Customer Success Manager"],
        [Series("Median", [5, 20])],
        "hours",
        label_heading="Role",
    )
    qa, csm = bars(parse(chart))
    assert float(csm.get("width")) == pytest.approx(4 * float(qa.get("width")), abs=0.2)
    assert qa.find(f"{SVG}title").text == "QA Lead: 5.0 hours"


def test_a_line_breaks_where_there_is_no_value() -> None:
    root = parse(deploys(Series("Median", [1, 2, None]), unit="hours", kind="line"))
    (line,) = root.iter(f"{SVG}polyline")
    assert len(line.get("points").split()) == 2
    assert len(points(root)) == 2

    five = [f"2026-0{m}-01" for m in range(1, 6)]
    gappy = Chart(
        "g", "Gappy", "Gaps.", five, [Series("Median", [1, 2, None, 4, 5])], "hours", "line"
    )
    assert [len(p.get("points").split()) for p in parse(gappy).iter(f"{SVG}polyline")] == [2, 2]

    lonely = Chart(
        "l", "Lonely", "Alone.", five, [Series("M", [1, None, 3, None, None])], "%", "line"
    )
    root = parse(lonely)
    assert list(root.iter(f"{SVG}polyline")) == []
    assert [p.find(f"{SVG}title").text for p in points(root)] == [
        "2026-01-01: 1.0 %",
        "2026-03-01: 3.0 %",
    ]


@pytest.mark.parametrize("values", [[None, None, None], [0, 0, 0], [0, None, 0]])
@pytest.mark.parametrize("kind", ["bar", "line"])
def test_it_says_when_there_is_no_data(values: list[float | None], kind: str) -> None:
    root = parse(deploys(Series("Deploys", values), kind=kind))
    assert NO_DATA in texts(root)
    assert bars(root) == [] and points(root) == []
    assert len(list(root.iter(f"{SVG}line"))) >= 2  # the gridlines and the axis are there


def test_it_draws_nothing_but_the_message_for_no_categories() -> None:
    root = parse(Chart("none", "Nothing", "Nothing yet.", [], [Series("A", [])], "hand-offs"))
    assert NO_DATA in texts(root)


def test_it_draws_a_negative_value_as_zero() -> None:
    negative, four = bars(parse(deploys(Series("Deploys", [-3, 4, None]))))
    assert float(negative.get("height")) == 0 < float(four.get("height"))
    assert negative.find(f"{SVG}title").text == "2026-11-23: -3 deploys"  # the tip tells the truth


def test_it_escapes_every_text() -> None:
    hostile = "<script>alert(1)</script> & co"
    chart = Chart(
        "x",
        hostile,
        f"About {hostile}",
        [hostile, "R&D"],
        [Series(hostile, [1, 2]), Series("B", [2, 1])],
        "things",
        label_heading="Team",
    )
    markup = str(chart.svg())
    assert "<script>" not in markup
    root = ET.fromstring(markup)  # still well-formed XML
    assert root.find(f"{SVG}title").text == hostile
    assert hostile in texts(root)  # the legend
    assert "R&D" in texts(root)
    assert f"{hostile}, {hostile}: 1 things" in [b.find(f"{SVG}title").text for b in bars(root)]


def test_its_x_labels_never_crowd() -> None:
    weeks = [(date(2024, 1, 1) + timedelta(weeks=i)).isoformat() for i in range(156)]
    chart = Chart("long", "Three years", "Weekly.", weeks, [Series("D", [1] * 156)], "deploys")
    root = parse(chart)
    labels = [
        e
        for e in root.iter(f"{SVG}text")
        if e.get("text-anchor") == "middle" and e.find(f"{SVG}tspan") is not None
    ]
    assert 4 <= len(labels) <= 12
    xs = [float(e.get("x")) for e in labels]
    assert min(b - a for a, b in itertools.pairwise(xs)) > 40  # wider than "28 Dec"
    assert "".join(labels[0].itertext()) == "1 Jan2024"  # the day, then the year beneath it


@pytest.mark.parametrize(
    ("maximum", "whole", "top", "ticks"),
    [
        (7, True, 8, 5),
        (43, True, 50, 6),
        (100, False, 100, 6),
        (12.5, False, 15, 4),
        (0.3, False, 0.3, 4),
        (2, True, 2, 3),
        (2, False, 2, 5),
        (0, False, 1, 6),
        (96, False, 100, 6),
    ],
)
def test_its_axis_ends_at_a_nice_maximum(
    maximum: float, whole: bool, top: float, ticks: int
) -> None:
    scale = nice_scale(maximum, whole=whole)
    assert scale.top == pytest.approx(top)
    assert len(scale.ticks) == ticks
    steps = {round(b - a, 9) for a, b in itertools.pairwise(scale.ticks)}
    (step,) = steps
    assert re.fullmatch(r"[125]0*", f"{step:.9f}".replace(".", "").strip("0"))


def test_its_csv_keeps_the_raw_numbers() -> None:
    chart = Chart(
        "rate",
        "Change fail rate",
        "Share.",
        WEEKS,
        [Series("Rate", [12.5, None, 3]), Series("Rework", [0, 33.33, 100.0])],
        "%",
    )
    assert chart.csv_rows() == [
        ["Week", "Rate", "Rework"],
        ["2026-11-23", "12.5", "0"],
        ["2026-11-30", "", "33.33"],
        ["2026-12-07", "3", "100"],
    ]


def test_its_table_formats_the_numbers_for_people() -> None:
    rate = Chart("rate", "Rate", "Share.", WEEKS, [Series("Rate", [12.5, None, 3])], "%")
    assert rate.table_rows() == [
        ["2026-11-23", "12.5 %"],
        ["2026-11-30", "—"],
        ["2026-12-07", "3.0 %"],
    ]
    hours = Chart(
        "h", "H", "Hours.", ["QA Lead"], [Series("Median", [4.25])], "hours", label_heading="Role"
    )
    assert (hours.table_header(), hours.table_rows()) == (
        ["Role", "Median (hours)"],
        [["QA Lead", "4.3"]],
    )
    counts = deploys(Series("Deploys", [1200, 3, 0]))
    assert [row[1] for row in counts.table_rows()] == ["1,200", "3", "0"]


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("background", ["#ffffff", "#f6f7f9"])
def test_its_colours_stand_out_from_the_page(colour: str, background: str) -> None:
    light, dark = sorted([_luminance(colour), _luminance(background)], reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 3


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])


def test_its_template_shows_the_chart_its_table_and_its_csv_link() -> None:
    chart = Chart(
        "by-role",
        "Latency by role",
        "Hours per role.",
        ["QA Lead", "R&D <lead>"],
        [Series("Median", [3.5, None]), Series("90th percentile", [9, 12.25])],
        "hours",
        label_heading="Role",
    )
    html = render_to_string(
        "insights/_chart.html", {"chart": chart, "csv_url": "/insights/by-role.csv?period=90d"}
    )
    outline = _Outline()
    outline.feed(html)
    assert len(outline.ids) == len(set(outline.ids))
    assert ("th", {"scope": "col"}) in outline.tags and ("th", {"scope": "row"}) in outline.tags
    assert (
        "a",
        {"class": "chart-csv", "href": "/insights/by-role.csv?period=90d", "download": None},
    ) in outline.tags
    flat = re.sub(r"\s+", " ", html)
    assert '<h3 class="chart-title">Latency by role</h3>' in flat
    assert "<caption>Latency by role (hours)</caption>" in flat
    assert '<th scope="col">Median (hours)</th><th scope="col">90th percentile (hours)</th>' in flat
    assert '<tr><th scope="row">QA Lead</th><td>3.5</td><td>9.0</td></tr>' in flat
    assert '<tr><th scope="row">R&amp;D &lt;lead&gt;</th><td>—</td><td>12.3</td></tr>' in flat
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img"' in flat
    assert "Download CSV" in flat and "<summary>Data table" in flat
