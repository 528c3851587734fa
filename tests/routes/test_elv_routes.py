"""End-of-life vehicle routes: element balance with random parameter values on every route and
composition; a BEV's traction battery, removed at depollution, ends element by element exactly
where the battery routes put the same pack run on its own; shredder metal recovery within the
published range; bad input named.

Sources of the expected values:
- Oekopol for UBA, FKZ 3715 33 305 0 (2016 shredder trial, 425 ELVs): metal yield 99 %;
  GEM Co. ELV page: metals recycled over 90 % (the route's range 0.90-0.99).
- carculator (Sacchi et al.), docs/modeling.rst Table 4: medium BEV 2021, 1540 kg with 360 kg of
  battery; IEA 2021: 53.2 kg Cu per BEV.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmine.errors import InputError
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.compose import compose
from urbanmine.routes.run import run, run_composed

CARS = ["ICE-car", "BEV-car", "FCEV-car"]
BATTERY_ROUTE = "dismantling+pretreatment+hydro+precursor"
ELV = "elv_depollution+elv_dismantling+elv_shredding+asr"
ROUTES = [
    "elv_depollution",
    "elv_depollution+elv_dismantling",
    "elv_depollution+elv_dismantling+elv_shredding",
    ELV,
    f"elv_depollution+{BATTERY_ROUTE}",
    f"{ELV}+{BATTERY_ROUTE}",
]
SHREDDER = (0.90, 0.99)  # GEM (over 90 %); Oekopol / UBA 2016 trial (99 %)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(CARS),
    st.sampled_from(ROUTES),
    st.floats(1.0, 1e4),
    st.integers(0, 2**31),
)
def test_element_balance_closes_with_random_parameter_values(car, route, mass, seed):
    """Every parameter of the route drawn uniformly in [0, 1] per sample (shares, removals,
    recoveries: any value a user may give), not only from the shipped distributions."""
    feed = get_feed(car).scaled(mass_kg=mass)
    composed = compose(route, feed.form)
    rng = np.random.default_rng(seed)
    ours = [n for n in composed.parameters if "/" not in n or n.split("/")[0] in ELV.split("+")]
    assert ours
    values = {n: rng.uniform(0.0, 1.0, 8) for n in ours}
    result = run_composed(feed, composed, values=values)
    assert result.per_sample["balance"].max() <= 1e-9


@pytest.mark.parametrize("route", [f"elv_depollution+{BATTERY_ROUTE}", f"{ELV}+{BATTERY_ROUTE}"])
def test_the_cars_battery_ends_where_the_battery_routes_put_the_pack_alone(route):
    car = get_feed("BEV-car")
    pack_kg = 360.0  # carculator: 360 kg of battery in the medium BEV
    pack = get_feed("NMC622-pack").scaled(mass_kg=pack_kg)
    alone = {o["name"]: o for o in run(pack, BATTERY_ROUTE).to_dict()["outputs"]}
    inside = {o["name"]: o for o in run(car, route).to_dict()["outputs"]}
    assert alone, "the battery route gives outputs"
    for name, out in alone.items():
        got = inside[name]["elements_kg"]
        for element, kg in out["elements_kg"].items():
            assert got.get(element, 0.0) == pytest.approx(kg, rel=1e-9, abs=1e-12), (name, element)
        assert set(got) <= set(out["elements_kg"]) | {e for e, v in got.items() if v == 0}
    # and nothing of the car's own materials reaches the battery routes
    battery_outputs = {n for n in inside if n.split("/")[0] in BATTERY_ROUTE.split("+")}
    assert battery_outputs == set(alone)


def test_the_bev_holds_its_pack_and_the_published_copper():
    car = get_feed("BEV-car")
    pack = get_feed("NMC622-pack").scaled(mass_kg=360.0)
    assert car.mass_kg == pytest.approx(1540.0, rel=1e-12)  # carculator curb mass
    for species, kg in pack.species_kg.items():
        assert car.species_kg[species] == pytest.approx(kg, rel=1e-12)
    assert car.capacity_kWh == pytest.approx(pack.capacity_kWh, rel=1e-12)
    copper = (
        car.species_kg["car_copper_wiring"] + pack.species_kg["Cu"] + pack.species_kg["Cu_parts"]
    )
    assert copper == pytest.approx(53.2, abs=0.01)  # IEA 2021: 53.2 kg Cu per BEV


def test_an_ice_car_hands_no_pack_on():
    out = {o["name"]: o for o in run(get_feed("ICE-car"), "elv_depollution").to_dict()["outputs"]}
    assert out["traction_battery"]["mass_kg"] == 0.0
    assert out["starter_battery"]["mass_kg"] == pytest.approx(0.0121 * 1361.0, rel=1e-9)


@pytest.mark.parametrize("car", CARS)
def test_shredder_metal_recovery_stays_in_the_published_range(car):
    """Oekopol / UBA 2016: metal yield 99 %; GEM: over 90 %."""
    feed = get_feed(car)
    result = run(feed, "elv_depollution+elv_dismantling+elv_shredding", samples=400, seed=5)
    fe_in = feed.species_kg["car_steel"] + feed.species_kg["car_cast_iron"]
    share = result.per_sample["outputs.elv_shredding/ferrous_scrap.mass_kg"] / fe_in
    assert share.min() >= SHREDDER[0] - 1e-12 and share.max() <= SHREDDER[1] + 1e-12
    assert share.max() - share.min() > 0.05  # the range is drawn, not one value
    cu_al = feed.species_kg["car_copper_wiring"] + feed.species_kg["car_aluminium"]
    nonferrous = result.per_sample["outputs.elv_shredding/nonferrous_scrap.mass_kg"] / cu_al
    assert nonferrous.min() >= SHREDDER[0] - 1e-12 and nonferrous.max() <= SHREDDER[1] + 1e-12


@pytest.mark.parametrize(
    ("feed", "route", "named"),
    [
        ("ICE-car", "hydro", "car feed cannot be brought"),
        ("NMC622-pack", "elv_depollution", "pack feed cannot be brought"),
        ("BEV-car", "elv_shredding", "cannot be brought"),
        ("BEV-car", "elv_depollution+asr", "does not hand off"),
    ],
)
def test_bad_route_for_a_car_is_named(feed, route, named):
    with pytest.raises(InputError, match=named):
        run(get_feed(feed), route)


@pytest.mark.parametrize("car", CARS)
def test_shredder_residue_share_is_the_published_one(car):
    """About 20-25 % of an ELV's weight is ASR (EU study of vehicle recycling factories, Science
    for Environment Policy, 3 May 2012); 22.5 % of the residual body (Oekopol / UBA 2016 trial).
    Compared with tyres and glass left on the car, as in those shredder streams, and for the BEV
    of the car without its pack (the pack is not shredded)."""
    feed = get_feed(car)
    composed = compose(ELV, feed.form)
    kept = {f"elv_dismantling/{p}": 0.0 for p in ("tyre_removal", "glass_removal")}
    out = run_composed(feed, composed, values=kept).to_dict()
    asr = sum(o["mass_kg"] for o in out["outputs"] if o["name"].startswith("asr/"))
    pack = 360.0 if car == "BEV-car" else 0.0  # carculator: the BEV's 360 kg of battery
    assert 0.20 <= asr / (feed.mass_kg - pack) <= 0.25


FCEV_ROUTE = (
    "elv_depollution+fc_stack_dismantling+pgm_pyro+h2_tank_dismantling+cfrp_pyrolysis"
    "+elv_dismantling+elv_shredding+asr"
)


def test_a_fuel_cell_cars_stack_and_tank_end_where_their_routes_put_them_alone():
    """The FCEV's stack and tank, removed at depollution, end element by element exactly where
    their own routes put the same stack (40.8 kg) and tank (109.46 kg) run alone; both balances
    close for the whole car."""
    car = get_feed("FCEV-car")
    inside = run(car, FCEV_ROUTE)
    assert inside.per_sample["balance"].max() <= 1e-9
    got = {o["name"]: o for o in inside.to_dict()["outputs"]}
    for feed, kg, route in (
        ("FC-stack-80kW", 40.8, "fc_stack_dismantling+pgm_pyro"),
        ("H2-tank-typeIV", 109.46, "h2_tank_dismantling+cfrp_pyrolysis"),
    ):
        alone = run(get_feed(feed).scaled(mass_kg=kg), route).to_dict()["outputs"]
        for out in alone:
            for element, m in out["elements_kg"].items():
                assert got[out["name"]]["elements_kg"].get(element, 0.0) == pytest.approx(
                    m, rel=1e-9, abs=1e-12
                ), (out["name"], element)
