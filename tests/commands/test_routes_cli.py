"""``routes show`` prints distributions with the sources of their numbers and names assumptions;
``flowsheet --samples`` says which asymmetric distributions move the means off the point values."""

import json
import os
import subprocess
import sys

import pytest

UM = [sys.executable, "-m", "urbanmine.cli"]


def call(*args):
    env = {**os.environ, "COLUMNS": "400"}  # wide enough that rich does not wrap the tables
    return subprocess.run([*UM, *args], capture_output=True, text=True, timeout=120, env=env)


def test_routes_show_json_gives_each_distribution_its_bound_sources_and_mean():
    r = call("routes", "show", "hydro", "--json")
    assert r.returncode == 0, r.stderr
    params = json.loads(r.stdout)["parameters"]
    d = params["metal_recovery"]["distribution"]
    assert "doi:10.5281/zenodo.6342833" in d["low_source"]
    assert "EverBatt 2023" in d["high_source"]
    mean = (d["low"] + d["mode"] + d["high"]) / 3  # triangular mean
    assert params["metal_recovery"]["distribution_mean"] == pytest.approx(mean, rel=1e-12)
    assert "distribution" not in params["electricity"]  # no cited range: no distribution
    assert params["electricity"]["assumption"] is False


def test_routes_show_text_lists_distributions_with_their_sources():
    r = call("routes", "show", "hydro")
    assert r.returncode == 0, r.stderr
    assert "triangular low 0.97, mode 0.98, high 0.98" in r.stdout
    assert "low 0.97: Blömeke et al., RAT" in r.stdout
    assert "-0.34%" in r.stdout  # (0.97 + 0.98 + 0.98) / 3 / 0.98 - 1


def test_routes_show_names_the_assumptions_of_lioh():
    r = call("routes", "show", "lioh", "--json")
    assert r.returncode == 0, r.stderr
    params = json.loads(r.stdout)["parameters"]
    assumed = sorted(k for k, p in params.items() if p["assumption"])
    assert assumed == ["bleed", "causticisation", "crystal_yield"]
    assert all("distribution" not in p for p in params.values())
    text = call("routes", "show", "lioh").stdout
    assert "causticisation *" in text and "bleed *" in text
    assert "* assumption of the route's author" in text
    assert "no Monte Carlo distributions" in text


def test_flowsheet_monte_carlo_text_says_how_far_the_means_move():
    r = call("flowsheet", "NMC622-cell", "--route", "hydro", "--samples", "200", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert "means of 200 samples differ from a run at the cited point values" in r.stdout
    shift = ((0.85 + 0.90 + 0.90) / 3 - 0.90) / 0.90  # li_precipitation, triangular mean
    assert (
        f"hydro/li_precipitation: point value 0.9, distribution mean 0.883333 ({shift:+.2%})"
        in (r.stdout)
    )
    one = call("flowsheet", "NMC622-cell", "--route", "hydro")
    assert "differ from a run at the cited point values" not in one.stdout


def test_routes_show_lists_the_atom_mappings_of_reactions():
    """hydro's LFP leach names FePO4 as the product that keeps the phosphate's battery oxygen."""
    r = call("routes", "show", "hydro", "--json")
    assert r.returncode == 0, r.stderr
    mappings = {
        eq: m for u in json.loads(r.stdout)["units"] for eq, m in u["atom_mappings"].items()
    }
    assert mappings == {"4 LFP + 2 H2SO4 + O2 -> 2 Li2SO4 + 4 FePO4 + 2 H2O": {"O": ["FePO4"]}}
