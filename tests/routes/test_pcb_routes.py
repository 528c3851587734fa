"""Circuit-board routes: element balance with random parameters, precious metals through the
composed routes as the sources' losses say, recoveries within the published ranges, the burned
resin's CO2 and bromine by stoichiometry (molmass), and bad input named.

Sources of the expected values:
- Chancerel P. et al. (2009) J. Ind. Ecol. 13(5):791: a full-scale shredder/sorter sends 25.6 % of
  the Au and Pd, 11.5 % of the Ag and 60 % of the Cu to recoverable fractions.
- Hagelueken 2006; UNEP 2013: integrated smelters recover more than 95 % of Au, Ag, PGM (upper
  bound of the route's distribution: "up to 98 %", GCL Cevre 2020).
- Metals 2018, 8(6):441 (lab): Cu 92.4 %, Pb 98.5 %, Ag 96.8 %, Au over 99 %, Sn 55.4 %.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from molmass import Formula

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.materials.feeds import get_feed
from urbanmine.materials.species import get_species
from urbanmine.routes.run import run

BOARDS = ["PCB-computer", "PCB-mobile", "PCB-TV", "PCB-router"]
ROUTES = [
    "pcb_preprocessing",
    "pcb_smelter",
    "pcb_hydro",
    "pcb_preprocessing+pcb_smelter",
    "pcb_preprocessing+pcb_hydro",
]
SHREDDER = {"Au": 0.256, "Pd": 0.256, "Ag": 0.115, "Cu": 0.60}  # Chancerel et al. 2009
SMELTER = (0.95, 0.98)  # Hagelueken 2006 / UNEP 2013 (> 95 %); GCL Cevre 2020 (up to 98 %)
HYDRO = {"Cu": 0.924, "Pb": 0.985, "Ag": 0.968, "Sn": 0.554}  # Metals 2018, 8(6):441


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(BOARDS),
    st.sampled_from(ROUTES),
    st.floats(0.01, 1e4),
    st.integers(0, 2**31),
)
def test_element_balance_closes_with_random_parameters(board, route, mass, seed):
    result = run(get_feed(board).scaled(mass_kg=mass), route, samples=16, seed=seed)
    assert result.per_sample["balance"].max() <= 1e-9


@pytest.mark.parametrize("board", BOARDS)
def test_precious_metals_after_shredding_and_smelting_are_the_feeds_less_both_losses(board):
    feed = get_feed(board).scaled(mass_kg=1.0)
    got = run(feed, "pcb_preprocessing+pcb_smelter").to_dict()
    out = {o["name"]: o["elements_kg"] for o in got["outputs"]}
    smelter = SMELTER[0]  # the route's cited point value (Hagelueken 2006: > 95 %)
    for metal, stream in (("Au", "gold"), ("Pd", "palladium"), ("Ag", "silver")):
        expected = feed.species_kg[metal] * SHREDDER[metal] * smelter
        assert out[f"pcb_smelter/{stream}"][metal] == pytest.approx(expected, rel=1e-12)
    # the direct smelter (boards removed by hand) loses only the smelter's share
    direct = run(feed, "pcb_smelter").to_dict()
    gold = next(o for o in direct["outputs"] if o["name"] == "gold")["elements_kg"]["Au"]
    assert gold == pytest.approx(feed.species_kg["Au"] * smelter, rel=1e-12)


def test_smelter_precious_metal_recovery_stays_in_the_published_range():
    """Hagelueken 2006 / UNEP 2013: > 95 %; GCL Cevre 2020: up to 98 %."""
    result = run(get_feed("PCB-mobile").scaled(mass_kg=1.0), "pcb_smelter", samples=2000, seed=7)
    for metal in ("Au", "Ag", "Pd"):
        r = result.per_sample[f"recovery.{metal}"]
        assert r.min() >= SMELTER[0] - 1e-12 and r.max() <= SMELTER[1] + 1e-12
        assert r.max() - r.min() > 0.02  # the range is drawn, not one value


def test_hydro_recoveries_are_those_of_metals_2018():
    """Metals 2018, 8(6):441: Cu 92.4, Pb 98.5, Ag 96.8, Au > 99, Sn 55.4 % (lab)."""
    feed = get_feed("PCB-computer").scaled(mass_kg=1.0)
    result = run(feed, "pcb_hydro", samples=500, seed=3)
    for metal, share in HYDRO.items():
        assert result.per_sample[f"recovery.{metal}"] == pytest.approx(share, rel=1e-12)
    au = result.per_sample["recovery.Au"]
    assert au.min() >= 0.99 - 1e-12 and au.max() <= 1.0 + 1e-12
    assert np.all(result.per_sample["recovery.Pd"] == 0.0)  # the paper recovers no Pd


def test_burning_the_board_resin_gives_its_co2_and_bromine_by_stoichiometry():
    feed = get_feed("PCB-computer").scaled(mass_kg=1.0)
    resin = get_species("brominated_epoxy").elements
    kg = feed.species_kg["brominated_epoxy"]
    d = run(feed, "pcb_smelter").to_dict()
    out = {o["name"]: o for o in d["outputs"]}
    co2 = out["stack_gas"]["species_kg"]["CO2"]
    assert co2 == pytest.approx(kg * resin["C"] * Formula("CO2").mass / Formula("C").mass)
    assert out["scrubber_liquor"]["elements_kg"]["Br"] == pytest.approx(kg * resin["Br"])
    naoh = d["inventory"]["reagents_kg"]["NaOH"]  # one NaOH per HBr
    assert naoh == pytest.approx(kg * resin["Br"] / Formula("Br").mass * Formula("NaOH").mass)


def test_the_smelters_co2_counts_as_process_emission_though_its_heat_is_recovered():
    from urbanmine.impacts.lca import assess

    feed = get_feed("PCB-computer").scaled(mass_kg=1.0)
    result = run(feed, "pcb_smelter")
    lca = assess(result, "greet2022", "US", "none").to_dict()
    line = next(c for c in lca["contributions"] if c["input"] == "process emissions CO2")
    c_kg = feed.species_kg["brominated_epoxy"] * get_species("brominated_epoxy").elements["C"]
    assert line["ghg_kg_co2e"] == pytest.approx(c_kg * Formula("CO2").mass / Formula("C").mass)


@pytest.mark.parametrize(
    ("feed", "route", "error"),
    [
        ("NMC811-cell", "pcb_smelter", InputError),
        ("PCB-computer", "hydro", InputError),
    ],
)
def test_a_feed_a_route_does_not_take_is_named(feed, route, error):
    with pytest.raises((error, RouteError), match=r"boards|board_concentrate|takes"):
        run(get_feed(feed).scaled(mass_kg=1.0), route)
