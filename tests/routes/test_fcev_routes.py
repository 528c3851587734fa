"""Fuel-cell stack routes: element balance with random parameters, the stack's platinum from its
cited loading, platinum recovery within the published range, the membrane's fluorine in the
scrubber (molmass stoichiometry), and a stack through a route that does not take it named.

Sources of the expected values:
- Sacchi et al. 2022 (carculator) Table 8: 0.13 mg Pt/cm2 at 0.9 W/cm2 = 0.144 g Pt/kW.
- Hageluken 2006; UNEP 2013: refiners recover more than 95 % of PGM; GCL Cevre 2020: up to 98 %.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from molmass import Formula

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.materials.feeds import get_feed
from urbanmine.materials.species import get_species
from urbanmine.routes.run import run

STACK = "FC-stack-80kW"
ROUTES = ["fc_stack_dismantling", "fc_stack_dismantling+pgm_pyro"]
PT_G_PER_KW = 0.13 / 0.9  # carculator (Sacchi et al. 2022) Table 8: mg/cm2 over W/cm2
REFINING = (0.95, 0.98)  # Hageluken 2006 / UNEP 2013 (> 95 %); GCL Cevre 2020 (up to 98 %)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ROUTES), st.floats(0.01, 1e4), st.integers(0, 2**31))
def test_element_balance_closes_with_random_parameters(route, mass, seed):
    result = run(get_feed(STACK).scaled(mass_kg=mass), route, samples=16, seed=seed)
    assert result.per_sample["balance"].max() <= 1e-9


def test_stack_platinum_is_loading_times_power():
    feed = get_feed(STACK)
    assert feed.species_kg["Pt"] == pytest.approx(PT_G_PER_KW * 80 / 1000, rel=1e-6)


def test_platinum_recovery_stays_in_the_published_range():
    result = run(get_feed(STACK), "fc_stack_dismantling+pgm_pyro", samples=2000, seed=5)
    r = result.per_sample["recovery.Pt"]
    assert r.min() >= REFINING[0] - 1e-12 and r.max() <= REFINING[1] + 1e-12
    assert r.max() - r.min() > 0.02


def test_membrane_fluorine_ends_in_the_scrubber_as_calcium_fluoride():
    feed = get_feed(STACK)
    f_in = sum(kg * get_species(sp).elements.get("F", 0.0) for sp, kg in feed.species_kg.items())
    d = run(feed, "fc_stack_dismantling+pgm_pyro").to_dict()
    out = {o["name"]: o for o in d["outputs"]}
    residue = out["pgm_pyro/scrubber_residue"]
    assert residue["elements_kg"]["F"] == pytest.approx(f_in, rel=1e-12)
    caf2 = f_in / (2 * Formula("F").mass) * Formula("CaF2").mass
    assert residue["species_kg"]["CaF2"] == pytest.approx(caf2, rel=1e-12)
    assert "F" not in out["pgm_pyro/stack_gas"]["elements_kg"]


def test_nafion_equivalent_weight_is_that_of_the_100_series():
    """Mauritz & Moore 2004: Nafion 117 has an equivalent weight of 1100 g per mol SO3H."""
    nafion = get_species("nafion").elements
    ew = Formula("S").mass / nafion["S"]
    assert ew == pytest.approx(1100, rel=0.01)


def test_a_stack_through_a_route_that_does_not_take_it_is_named():
    with pytest.raises((InputError, RouteError), match=r"pgm_pyro.*mea.*stack"):
        run(get_feed(STACK), "pgm_pyro")
