"""Command line: JSON contracts of the issue and exit code 2 with one message on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from urbanmine.data import load_toml

UM = [sys.executable, "-m", "urbanmine.cli"]


def call(*args):
    return subprocess.run([*UM, *args], capture_output=True, text=True, timeout=120)


def test_feeds_show_json_contract():
    r = call("feeds", "show", "NMC811-pack", "--kwh", "100", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["capacity_kWh"] == pytest.approx(100)
    assert d["mass_kg"] == pytest.approx(sum(d["species_kg"].values()))
    assert d["mass_kg"] == pytest.approx(sum(d["elements_kg"].values()), rel=1e-12)


def test_flowsheet_json_contract_and_mass_closure():
    r = call("flowsheet", "NMC622-cell", "--route", "hydro", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["feed"]["mass_kg"] == pytest.approx(1.0)
    assert {"name", "fate", "mass_kg", "species_kg", "elements_kg"} <= set(d["outputs"][0])
    for key in ("electricity_kWh", "natural_gas_MJ", "diesel_MJ", "water_kg", "reagents_kg"):
        assert key in d["inventory"]
    assert d["balance"]["max_relative_error"] <= 1e-9
    # mass conservation: outputs = feed + reagents (all reagents enter the balance)
    outputs = sum(o["mass_kg"] for o in d["outputs"])
    assert outputs == pytest.approx(1.0 + sum(d["inventory"]["reagents_kg"].values()), rel=1e-9)


def test_flowsheet_samples_give_quantiles():
    r = call(
        "flowsheet", "NMC811-cell", "--route", "hydro", "--samples", "200", "--seed", "3", "--json"
    )
    d = json.loads(r.stdout)
    q = d["quantiles"]["recovery.Ni"]
    assert q["p05"] <= q["p50"] <= q["p95"]
    again = json.loads(
        call(
            "flowsheet",
            "NMC811-cell",
            "--route",
            "hydro",
            "--samples",
            "200",
            "--seed",
            "3",
            "--json",
        ).stdout
    )
    assert again["recovery"] == d["recovery"]  # seeded runs repeat


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("feeds", "show", "NMC812-cell", "--json"), "unknown feed"),
        (("flowsheet", "NMC811-cell", "--route", "hydrox", "--json"), "unknown route"),
        (
            ("flowsheet", "NMC811-cell", "--route", "hydro", "--preset", "x", "--json"),
            "unknown preset",
        ),
        (
            ("flowsheet", "NMC811-cell", "--route", "hydro", "--mass-kg", "-2"),
            "--mass-kg",
        ),
        (("flowsheet", "NMC811-cell", "--route", "hydro", "--samples", "0"), "--samples"),
        (("sensitivity", "NMC811-cell", "--route", "hydro", "--samples", "1"), "at least 2"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, needle):
    r = call(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


def test_malformed_route_file_exits_2(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[route]\nname = 'x'\n[[units]]\nname = 'u'\ninlets = ['feed']\n")
    r = call("flowsheet", "NMC811-blackmass", "--route", str(bad))
    assert r.returncode == 2 and "outlets" in r.stderr
    bad.write_text("[route\n")
    r = call("flowsheet", "NMC811-blackmass", "--route", str(bad))
    assert r.returncode == 2 and "not valid TOML" in r.stderr


def test_user_route_file_runs(tmp_path: Path):
    route = tmp_path / "sieve.toml"
    route.write_text(
        "[route]\nname = 'sieve'\naccepts = ['blackmass']\n"
        "[parameters.cut]\nvalue = 0.8\nsource = 'test'\n"
        "[[units]]\nname = 'screen'\ninlets = ['feed']\noutlets = ['fines', 'coarse']\n"
        "[units.split.fines]\n'*' = 'cut'\n"
        "[sinks]\nfines = 'product'\ncoarse = 'landfill'\n"
    )
    r = call("flowsheet", "NMC811-blackmass", "--route", str(route), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["recycling_efficiency"] == pytest.approx(0.8)


def test_sensitivity_json_gives_first_and_total_order_indices():
    d = json.loads(
        call(
            "sensitivity",
            "NMC811-blackmass",
            "--route",
            "hydro",
            "--samples",
            "64",
            "--seed",
            "1",
            "--json",
        ).stdout
    )
    assert d["base_samples"] == 64 and d["model_runs"] == 64 * (len(d["parameters"]) + 2)
    li = d["indices"]["recovery.Li"]
    assert set(li["S1"]) == set(li["ST"]) == set(d["parameters"])


def test_flowsheet_impacts_economics_and_compliance_are_appended():
    d = json.loads(
        call(
            "flowsheet",
            "NMC622-cell",
            "--route",
            "hydro",
            "--location",
            "CN",
            "--capacity-t",
            "20000",
            "--impacts",
            "--economics",
            "--comply",
            "--on",
            "2032-01-01",
            "--json",
        ).stdout
    )
    imp, eco = d["impacts"], d["economics"]
    assert imp["location"] == "CN" and eco["location"] == "CN" and eco["capacity_t"] == 20000
    # contributions add up to the total; profit is revenue less cost
    assert sum(c["ghg_kg_co2e"] for c in imp["contributions"]) == pytest.approx(imp["ghg_kg_co2e"])
    assert eco["profit_usd"] == pytest.approx(eco["revenue_usd"] - eco["cost_usd"])
    rules = {v["rule"]: v for v in d["compliance"]["verdicts"]}
    # Annex XII B: lithium-based batteries at least 70 % from 31 Dec 2030
    eff = rules["eu-2023-1542/recycling-efficiency/lithium"]
    assert eff["threshold"] == pytest.approx(0.70)
    assert eff["verdict"] == ("pass" if d["recycling_efficiency"] >= 0.70 else "fail")


def test_comply_without_a_date_exits_2():
    r = call("flowsheet", "NMC622-cell", "--route", "hydro", "--comply")
    assert r.returncode == 2 and "--on" in r.stderr


def test_closed_loop_recycled_cathode_saves_carbon_and_steps_add_up():
    d = json.loads(call("closed-loop", "NMC622", "--route", "hydro", "--json").stdout)
    saving = d["virgin"]["ghg_kg_co2e"] - d["recycled"]["ghg_kg_co2e"]
    assert saving > 0
    assert sum(s["ghg_kg_co2e"] for s in d["steps"]) == pytest.approx(saving, rel=1e-9)
    assert d["virgin"]["cost_usd"] == pytest.approx(25.0)  # EverBatt 2023 NMC622 price, $/kg
    # recycled = virgin + (plant cost - revenue of all it recovers) per kg feed x feed per kg cathode
    eco = json.loads(
        call("flowsheet", "NMC622-cell", "--route", "hydro", "--economics", "--json").stdout
    )["economics"]
    net = eco["cost_usd"] - eco["revenue_usd"]
    expected = 25.0 + d["feed_kg_per_kg_product"] * net
    assert d["recycled"]["cost_usd"] == pytest.approx(expected, rel=1e-9)


def test_closed_loop_per_kg_precursor_prices_the_mined_sulfates_and_reagents():
    d = json.loads(
        call("closed-loop", "NMC622", "--route", "hydro", "--product", "precursor", "--json").stdout
    )
    assert d["product"] == "precursor" and "precursor" in d["cost_method"]
    prices = load_toml("economics", "prices.toml")["everbatt2023"]
    expected = sum(kg * prices[item]["value"] for item, kg in d["virgin_inventory_kg"].items())
    assert d["virgin"]["cost_usd"] == pytest.approx(expected, rel=1e-12)
    assert d["recycled"]["cost_usd"] < d["virgin"]["cost_usd"]


def test_closed_loop_unknown_product_exits_2():
    r = call("closed-loop", "NMC622", "--product", "anode")
    assert r.returncode == 2 and "cathode, precursor" in r.stderr


def test_eu_country_works_for_impacts_and_economics():
    r = call(
        "flowsheet", "NMC622-cell", "--route", "hydro", "--location", "DE",
        "--capacity-t", "10000", "--impacts", "--economics", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["impacts"]["location"] == "DE" and d["economics"]["location"] == "DE"
    assert d["economics"]["profit_usd"] == pytest.approx(
        d["economics"]["revenue_usd"] - d["economics"]["cost_usd"]
    )


def test_closed_loop_accepts_an_eu_country():
    r = call("closed-loop", "NMC622", "--route", "hydro", "--location", "FR", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["recycled"]["cost_usd"] > 0


@pytest.mark.parametrize("extra", [["--impacts"], ["--economics"]])
def test_unknown_location_exits_2_listing_the_allowed_ones(extra):
    r = call("flowsheet", "NMC622-cell", "--route", "hydro", "--location", "Mars", *extra)
    assert r.returncode == 2
    assert "unknown location 'Mars'; allowed:" in r.stderr and "DE" in r.stderr
    assert "Traceback" not in r.stderr


def test_footprint_per_kwh_over_the_service_life():
    r = call(
        "footprint", "NMC811-pack", "--kwh", "75", "--cycles", "1000", "--eol-route", "hydro",
        "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["capacity_kWh"] == pytest.approx(75.0) and d["total_energy_kWh"] == pytest.approx(75e3)
    per_stage = sum(row["carbonFootprint"] for row in d["carbonFootprintPerLifecycleStage"])
    assert per_stage == pytest.approx(d["ghg_kg_co2e_per_kWh"], rel=1e-12)


def test_footprint_bad_cycles_exits_2():
    r = call("footprint", "NMC811-pack", "--cycles", "-3")
    assert r.returncode == 2 and "cycles" in r.stderr and "Traceback" not in r.stderr
