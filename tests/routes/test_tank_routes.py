"""Hydrogen-tank routes and the hydrometallurgical platinum route: element balance with random
parameters, platinum recovery of pgm_hydro within the published range, its reagents from
stoichiometry, recycled fibre = fibre in x the route's yield, milled filler not credited as virgin
fibre, and a part through a route that does not take it named.

Sources of the expected values:
- Duclos et al. 2017, J. Clean. Prod. 142:2618: about 76 % of Pt recovered as (NH4)2PtCl6;
  Zagoraiou et al. 2025: over 99 % of Pt from end-of-life MEAs.
- cfrp_pyrolysis keeps 95 % of the fibre (Convention stated in the route: Hao et al. 2021,
  Polymers 13(8):1231, give no mass yield); cfrp_solvolysis frees all of it (Convention).
- Prenzel et al. 2024, Polymers 16(1):12: 13.0 to 34.1 kg CO2e per kg carbon fibre (midpoint).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from molmass import Formula

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.impacts.lca import assess
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run

STACK, TANK = "FC-stack-80kW", "H2-tank-typeIV"
CFRP_ROUTES = ["cfrp_pyrolysis", "cfrp_solvolysis", "cfrp_mechanical", "cfrp_landfill"]
CASES = [(STACK, "fc_stack_dismantling+pgm_hydro"), (TANK, "h2_tank_dismantling")] + [
    (TANK, f"h2_tank_dismantling+{r}") for r in CFRP_ROUTES
]
HYDRO_PT = (0.76, 0.99)  # Duclos et al. 2017 (76 %); Zagoraiou et al. 2025 (over 99 %)
CF_GHG = (13.0 + 34.1) / 2  # Prenzel et al. 2024: midpoint of 24 scenarios, kg CO2e/kg CF


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CASES), st.floats(0.01, 1e4), st.integers(0, 2**31))
def test_element_balance_closes_with_random_parameters(case, mass, seed):
    feed, route = case
    result = run(get_feed(feed).scaled(mass_kg=mass), route, samples=16, seed=seed)
    assert result.per_sample["balance"].max() <= 1e-9


def test_hydro_platinum_recovery_stays_in_the_published_range():
    result = run(get_feed(STACK), "fc_stack_dismantling+pgm_hydro", samples=2000, seed=3)
    r = result.per_sample["recovery.Pt"]
    assert r.min() >= HYDRO_PT[0] - 1e-12 and r.max() <= HYDRO_PT[1] + 1e-12
    assert r.max() - r.min() > 0.15
    one = run(get_feed(STACK), "fc_stack_dismantling+pgm_hydro").to_dict()
    assert one["recovery"]["Pt"] == pytest.approx(HYDRO_PT[0], rel=1e-12)


def test_hydro_reagents_follow_the_stoichiometry_of_leach_and_precipitation():
    """Pt + 6 HCl + 2 H2O2 -> H2PtCl6 + 4 H2O; H2PtCl6 + 2 NH4Cl -> (NH4)2PtCl6 + 2 HCl."""
    d = run(get_feed(STACK), "fc_stack_dismantling+pgm_hydro").to_dict()
    pt_kmol = {o["name"]: o for o in d["outputs"]}["pgm_hydro/platinum"]["species_kg"]["Pt"] / (
        Formula("Pt").mass
    )
    reagents = d["inventory"]["reagents_kg"]
    assert reagents["NH4Cl"] == pytest.approx(2 * pt_kmol * Formula("NH4Cl").mass, rel=1e-9)
    assert reagents["H2O2"] == pytest.approx(2 * pt_kmol * Formula("H2O2").mass, rel=1e-9)


def _fibre_out(route: str) -> tuple[float, float]:
    feed = get_feed(TANK)
    d = run(feed, f"h2_tank_dismantling+{route}").to_dict()
    fibre = {o["name"]: o for o in d["outputs"]}[f"{route}/recovered_fibre"]["species_kg"]
    return feed.species_kg["carbon_fibre"], fibre["recycled_carbon_fibre"]


@pytest.mark.parametrize(("route", "yield_"), [("cfrp_pyrolysis", 0.95), ("cfrp_solvolysis", 1.0)])
def test_recycled_fibre_is_fibre_in_times_the_route_yield(route, yield_):
    fibre_in, fibre_out = _fibre_out(route)
    assert fibre_out == pytest.approx(fibre_in * yield_, rel=1e-12)


def _credits(route: str) -> tuple[float, list[str]]:
    result = run(get_feed(TANK), f"h2_tank_dismantling+{route}")
    imp = assess(result, allocation="system_expansion", draw=False)
    return float(imp.credits_kg_co2e.mean()), imp.uncredited


def test_milled_filler_is_not_credited_as_virgin_fibre():
    """The mechanical route's filler earns nothing over landfill (only the metal parts of the
    tank are credited in both), while the pyrolysis fibre earns the carbon-fibre factor."""
    mech, uncredited = _credits("cfrp_mechanical")
    landfill, _ = _credits("cfrp_landfill")
    assert "milled_carbon_fibre" in uncredited
    assert mech == pytest.approx(landfill, rel=1e-12)
    pyro, _ = _credits("cfrp_pyrolysis")
    _, fibre_out = _fibre_out("cfrp_pyrolysis")
    assert pyro - landfill == pytest.approx(fibre_out * CF_GHG, rel=1e-9)


@pytest.mark.parametrize(
    ("feed", "route", "pattern"),
    [
        (TANK, "cfrp_pyrolysis", r"cfrp_pyrolysis.*cfrp.*tank"),
        (TANK, "pgm_hydro", r"pgm_hydro.*mea.*tank"),
        (STACK, "h2_tank_dismantling", r"h2_tank_dismantling.*tank.*stack"),
    ],
)
def test_a_part_through_a_route_that_does_not_take_it_is_named(feed, route, pattern):
    with pytest.raises((InputError, RouteError), match=pattern):
        run(get_feed(feed), route)
