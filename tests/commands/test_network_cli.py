"""``urbanmine network``: JSON shape and meaning, --map, --out, the built-in region under a time
limit, and every bad input (exit 2, one message naming the field, nothing written)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app

runner = CliRunner()

SMALL = """
builtin_sites = false
builtin_sources = false

[options]
years = [2030, 2035]
end = 2039
discount_rate = 0.0

[[sources]]
name = "Munich"
lat = 48.14
lon = 11.58
supply_t = { packs = { "2030" = 8000, "2035" = 20000 } }

[[sources]]
name = "Lyon"
lat = 45.76
lon = 4.84
supply_t = { packs = 6000 }

[[sites]]
name = "Stuttgart PT"
tier = "pretreatment"
lat = 48.78
lon = 9.18
country = "DE"
status = "candidate"
sizes_t = [10000, 25000]

[[sites]]
name = "Lyon PT"
tier = "pretreatment"
lat = 45.76
lon = 4.84
country = "FR"
status = "operating"
capacity_t = 5000
start_year = 2020

[[sites]]
name = "Antwerp HY"
tier = "refining"
lat = 51.2
lon = 4.4
country = "BE"
status = "candidate"
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    folder = tmp_path_factory.mktemp("network")
    f = folder / "small.toml"
    f.write_text(SMALL)
    r = runner.invoke(
        app,
        [
            "network",
            str(f),
            "--json",
            "--map",
            str(folder / "map.html"),
            "--out",
            str(folder / "out"),
        ],
    )
    assert r.exit_code == 0, r.output
    return f, json.loads(r.stdout), folder


def test_json_has_the_issue_keys(small: tuple[Path, dict, Path]) -> None:
    _, d, _ = small
    for key in (
        "status",
        "objective_eur",
        "gap",
        "solve_seconds",
        "sites",
        "flows",
        "cost_per_kWh_eur",
        "cost_per_t_eur",
        "transport_share",
        "ghg_t",
        "unprocessed_t",
    ):
        assert key in d
    for s in d["sites"]:
        assert {"name", "tier", "opened_year", "capacity_t", "utilisation"} <= set(s)
    for f in d["flows"]:
        assert {"from", "to", "commodity", "year", "t"} <= set(f)
    assert d["status"] == "optimal" and d["optimal"] is True and d["gap"] <= 0.01
    # the file's options are the user's; circuity comes from the built-in data with its citation
    assert d["provenance"]["options.discount_rate"] == "user input"
    assert "1.343" in d["provenance"]["transport.circuity"]


def test_mass_is_conserved_through_the_plan(small: tuple[Path, dict, Path]) -> None:
    """Every tonne supplied is shipped or left; the refinery gets what pretreatment made."""
    _, d, _ = small
    for y in d["years"]:
        supplied = sum(s["supply_t"][str(y)] for s in d["sources"])
        shipped = sum(f["t"] for f in d["flows"] if f["commodity"] == "packs" and f["year"] == y)
        left = sum(u["t"] for u in d["unprocessed"] if u["commodity"] == "packs" and u["year"] == y)
        assert shipped + left == pytest.approx(supplied, rel=1e-9)
        # the pretreatment sites are the only senders of black mass
        bm = sum(f["t"] for f in d["flows"] if f["commodity"] == "blackmass" and f["year"] == y)
        bm_left = sum(
            u["t"] for u in d["unprocessed"] if u["commodity"] == "blackmass" and u["year"] == y
        )
        refined = sum(s["intake_t"][str(y)] for s in d["sites"] if s["tier"] == "refining")
        assert bm == pytest.approx(refined, rel=1e-9)
        assert bm + bm_left > 0.3 * shipped  # black mass is a large share of a pack (EverBatt)
    for s in d["sites"]:
        for y, u in s["utilisation"].items():
            assert u <= 1 + 1e-9
            assert s["intake_t"][y] <= s["capacity_t"][y] * (1 + 1e-9)


def test_costs_add_up(small: tuple[Path, dict, Path]) -> None:
    _, d, _ = small
    parts = d["cost_breakdown_eur"]
    assert sum(parts.values()) == pytest.approx(d["cost_eur"], rel=1e-12)
    assert d["transport_share"] == pytest.approx(parts["transport"] / d["cost_eur"], rel=1e-12)
    assert d["cost_per_t_eur"] == pytest.approx(d["cost_eur"] / d["processed_t"], rel=1e-12)
    # undiscounted (rate 0): the objective is the cost plus the penalty
    assert d["objective_eur"] == pytest.approx(d["cost_eur"] + d["penalty_eur"], rel=1e-6)
    km = {(f["from"], f["to"]): f["km"] for f in d["flows"]}
    # Munich -> Stuttgart: 190 km great circle (haversine) x the built-in circuity 1.343
    assert km[("Munich", "Stuttgart PT")] == pytest.approx(190.6 * 1.343, rel=0.01)


