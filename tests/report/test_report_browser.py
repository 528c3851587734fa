"""The report in headless Chromium with every network request blocked: nothing is requested, no
console error, every chart drawn (each plotly graph div has its SVG and the marks of its traces:
Sankey links, bars, waterfall bars, lines), readable on a 390-px phone screen without sideways
scrolling. Screenshots are saved under the test's tmp dir (the artefacts). Skipped when
/usr/bin/chromium is missing, unless URBANMINE_REQUIRE_BROWSER=1 (CI), which fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from offline import open_offline

from report.fixtures import network, summary
from report.test_report_html import CHARTS
from urbanmine.report import write_report

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
MARKS = """id => {
    const gd = document.getElementById(id);
    const q = s => gd.querySelectorAll(s).length;
    return {svg: q('.main-svg'), sankey: q('.sankey-link'), bars: q('.barlayer .point path'),
            waterfall: q('.waterfalllayer .point path'),
            lines: q('.scatterlayer .trace path.js-line'), points: q('.scatterlayer path.point')};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(summary(), network(), tmp_path_factory.mktemp("report") / "report.html")


def test_every_chart_drawn_offline(browser: Any, report: Path, tmp_path: Path) -> None:
    ctx, page, attempted, errors = open_offline(
        browser, report, viewport={"width": 1300, "height": 900}
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=len(CHARTS),
        timeout=20_000,
    )
    ids = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(e => e.id)")
    assert ids == CHARTS
    marks = {i: page.evaluate(MARKS, i) for i in ids}
    assert all(m["svg"] > 0 for m in marks.values()), marks
    elements = summary()["elements_t"]
    links = sum(1 for t in elements.values() for k, v in t.items() if v > 0)
    assert marks["chart-flows"]["sankey"] == links
    assert marks["chart-carbon"]["waterfall"] == len(summary()["key_carbon_steps"]) + 2
    assert marks["chart-alternatives"]["bars"] == 3 * 4  # 3 alternatives x (efficiency, Li, Ni, Co)
    assert marks["chart-content"]["bars"] == 6 and marks["chart-content"]["points"] == 6
    assert marks["chart-capacity"]["lines"] == 2 + len(summary()["products_t"])
    assert marks["network-map"]["points"] > 0 and marks["network-map"]["lines"] > 0
    for band in ("chart-band-0", "chart-band-1"):
        assert marks[band]["lines"] == 3  # p95, p05 filled to it, median
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 100_000
    assert attempted == [] and errors == [], (attempted, errors)
    ctx.close()


def test_readable_on_a_phone(browser: Any, report: Path, tmp_path: Path) -> None:
    ctx, page, attempted, errors = open_offline(browser, report, **PHONE)
    page.wait_for_selector("#chart-band-1 .main-svg", timeout=20_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.body.scrollWidth") <= 390
    shot = tmp_path / "report-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert attempted == [] and errors == [], (attempted, errors)
    ctx.close()
