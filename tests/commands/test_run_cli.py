"""``urbanmine run``: a reduced default scenario end to end (files, element closure, verdicts),
China's built-in scenario end to end, and a malformed scenario (exit 2, no output folder)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.scenario import builtin

runner = CliRunner()
FATES = ("product", "recycled", "energy_recovery", "landfill", "emission")


def reduced(region: str, folder: Path) -> Path:
    """The built-in scenario of ``region`` to 2040 with a 3-period network and a 5 s limit, and
    no Monte Carlo (the samples test asks for its own)."""
    raw = builtin.text(builtin.DEFAULT[region])
    data = tomllib.loads(raw)
    f = folder / f"{region}.toml"
    name = data["scenario"]["name"]
    f.write_text(
        raw.replace("end = 2050", "end = 2040", 1)
        .replace("time_limit_s = 30", "time_limit_s = 5\nyears = [2025, 2030, 2035]\nend = 2040")
        .replace("samples = 500", "samples = 0", 1)
    )
    assert tomllib.loads(f.read_text())["scenario"]["name"] == name
    return f


@pytest.fixture(scope="module")
def europe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("run")
    out = folder / "out"
    r = runner.invoke(app, ["run", str(reduced("europe", folder)), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "summary.json").read_text())


def test_files_and_summary_keys(europe: tuple[Path, dict]) -> None:
    out, s = europe
    assert (out / "summary.json").exists()
    for table in ("feedstock", "products", "impacts", "verdicts", "sites", "flows"):
        assert (out / "tables" / f"{table}.parquet").exists()
        assert (out / "tables" / f"{table}.csv").exists()
    for key in (
        "scenario",
        "region",
        "years",
        "feedstock_t",
        "capacity_t",
        "products_t",
        "recovery",
        "recycling_efficiency",
        "compliance",
        "ghg",
        "cost",
        "recycled_content",
        "collection_rate",
        "key_carbon_steps",
        "alternatives",
        "stage_seconds",
    ):
        assert key in s
    assert s["years"] == list(range(2025, 2041))
    assert [a["name"] for a in s["alternatives"]] == ["pyrometallurgy", "direct recycling"]


def test_every_element_closes(europe: tuple[Path, dict]) -> None:
    """Feed + reagents = products + recycled + energy recovery + landfill + emissions, per
    element over the horizon (no stock in a flowsheet at steady state)."""
    _, s = europe
    for el, flows in s["elements_t"].items():
        leaving = sum(flows.get(f, 0.0) for f in FATES)
        assert leaving == pytest.approx(flows["feed"] + flows["reagents"], rel=1e-9, abs=1e-9), el


def test_verdicts_present(europe: tuple[Path, dict]) -> None:
    """Annex XII material recovery on both dates, and Art. 8 recycled content from the fleet."""
    _, s = europe
    rules = {(v["rule"], v["on"]) for v in s["compliance"]}
    for date in ("2027-12-31", "2031-12-31"):
        assert ("eu-2023-1542/material-recovery/Li", date) in rules
        assert ("eu-2023-1542/recycling-efficiency/lithium", date) in rules
    assert any(r.startswith("eu-2023-1542/recycled-content/") for r, _ in rules)


def test_china_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(reduced("china", tmp_path)), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["region"] == "china" and s["scenario"] == "china-2050"
    assert {v["rule"].split("/")[0] for v in s["compliance"]} <= {
        "cn-miit-2024",
        "cn-traceability-2018",
    }
    assert (out / "summary.json").exists()


def test_malformed_scenario_leaves_no_output(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[scenario]\nname = "bad"\n[routes]\nrefining = "hydrox"\n')
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(f), "--out", str(out)])
    assert r.exit_code == 2
    assert "routes" in r.output and "hydrox" in r.output and str(f) in r.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_the_runs_report_opens_offline(europe: tuple[Path, dict], browser: Any) -> None:
    """The report the run wrote, in headless Chromium with every request blocked: nothing
    requested, no errors, every chart of the run drawn (no bands: a central run); the
    screenshot is kept beside it as the artefact."""
    from offline import open_offline
    from report.test_report_browser import MARKS

    out, s = europe
    ctx, page, attempted, errors = open_offline(
        browser, out / "report.html", viewport={"width": 1300, "height": 900}
    )
    expected = ["chart-flows", "network-map", "chart-capacity", "chart-content", "chart-carbon",
                "chart-alternatives"]  # fmt: skip
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=len(expected),
        timeout=30_000,
    )
    ids = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(e => e.id)")
    assert ids == expected
    marks = {i: page.evaluate(MARKS, i) for i in ids}
    assert all(m["svg"] > 0 for m in marks.values()), marks
    assert marks["chart-carbon"]["waterfall"] == len(s["key_carbon_steps"]) + 2
    assert marks["network-map"]["points"] > 0
    page.screenshot(path=str(out / "report.png"), full_page=True)
    assert attempted == [] and errors == [], (attempted, errors)
    ctx.close()


def test_samples_give_bands(tmp_path: Path) -> None:
    """``--samples`` draws the fleet model's ranges and the routes' parameters together: the
    summary gets p05 <= p50 <= p95 by year (feedstock, recycled content, net GHG) and of the
    totals (GHG, recycling efficiency, recovery, plant cost), for each alternative too, says
    what had a distribution to draw, and the report draws a band for each series."""
    out = tmp_path / "out"
    f = reduced("europe", tmp_path)
    r = runner.invoke(app, ["run", str(f), "--out", str(out), "--samples", "30", "--quiet"])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    q = s["quantiles"]
    assert {"feedstock (t/yr)", "recycled content Li (share)", "net GHG (t CO2e/yr)"} <= set(q)
    for series in q.values():
        for y, mid in series["p50"].items():
            assert series["p05"][y] <= mid <= series["p95"][y]
    assert set(q["feedstock (t/yr)"]["p50"]) == {str(y) for y in s["years"]}
    u = s["uncertainty"]
    assert u["samples"] == 30 and u["drawn"]["fleet"] and u["drawn"]["routes"]
    for entry in [u, *s["alternatives"]]:
        for key in ("ghg.total_t_co2e", "recycling_efficiency", "recovery.Li"):
            lo, mid, hi = (entry["intervals"][key][p] for p in ("p05", "p50", "p95"))
            assert lo <= mid <= hi, key
    assert u["intervals"]["recovery.Li"]["p05"] < u["intervals"]["recovery.Li"]["p95"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert all(f'id="chart-band-{i}"' in html for i in range(len(q)))


def test_overrides_on_a_malformed_file_are_bad_input(tmp_path: Path) -> None:
    """--region and --samples on a file whose tables are not tables: exit 2 naming the field."""
    out = tmp_path / "out"
    for text, named in (
        ("scenario = 3\n", "scenario"),
        ('[scenario]\nname = "s"\nuncertainty = 2\n', "uncertainty"),
    ):
        f = tmp_path / "bad.toml"
        f.write_text(text)
        r = runner.invoke(
            app, ["run", str(f), "--region", "china", "--samples", "3", "--out", str(out)]
        )
        assert r.exit_code == 2, r.output
        assert named in r.output and not out.exists()


OTHER = """
[scenario]
name = "with-black-mass"
region = "europe"
start = 2030
end = 2032