def test_map_and_tables_written(small: tuple[Path, dict, Path]) -> None:
    _, d, folder = small
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert all(s["name"] in html for s in d["sites"])
    out = folder / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.{e}" for n in ("flows", "sites", "unprocessed", "years") for e in ("csv", "parquet")
    )
    with open(out / "flows.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(d["flows"])
    assert sum(float(r["t_per_year"]) for r in rows) == pytest.approx(
        sum(f["t"] for f in d["flows"]), rel=1e-9
    )


def test_text_summary(small: tuple[Path, dict, Path]) -> None:
    f, _, _ = small
    r = runner.invoke(app, ["network", str(f)])
    assert r.exit_code == 0, r.output
    assert "optimal" in r.stdout and "EUR/kWh" in r.stdout and "Stuttgart PT" in r.stdout


def test_built_in_region_under_a_time_limit_says_so(tmp_path: Path) -> None:
    """The built-in Europe case fed by the fleet model, stopped after 2 s: the plan found is
    reported as not optimal, with its gap."""
    f = tmp_path / "short.toml"
    f.write_text("[options]\ntime_limit_s = 2\n")
    r = runner.invoke(app, ["network", str(f), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["region"] == "europe"
    assert len(d["sources"]) == 30
    assert d["optimal"] is False and d["status"] == "time_limit" and d["gap"] > 0.0


BAD = [
    ("[[sites]]\nname='x'\ntier='smelter'\nlat=50\nlon=10\nstatus='candidate'\n", "tier"),
    (
        "[[sites]]\nname='x'\ntier='refining'\nlat=50\nlon=10\nstatus='operating'\n"
        "capacity_t=-5\nstart_year=2020\n",
        "capacity_t",
    ),
    ("[[sites]]\nname='x'\ntier='refining'\nlon=10\nstatus='candidate'\n", "lat"),
    ("[[sources]]\nname='s'\nlat=50\nlon=10\n", "no supply"),
    ("[[sources]]\nname='s'\nlat=50\nlon=10\nsupply_t={packs=nan}\n", "supply_t"),
    ("[options]\nyears=[2040, 2030]\n", "years"),
    ("[options]\ntime_limit_s=-1\n", "time_limit_s"),
    ("[options]\nspeed=3\n", "speed"),
    ("[[sources]]\nname='s'\nlat=50\nlon=10\nfleet='ZZ'\n", "ZZ"),
    ("this is = = not toml", "TOML"),
]


@pytest.mark.parametrize(("text", "named"), BAD)
def test_bad_file(tmp_path: Path, text: str, named: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    out = tmp_path / "out"
    r = runner.invoke(app, ["network", str(f), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert named in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_bad_options(tmp_path: Path) -> None:
    f = tmp_path / "n.toml"
    f.write_text(SMALL)
    for args, named in (
        (["--region", "mars"], "--region"),
        (["--map", str(tmp_path / "map.png")], "--map"),
        (["--map", str(tmp_path / "nowhere" / "map.html")], "--map"),
        (["--out", str(f)], "--out"),
    ):
        r = runner.invoke(app, ["network", str(f), *args])
        assert r.exit_code == 2, (args, r.output)
        assert named in r.output
    r = runner.invoke(app, ["network", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2 and "no such" in r.output
    latin = tmp_path / "latin.toml"
    latin.write_bytes("[[sources]]\nname='Köln'\n".encode("latin-1"))
    r = runner.invoke(app, ["network", str(latin)])
    assert r.exit_code == 2 and "UTF-8" in r.output


def test_china_by_province_under_a_time_limit(tmp_path: Path) -> None:
    """China's built-in case: 31 province sources fed by the fleet model's province split."""
    f = tmp_path / "short.toml"
    f.write_text("[options]\ntime_limit_s = 2\n")
    r = runner.invoke(app, ["network", str(f), "--region", "china", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["region"] == "china" and len(d["sources"]) == 31
    supplied = sum(s["supply_t"]["2030"] for s in d["sources"])
    shipped = sum(
        f["t"]
        for f in d["flows"]
        if f["year"] == 2030 and f["from"] in {s["name"] for s in d["sources"]}
    )
    left = sum(
        u["t"]
        for u in d["unprocessed"]
        if u["year"] == 2030 and u["node"] in {s["name"] for s in d["sources"]}
    )
    assert shipped + left == pytest.approx(supplied, rel=1e-6)


def test_scenario_file_feeds_the_network_from_its_fleet_section(tmp_path: Path) -> None:
    """A scenario's [fleet] section changes the feedstock the [network] section plans for:
    collecting 95 % instead of the default 65 % of end-of-life packs raises every country's
    supply (the fleet model's collection applies to every pack it retires)."""
    base = tmp_path / "base.toml"
    base.write_text("[network.options]\ntime_limit_s = 2\nyears = [2035, 2040]\nend = 2044\n")
    more = tmp_path / "more.toml"
    more.write_text(base.read_text() + "\n[fleet]\ncollection = 0.95\n")
    supply = {}
    for name, f in (("base", base), ("more", more)):
        r = runner.invoke(app, ["network", str(f), "--json"])
        assert r.exit_code == 0, r.output
        d = json.loads(r.stdout)
        supply[name] = {
            s["name"]: s["supply_by_commodity_t"]["packs"]["2040"] for s in d["sources"]
        }
    assert all(
        supply["more"][k] > supply["base"][k] for k in supply["base"] if supply["base"][k] > 0
    )
