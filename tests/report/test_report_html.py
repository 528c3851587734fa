"""The report page as HTML (:mod:`urbanmine.report`): offline (plotly.js inlined once, no URL
outside it), every section in order, every verdict in the table, numbers formatted, the charts
laying out the numbers given (the Sankey's links are the element tonnages and each element's
node balances), the summary's sentences, every string escaped."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from report.fixtures import network, summary
from urbanmine.report import report_html, write_report
from urbanmine.report.charts import FATES, MAIN_ELEMENTS, OTHER
from urbanmine.report.html import SECTIONS

CHARTS = ["chart-flows", "network-map", "chart-capacity", "chart-content", "chart-carbon",
          "chart-alternatives", "chart-band-0", "chart-band-1"]  # fmt: skip


@pytest.fixture(scope="module")
def page() -> str:
    return report_html(summary(), network())


def figure(page_html: str, div_id: str) -> dict[str, Any]:
    """The figure JSON plotly writes into the page (``Plotly.newPlot(id, data, layout, ...)``)."""
    call = re.search(rf'Plotly\.newPlot\(\s*"{div_id}",\s*', page_html)
    assert call, f"no Plotly.newPlot call for {div_id}"
    data, end = json.JSONDecoder().raw_decode(page_html, call.end())
    layout, _ = json.JSONDecoder().raw_decode(page_html, end + page_html[end:].index("{"))
    return {"data": data, "layout": layout}


def test_plotly_js_inlined_once_and_no_url_outside_it(page: str) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert page.count(js) == 1, "plotly.js must be inlined exactly once"
    assert page.count("* plotly.js v") == 1
    rest = page.replace(js, "")
    assert not re.findall(r"https?://|//cdn|<link\b|src=|@import|url\(", rest, re.I), re.findall(
        r".{40}(?:https?://|//cdn|<link\b|src=|@import|url\().{40}", rest
    )
    assert re.findall(r'Plotly\.newPlot\(\s*"([\w-]+)"', rest) == CHARTS


def test_every_section_in_order(page: str) -> None:
    at = [page.find(f'<section id="{sid}"') for sid, _ in SECTIONS]
    assert all(i > 0 for i in at), dict(zip([s for s, _ in SECTIONS], at, strict=True))
    assert at == sorted(at)
    for sid, heading in SECTIONS:
        assert f'<a href="#{sid}">{heading}</a>' in page


def test_every_verdict_listed_with_its_date_and_colour(page: str) -> None:
    rows = re.findall(r'<tr class="v-(\w+)">(.*?)</tr>', page, re.S)
    rules = summary()["compliance"]
    assert [v for v, _ in rows] == [r["verdict"] for r in rules]
    assert {r["verdict"] for r in rules} == {
        "pass", "fail", "not_yet_applicable", "pending", "not_applicable"
    }  # fmt: skip
    for (_, row), r in zip(rows, rules, strict=True):
        assert r["rule"] in row and r["on"] in row and r["source"] in row
    assert "tr.v-fail td.verdict { background" in page  # each verdict has its colour
    assert "not yet applicable" in rows[3][1] and "pending (data missing)" in rows[5][1]


def test_numbers_appear_formatted(page: str) -> None:
    for text in (
        "17,000 t in 2030, 70,000 t in 2050",  # feedstock, first and last year
        "38,000 t/yr in 2030, 73,000 t/yr in 2050",  # capacity
        "recycling efficiency 74.2 %",
        "Li 85.0 %",
        "2.54 bn EUR over the horizon, 14.30 EUR per kWh and 2,141 EUR per tonne",
        "transport is 2.2 % of it",
        "emits 66,300 t CO2e and avoids 116,000 t CO2e; net, it saves 49,700 t CO2e",
        "Co 19.0 % in 2031 (minimum 16.0 %)",  # Art. 8(2): 16 % cobalt from 18 August 2031
        "82.0 % in 2030",
        '<td class="num">0.742</td>',
        '<td class="num">n/a</td>',
    ):
        assert text in page, text


def test_the_summary_names_the_failing_rule_the_big_steps_and_the_sites(page: str) -> None:
    assert "Not met: Material recovery, cobalt (Annex XII Part C) (0.94 against 0.95 on " in page
    steps = re.search(r"The steps that matter most: (.*?)\.</p>", page).group(1)  # type: ignore[union-attr]
    assert re.findall(r"([^,]+?) \(([-\d,]+) t CO2e\)", steps) == [
        ("credit: mined nickel avoided", "-61,000"),
        (" hydrometallurgy: reagents", "38,000"),
        (" credit: mined cobalt avoided", "-22,000"),
    ]
    # the plan's last period, largest site first, with the capacities of the network's result
    plan = {s["name"]: s["capacity_t"]["2050"] for s in network()["sites"]}
    named = re.search(r"Where it is processed in 2050: 3 pretreatment sites: (.*?);", page)
    assert named
    sites = re.findall(r"(\w+ PT) \(([\d,]+) t/yr\)", named.group(1))
    assert [float(c.replace(",", "")) for _, c in sites] == sorted(
        (plan[n] for n, _ in sites), reverse=True
    )
    assert "The network plan is optimal (gap 0.0 %)." in page


def test_sankey_links_are_the_element_tonnages_and_each_element_balances(page: str) -> None:
    fig = figure(page, "chart-flows")["data"][0]
    labels, link = fig["node"]["label"], fig["link"]
    elements = summary()["elements_t"]
    groups = [el for el in MAIN_ELEMENTS if el in elements] + [OTHER]
    given: dict[tuple[str, str, str], float] = {}
    for s, t, v, el in zip(link["source"], link["target"], link["value"], link["customdata"],
                           strict=True):  # fmt: skip
        given[(labels[s], labels[t], el)] = v
    for el, t in elements.items():
        group = el if el in MAIN_ELEMENTS else OTHER
        for key, (fate, _) in FATES.items():
            assert given.get((group, fate, el), 0.0) == t[key]
        assert given.get(("feedstock", group, el), 0.0) == t["feed"]
        assert given.get(("reagents", group, el), 0.0) == t["reagents"]
    for g in groups:  # conservation at every element node: what comes in goes out
        i = labels.index(g)
        into = sum(v for s, t, v in zip(link["source"], link["target"], link["value"],
                                         strict=True) if t == i)  # fmt: skip
        out = sum(v for s, t, v in zip(link["source"], link["target"], link["value"],
                                        strict=True) if s == i)  # fmt: skip
        assert into == pytest.approx(out, rel=1e-12) and into > 0


def test_the_waterfall_runs_from_the_burden_to_the_net(page: str) -> None:
    w = figure(page, "chart-carbon")["data"][0]
    steps, ghg = summary()["key_carbon_steps"], summary()["ghg"]
    up = [s["step"] for s in steps if s["t_co2e"] >= 0]
    down = [s["step"] for s in steps if s["t_co2e"] < 0]
    assert w["type"] == "waterfall"
    assert w["x"] == [*up, "burden", *down, "net"]
    assert w["measure"] == ["relative"] * len(up) + ["total"] + ["relative"] * len(down) + ["total"]
    assert w["text"][len(up)] == f"{ghg['burden_t_co2e']:,.0f}" == "66,300"
    assert w["text"][-1] == f"{ghg['total_t_co2e']:,.0f}" == "-49,700"
    # physics of the fixture: the burden's steps and the credits are the totals the run reports
    assert sum(s["t_co2e"] for s in steps if s["t_co2e"] >= 0) == ghg["burden_t_co2e"]
    assert -sum(s["t_co2e"] for s in steps if s["t_co2e"] < 0) == ghg["avoided_t_co2e"]


def test_alternatives_side_by_side(page: str) -> None:
    table = page[page.index('<section id="alternatives"') : page.index('<section id="uncertainty"')]
    for a in summary()["alternatives"]:
        assert f"<td>{a['name']}</td>" in table
    assert '<td class="num">0.0 %</td>' in table  # pyro: no lithium
    assert '<td class="num">n/a</td>' in table  # direct: no cost given
    bars = figure(page, "chart-alternatives")["data"]
    assert [b["name"] for b in bars] == ["hydro (default)", "pyro", "direct"]
    assert bars[1]["y"] == [0.58, 0.0, 0.95, 0.97]


def test_strings_are_escaped() -> None:
    s = summary()
    s["title"] = "<script>alert(1)</script>"
    s["sources"].append('<img src=x onerror="alert(2)">')
    s["key_carbon_steps"][0]["step"] = "<b>shred</b>"
    s["compliance"][0]["title"] = "efficiency </td></tr><tr>"
    html = report_html(s, None)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "efficiency &lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;" in html
    assert figure(html, "chart-carbon")["data"][0]["x"][0] == "&lt;b&gt;shred&lt;/b&gt;"


def test_without_a_network_or_samples_the_sections_say_so() -> None:
    s = summary()
    s["samples"], s["quantiles"], s["alternatives"] = 1, {}, []
    html = report_html(s, None)
    assert "No network plan was given to the report." in html
    assert "One sample: no uncertainty bands" in html
    assert "The scenario names no alternative route." in html
    assert 'id="network-map"' not in html and "Where it is processed" not in html
    assert all(f'<section id="{sid}"' in html for sid, _ in SECTIONS)


def test_write_report(tmp_path: Path) -> None:
    path = write_report(summary(), network(), tmp_path / "report.html")
    assert path.read_text(encoding="utf-8") == report_html(summary(), network())


def test_importing_the_report_loads_no_plotly_or_jinja() -> None:
    code = ("import sys, urbanmine.report; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'plotly', 'jinja2', 'numpy'}))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_bare_summary_still_has_every_section() -> None:
    html = report_html({"scenario": "bare", "region": "china", "years": [2030], "samples": 1})
    assert all(f'<section id="{sid}"' in html for sid, _ in SECTIONS)
    assert "The run reports no feedstock." in html and "No rule checked." in html
    assert "No carbon steps reported." in html and "No source listed." in html


def test_collection_rate_years_run_together() -> None:
    """Years with the same shown value are one stretch (the built-in rate is flat at 65 %)."""
    from urbanmine.report.text import _runs

    shown = _runs({"2025": 0.65, "2026": 0.65, "2027": 0.7, "2028": 0.651}, lambda v: f"{v:.0%}")
    assert shown == ["65% in 2025-2026", "70% in 2027", "65% in 2028"]


def test_the_intervals_are_said_with_what_was_drawn() -> None:
    """The summary's 5th-95th percentiles in words, the sources drawn with their counts, and the
    sources asked for whose data carry no distribution."""
    from urbanmine.report.text import uncertainty

    s = {
        "uncertainty": {
            "samples": 200,
            "parameters": ["fleet", "routes", "prices"],
            "drawn": {"fleet": True, "routes": ["a", "b", "c"], "prices": [], "factors": []},
            "intervals": {
                "ghg.total_t_co2e": {"p05": -2.0e6, "p50": -1.5e6, "p95": -1.0e6},
                "recovery.Li": {"p05": 0.81, "p50": 0.84, "p95": 0.88},
            },
        }
    }
    said = uncertainty(s)
    assert said is not None
    assert "200 samples of the fleet model's ranges, route parameters (3)" in said
    assert "net GHG -2,000,000 t CO2e to -1,000,000 t CO2e" in said
    assert "lithium recovery 81.0 % to 88.0 %" in said
    assert said.endswith("Asked but with no distribution in the data used: prices.")
    s["uncertainty"]["asymmetric"] = ["leach_li", "dismantle_loss"]
    assert "2 route parameters have distributions whose mean is not the cited value" in str(
        uncertainty(s)
    )
    assert uncertainty({"uncertainty": {"samples": 0}}) is None


def test_a_wandering_collection_rate_is_said_as_its_range() -> None:
    from urbanmine.report.text import targets

    coll = {str(2025 + k): 0.70 + 0.001 * ((k * 7) % 5) for k in range(26)}
    (said,) = targets({"collection_rate": coll})
    assert said == (
        "Collection rate: between 70.0 % and 70.4 % over 2025-2050 (70.0 % in 2025, 70.0 % in 2050)."
    )