[feedstock]
packs_t = { NMC811 = 1000 }

[[feeds]]
feed = "NMC622-blackmass"
route = "hydro+precursor"
tonnes = { "2030" = 500, "2032" = 1500 }
source = "test: purchased black mass"

[uncertainty]
samples = 0
"""


def test_an_other_feed_runs_beside_the_batteries(tmp_path: Path) -> None:
    """Purchased black mass through its own route: its tonnes interpolated between the anchors,
    its elements closing (feed + reagents = every fate, 1e-9), its rows in the tidy tables under
    its own name, its line in the report; the batteries' totals do not include it."""
    import pyarrow.parquet as pq

    f = tmp_path / "s.toml"
    f.write_text(OTHER)
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(f), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    (o,) = s["other_feeds"]
    assert o["feedstock_t"] == {"2030": 500.0, "2031": 1000.0, "2032": 1500.0}
    assert s["feedstock_t"] == {"2030": 1000.0, "2031": 1000.0, "2032": 1000.0}
    for el, v in o["elements_t"].items():
        fates = sum(t for k, t in v.items() if k not in ("feed", "reagents"))
        assert fates == pytest.approx(v["feed"] + v["reagents"], rel=1e-9, abs=1e-12), el
    assert "precursor/ncm_precursor" in o["products_t"] and 0 < o["recovery"]["Ni"] <= 1
    feed = pq.read_table(out / "tables" / "feedstock.parquet").to_pydict()
    assert feed["feed"].count("NMC622-blackmass") == 3 and feed["feed"].count("batteries") == 3
    products = pq.read_table(out / "tables" / "products.parquet").to_pydict()
    assert "NMC622-blackmass" in products["feed"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="others">' in html and "hydro+precursor" in html
    assert any("NMC622-blackmass" in c for c in s["sources"])
