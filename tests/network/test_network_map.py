"""The offline network map (:mod:`urbanmine.network.mapview`).

A fast check of the HTML (no external URL outside plotly.js itself, every name present, one trace
group per period), then the page in headless Chromium with every network request blocked: it
draws every site and source, the slider switches periods, and a screenshot is saved under the
test's tmp dir. Browser tests are skipped when /usr/bin/chromium is missing, unless
URBANMINE_REQUIRE_BROWSER=1 (CI), which fails.

The fixture is a small European plan: sites and coordinates of published facilities (Hydrovolt
Fredrikstad, BASF Schwarzheide, Glencore Magdeburg, AE Elemental Zawiercie, Fortum Harjavalta,
cylib Dormagen, Eramet Dunkirk, Northvolt Skelleftea; operators' and press figures), a
candidate refinery and a market, country sources at their capitals, flows over two periods.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from offline import open_offline

from urbanmine.errors import InputError
from urbanmine.network.mapview import BOXES, DIV_ID, figure, map_html, outlines, write_map


def _site(name, operator, tier, status, lat, lon, opened, cap, use):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "operator": operator,
        "tier": tier,
        "status": status,
        "lat": lat,
        "lon": lon,
        "opened_year": opened,
        "capacity_t": {"2030": cap[0], "2035": cap[1]},
        "utilisation": {"2030": use[0], "2035": use[1]},
    }


RESULT: dict[str, Any] = {
    "region": "europe",
    "status": "optimal",
    "optimal": True,
    "gap": 0.004,
    "objective_eur": 1.234e9,
    "cost_per_kWh_eur": 6.8,
    "cost_per_t_eur": 1020.0,
    "years": [2030, 2035],
    "sources": [
        {"name": "Germany", "lat": 52.52, "lon": 13.40, "supply_t": {"2030": 60000, "2035": 110000}},
        {"name": "France", "lat": 48.86, "lon": 2.35, "supply_t": {"2030": 40000, "2035": 80000}},
        {"name": "Poland", "lat": 52.23, "lon": 21.01, "supply_t": {"2030": 8000, "2035": 20000}},
        {"name": "Norway", "lat": 59.91, "lon": 10.75, "supply_t": {"2030": 15000, "2035": 22000}},
    ],
    "sites": [
        _site("Hydrovolt Fredrikstad", "Hydro", "pretreatment", "operating", 59.22, 10.93,
              2030, (12000, 12000), (1.0, 1.0)),
        _site("BASF Schwarzheide", "BASF", "pretreatment", "operating", 51.48, 13.87,
              2030, (15000, 15000), (0.9, 1.0)),
        _site("Glencore Magdeburg", "Glencore", "pretreatment", "operating", 52.13, 11.63,
              2030, (30000, 30000), (1.0, 1.0)),
        _site("AE Elemental Zawiercie", "AE Elemental", "pretreatment", "operating", 50.49,
              19.42, 2030, (12000, 12000), (0.67, 1.0)),
        _site("cylib Dormagen", "cylib", "pretreatment", "construction", 51.09, 6.83,
              2035, (0, 60000), (0.0, 0.85)),
        _site("Fortum Harjavalta", "Fortum", "refining", "operating", 61.31, 22.14,
              2030, (10000, 10000), (0.8, 1.0)),
        _site("Candidate refinery Lower Saxony", None, "refining", "candidate", 52.4, 9.7,
              2035, (0, 40000), (0.0, 0.9)),
        _site("Eramet Dunkirk", "Eramet", "pretreatment", "suspended", 51.03, 2.38,
              None, (0, 0), (0.0, 0.0)),
        _site("Northvolt Revolt Ett", "Northvolt", "refining", "closed", 64.75, 20.95,
              None, (0, 0), (0.0, 0.0)),
        _site("Collection hub Lyon", None, "collection", "candidate", 45.76, 4.84,
              2035, (0, 20000), (0.0, 0.7)),
        _site("Products market Antwerp", None, "market", "candidate", 51.22, 4.40,
              None, (0, 0), (0.0, 0.0)),
    ],
    "flows": [
        {"from": "Germany", "to": "Glencore Magdeburg", "commodity": "packs", "year": 2030,
         "t": 30000, "km": 160},
        {"from": "Germany", "to": "BASF Schwarzheide", "commodity": "packs", "year": 2030,
         "t": 13500, "km": 150},
        {"from": "France", "to": "Glencore Magdeburg", "commodity": "packs", "year": 2030,
         "t": 0.0, "km": 1000},
        {"from": "Norway", "to": "Hydrovolt Fredrikstad", "commodity": "packs", "year": 2030,
         "t": 12000, "km": 90},
        {"from": "Poland", "to": "AE Elemental Zawiercie", "commodity": "packs", "year": 2030,
         "t": 8000, "km": 290},
        {"from": "Glencore Magdeburg", "to": "Fortum Harjavalta", "commodity": "blackmass",
         "year": 2030, "t": 8000, "km": 1900},
        {"from": "Fortum Harjavalta", "to": "Products market Antwerp", "commodity": "products",
         "year": 2030, "t": 2500, "km": 2300},
        {"from": "France", "to": "Collection hub Lyon", "commodity": "packs", "year": 2035,
         "t": 14000, "km": 470},
        {"from": "Collection hub Lyon", "to": "cylib Dormagen", "commodity": "cells",
         "year": 2035, "t": 10000, "km": 720},
        {"from": "Germany", "to": "cylib Dormagen", "commodity": "packs", "year": 2035,
         "t": 41000, "km": 500},
        {"from": "cylib Dormagen", "to": "Candidate refinery Lower Saxony",
         "commodity": "blackmass", "year": 2035, "t": 18000, "km": 330},
        {"from": "Candidate refinery Lower Saxony", "to": "Products market Antwerp",
         "commodity": "products", "year": 2035, "t": 6000, "km": 450},
    ],
}  # fmt: skip
NAMES = [n["name"] for n in RESULT["sources"] + RESULT["sites"]]


@pytest.fixture(scope="module")
def html() -> str:
    return map_html(RESULT, "europe")


def _figure(page_html: str) -> dict[str, Any]:
    """The figure JSON plotly writes into the page (``Plotly.newPlot(id, data, layout, ...)``)."""
    call = re.search(rf'Plotly\.newPlot\(\s*"{DIV_ID}",\s*', page_html)
    assert call, "no Plotly.newPlot call for the map's div"
    start = call.end()
    data, end = json.JSONDecoder().raw_decode(page_html, start)
    layout, _ = json.JSONDecoder().raw_decode(page_html, end + page_html[end:].index("{"))
    return {"data": data, "layout": layout}


def test_no_external_url_outside_plotly_js(html: str) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert js in html, "plotly.js is not inlined"
    rest = html.replace(js, "")
    assert not re.findall(r"https?://|//cdn|<link\b|src=", rest, re.I), re.findall(
        r".{40}(?:https?://|//cdn|<link\b|src=).{40}", rest
    )


def test_every_name_and_one_trace_group_per_period(html: str) -> None:
    fig = _figure(html)
    traces = fig["data"]
    periods = [t["meta"]["period"] for t in traces]
    assert {p for p in periods if p is not None} == set(RESULT["years"])
    for year in RESULT["years"]:
        group = [t for t in traces if t["meta"]["period"] == year]
        # every source and site once per period, at its coordinates
        points = {
            text.split("</b>")[0].removeprefix("<b>"): (x, y)
            for t in group
            if t["mode"] == "markers"
            for x, y, text in zip(t["x"], t["y"], t["text"], strict=True)
        }
        assert points == {
            n["name"]: (n["lon"], n["lat"]) for n in RESULT["sources"] + RESULT["sites"]
        }
        # the period's positive flows, each drawn once, from node to node
        drawn = sum(t["x"].count(None) for t in group if t["mode"] == "lines")
        assert drawn == sum(1 for f in RESULT["flows"] if f["year"] == year and f["t"] > 0)
        assert all(t["visible"] is (year == RESULT["years"][0]) for t in group)
    assert all(t.get("visible", True) is True for t in traces if t["meta"]["period"] is None)
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in steps] == ["2030", "2035"]
    assert [s["args"][0]["visible"] for s in steps] == [
        [p in (None, y) for p in periods] for y in RESULT["years"]
    ]
    for name in NAMES:
        assert name in html


def test_sites_open_or_used_are_filled_and_flows_widen_with_tonnage(html: str) -> None:
    traces = _figure(html)["data"]
    pre_2030 = next(
        t for t in traces if t["meta"]["period"] == 2030 and "pretreatment" in t["name"]
    )
    symbols = dict(
        zip(
            [s.split("</b>")[0][3:] for s in pre_2030["text"]],
            pre_2030["marker"]["symbol"],
            strict=True,
        )
    )
    assert symbols["Glencore Magdeburg"] == "square"  # opened 2030, used
    assert symbols["cylib Dormagen"] == "square-open"  # opens 2035
    assert symbols["Eramet Dunkirk"] == "square-open"
    # width never falls as tonnage grows, and the plan's range (2,500-41,000 t/yr) spans 3 widths
    lines = [t for t in traces if t["mode"] == "lines" and t["meta"]["period"] is not None]
    drawn = sorted(
        (float(re.search(r": ([\d,]+) t/yr", text).group(1).replace(",", "")), t["line"]["width"])  # type: ignore[union-attr]
        for t in lines
        for text in t["text"][::3]
    )
    assert len(drawn) == sum(1 for f in RESULT["flows"] if f["t"] > 0)
    assert [w for _, w in drawn] == sorted(w for _, w in drawn)
    assert len({w for _, w in drawn}) >= 3
    # each class's legend names its tonnage range, and its flows lie in it
    for t in lines:
        lo, hi = re.search(r"(?:([\d,]+)-|< )([\d,]+) t/yr", t["name"]).groups()  # type: ignore[union-attr]
        for text in t["text"][::3]:
            tonnes = float(re.search(r": ([\d,]+) t/yr", text).group(1).replace(",", ""))  # type: ignore[union-attr]
            assert float((lo or "0").replace(",", "")) <= tonnes <= float(hi.replace(",", ""))


def test_axes_keep_the_region_box_and_the_aspect_of_its_middle_latitude(html: str) -> None:
    layout = _figure(html)["layout"]
    x0, x1, y0, y1 = BOXES["europe"]
    assert layout["xaxis"]["range"] == [x0, x1] and layout["yaxis"]["range"] == [y0, y1]
    assert layout["xaxis"]["scaleanchor"] == "y"
    assert layout["xaxis"]["scaleratio"] == pytest.approx(
        0.6088, abs=1e-4
    )  # cos(52.5 deg), 52.5 = (34 + 71) / 2


def test_china_keeps_its_box_and_other_regions_fit_their_nodes() -> None:
    china = {
        **RESULT,
        "region": "china",
        "years": [2030],
        "sites": [],
        "flows": [],
        "sources": [
            # supply keyed by commodity then year, and by year then commodity: both summed
            {"name": "Sichuan", "lat": 30.57, "lon": 104.07,
             "supply_t": {"packs": {"2030": 50000}, "scrap": {"2030": 9000}}},
            {"name": "Guangdong", "lat": 23.13, "lon": 113.26,
             "supply_t": {"2030": {"packs": 30000, "cells": 500}}},
        ],
    }  # fmt: skip
    fig = figure(china, "china")
    assert list(fig.layout.xaxis.range) == list(BOXES["china"][:2])
    assert list(fig.layout.yaxis.range) == list(BOXES["china"][2:])
    sources = next(t for t in fig.data if t.meta["period"] == 2030 and t.mode == "markers")
    assert [t.split("source: ")[1] for t in sources.text] == ["59,000 t/yr", "30,500 t/yr"]
    fitted = figure(china, "sichuan-guangdong")
    assert list(fitted.layout.xaxis.range) == pytest.approx([104.07 - 1.5, 113.26 + 1.5])
    assert list(fitted.layout.yaxis.range) == pytest.approx([23.13 - 1.5, 30.57 + 1.5])


def test_outlines_are_natural_earth_and_small() -> None:
    data = outlines()
    assert data["licence"] == "public domain (Natural Earth)"
    assert {"DEU", "FRA", "GBR", "CHN", "JPN", "KOR", "TWN", "MNG", "UKR", "TUR", "Kosovo"} <= set(
        data["countries"]
    )
    rings = [r for rs in data["countries"].values() for r in rs]
    assert all(len(r) >= 4 for r in rings)
    # rounded to 0.01 degree; Germany's outline lies in its published extent (about 5.9-15.0 E,
    # 47.3-55.1 N)
    assert all(round(v, 2) == v for r in rings for p in r for v in p)
    de = [p for r in data["countries"]["DEU"] for p in r]
    assert 5.5 < min(p[0] for p in de) < 6.5 and 14.5 < max(p[0] for p in de) < 15.5
    assert 47.0 < min(p[1] for p in de) < 47.8 and 54.5 < max(p[1] for p in de) < 55.5


def test_a_flow_to_an_unknown_node_is_named() -> None:
    bad = {**RESULT, "flows": [{**RESULT["flows"][0], "to": "Atlantis"}]}
    with pytest.raises(InputError, match=r"flows\[0\]\.to = 'Atlantis'"):
        map_html(bad, "europe")


def test_a_site_without_coordinates_is_named() -> None:
    bad = {**RESULT, "sites": [{**RESULT["sites"][0], "lat": None}]}
    with pytest.raises(InputError, match=r"sites\[0\] \('Hydrovolt Fredrikstad'\): lat = None"):
        map_html(bad, "europe")


# --------------------------------------------------------------------------- in the browser


def _drawn(page: Any) -> dict[str, Any]:
    """Names of the visible marker points (from the graph div's data) and SVG points drawn."""
    return page.evaluate(
        """id => {
            const gd = document.getElementById(id);
            const visible = gd.data.filter(t => t.visible !== false && t.mode === 'markers');
            const names = visible.flatMap(t => (t.text || []).map(s => s.split('</b>')[0].slice(3)));
            const periods = [...new Set(gd.data.filter(t => t.visible !== false)
                .map(t => t.meta.period).filter(p => p !== null))];
            return {names, periods,
                    points: gd.querySelectorAll('.scatterlayer .trace .points path.point').length,
                    title: gd.layout.title.text};
        }""",
        DIV_ID,
    )


def test_the_map_works_offline_and_the_slider_switches_periods(
    browser: Any, tmp_path: Path
) -> None:
    path = write_map(RESULT, "europe", tmp_path / "network.html")
    context, page, attempted, errors = open_offline(
        browser, path, viewport={"width": 1400, "height": 900}
    )
    assert attempted == [], f"the page tried to go online: {attempted}"
    page.wait_for_selector(f"#{DIV_ID} .main-svg", timeout=20_000)
    first = _drawn(page)
    assert first["periods"] == [2030]
    assert sorted(first["names"]) == sorted(NAMES)
    assert first["points"] == len(NAMES)  # every site and source drawn in the SVG
    assert "period 2030" in first["title"]
    page.screenshot(path=str(tmp_path / "network-map-2030.png"))
    # the tool bar offers nothing that goes online (plotly's "Share chart" uploads the figure)
    page.hover(f"#{DIV_ID} .nsewdrag")
    titles = page.evaluate(
        "[...document.querySelectorAll('.modebar-btn')].map(e => e.getAttribute('data-title'))"
    )
    assert "Download plot as a PNG" in titles and not any("Share" in t for t in titles), titles
    # click the slider at the last step's label
    label = page.locator(".slider-label").filter(has_text="2035").bounding_box()
    rail = page.locator(".slider-rail-touch-rect").bounding_box()
    assert label and rail
    page.mouse.click(label["x"] + label["width"] / 2, rail["y"] + rail["height"] / 2)
    page.wait_for_function(
        "id => document.getElementById(id).layout.title.text.includes('period 2035')", arg=DIV_ID
    )
    second = _drawn(page)
    assert second["periods"] == [2035]
    assert sorted(second["names"]) == sorted(NAMES) and second["points"] == len(NAMES)
    shot = tmp_path / "network-map-2035.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 30_000
    assert attempted == [] and errors == [], (attempted, errors)
    context.close()
