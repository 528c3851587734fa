"""Closed loop for cobalt powder and hard metal against primary metal: the mined side from the
cited primary factors (Nuss & Eckelman 2014) and molmass, the step savings adding up to the total,
the feed per kg product from the feed's composition, and bad products named (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from molmass import Formula

from urbanmine.errors import InputError
from urbanmine.impacts.metal_loop import metal_closed_loop
from urbanmine.routes.compose import load_route

W_PRIMARY, CO_PRIMARY = 12.6, 8.3  # kg CO2e/kg: Nuss & Eckelman 2014, SI Table S1


def _w_in_wc() -> float:
    return Formula("W").mass / Formula("WC").mass


@pytest.mark.parametrize("route", ["carbide_chemical+cobalt_powder", "zinc_process"])
def test_hardmetal_mined_side_is_primary_w_and_co_and_the_steps_add_up(route):
    d = metal_closed_loop("hardmetal", route=route)
    mined = 0.90 * _w_in_wc() * W_PRIMARY + 0.10 * CO_PRIMARY
    virgin_steps = d["virgin"]["ghg_kg_co2e"] - mined  # the shared pressing and sintering
    assert virgin_steps > 0
    assert sum(s["ghg_kg_co2e"] for s in d["steps"]) == pytest.approx(
        d["saving_ghg_kg_co2e"], rel=1e-9
    )
    mined_step = next(s for s in d["steps"] if s["step"] == "mined materials")
    topped = sum(
        m * f * (1 - d["recycled_share"][el])
        for el, m, f in (("W", 0.90 * _w_in_wc(), W_PRIMARY), ("Co", 0.10, CO_PRIMARY))
    )
    assert mined_step["ghg_kg_co2e"] == pytest.approx(mined - topped, rel=1e-9)
    assert d["recycled"]["ghg_kg_co2e"] < d["virgin"]["ghg_kg_co2e"]


def test_cobalt_powder_from_a_solution_needs_the_feed_its_cobalt_gives():
    d = metal_closed_loop("cobalt-powder", route="cobalt_powder", feed="cobalt-sulfate-solution")
    assert d["virgin"]["ghg_kg_co2e"] == pytest.approx(CO_PRIMARY, rel=1e-12)
    co_per_kg_feed = 0.238 * Formula("Co").mass / Formula("CoSO4").mass
    conversion = load_route("cobalt_powder").parameters["oxalate_precipitation"].value
    assert d["feed_kg_per_kg_product"] == pytest.approx(1 / (co_per_kg_feed * conversion), rel=1e-9)
    assert d["recycled_share"] == {"Co": pytest.approx(1.0)}


def test_an_unknown_product_is_named():
    with pytest.raises(InputError, match="diamond"):
        metal_closed_loop("diamond")
    with pytest.raises(InputError, match="allocation"):
        metal_closed_loop("hardmetal", allocation="economic")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "urbanmine.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_cli_closed_loop_for_metal_products():
    r = _cli("closed-loop", "--product", "hardmetal", "--route", "zinc_process", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["functional_unit"] == "1 kg WC-10Co hard metal"
    bad = _cli("closed-loop", "--product", "diamond")
    assert bad.returncode == 2
    assert "diamond" in bad.stderr and "hardmetal" in bad.stderr


PT_PRIMARY = 12500.0  # kg CO2e/kg: Nuss & Eckelman 2014, SI Table S1
PT_HYDRO = 0.76  # Duclos et al. 2017, J. Clean. Prod. 142:2618: 76 % of Pt as (NH4)2PtCl6


def test_platinum_from_a_stack_against_primary_platinum():
    """Mined side: primary Pt; feed: the stack's Pt share (carculator, Sacchi et al. 2022) at the
    hydro route's cited recovery; the steps add up to the saving."""
    from urbanmine.materials.feeds import get_feed

    d = metal_closed_loop("platinum")
    assert d["virgin"]["ghg_kg_co2e"] == pytest.approx(PT_PRIMARY, rel=1e-12)
    stack = get_feed("FC-stack-80kW")
    pt_share = stack.species_kg["Pt"] / sum(stack.species_kg.values())
    assert d["feed_kg_per_kg_product"] == pytest.approx(1 / (pt_share * PT_HYDRO), rel=1e-9)
    assert sum(s["ghg_kg_co2e"] for s in d["steps"]) == pytest.approx(
        d["saving_ghg_kg_co2e"], rel=1e-9
    )
    assert 0 < d["recycled"]["ghg_kg_co2e"] < d["virgin"]["ghg_kg_co2e"]
