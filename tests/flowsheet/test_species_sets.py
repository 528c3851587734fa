"""Species sets in split tables: "@batteries" is every species of every battery feed of the
shipped bills of materials (checked against the feeds themselves), "@FEED" a feed's species;
explicit species win over sets and sets over "*"; unknown or disagreeing sets are named errors,
from the engine and from `routes check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from urbanmine.flowsheet.errors import RouteError
from urbanmine.flowsheet.species_sets import battery_species, expand_split, set_species
from urbanmine.materials.chemistry import CHEMISTRIES
from urbanmine.materials.feeds import FORMS, get_feed
from urbanmine.routes.check import check_route_file
from urbanmine.routes.compose import single_route
from urbanmine.routes.loader import read_route_file
from urbanmine.routes.run import run_composed


def test_batteries_holds_every_battery_feeds_species_and_no_car_material():
    for chemistry in CHEMISTRIES:
        for form in FORMS:
            assert set(get_feed(f"{chemistry}-{form}").species_kg) <= battery_species()
    assert {"NMC622", "LFP", "graphite", "steel", "Cu_parts"} <= battery_species()
    assert not {"car_steel", "car_copper_wiring", "Au"} & battery_species()


def test_a_feed_set_is_that_feeds_species():
    assert set_species("@NMC622-pack") == frozenset(get_feed("NMC622-pack").species_kg)
    assert "NMC622" in set_species("@BEV-car") and "car_steel" in set_species("@BEV-car")


def test_precedence_species_over_set_over_star():
    got = expand_split({"*": 0.1, "@NMC622-cell": 0.5, "graphite": 0.9})
    assert got["*"] == 0.1 and got["graphite"] == 0.9 and got["NMC622"] == 0.5


def test_unknown_and_disagreeing_sets_are_named():
    with pytest.raises(RouteError, match=r"'@nothing'.*unknown species set"):
        expand_split({"@nothing": 1.0})
    with pytest.raises(RouteError, match="both hold"):
        expand_split({"@NMC622-cell": 1.0, "@NMC811-cell": 0.5})
    # the shared species named in the table decides
    assert (
        expand_split(
            {
                "@NMC622-cell": 1.0,
                "@NMC622-pack": 0.5,
                **dict.fromkeys(set_species("@NMC622-cell"), 0.2),
            }
        )["graphite"]
        == 0.2
    )


ROUTE = """
[route]
name = "toy"
intake = "vehicles"
accepts = ["car"]
source = "test"

[[units]]
name = "sort"
inlets = ["feed"]
outlets = ["battery", "rest"]
[units.split.battery]
"{key}" = 1.0

[sinks]
battery = "product"
rest = "landfill"
"""


def test_a_route_sends_a_cars_pack_by_set(tmp_path: Path):
    path = tmp_path / "toy.toml"
    path.write_text(ROUTE.format(key="@batteries"))
    assert "NMC622" in check_route_file(path)["species"]
    car = get_feed("BEV-car")
    res = run_composed(car, single_route(read_route_file(path))).to_dict()
    out = {o["name"]: o for o in res["outputs"]}
    pack = get_feed("NMC622-pack").scaled(mass_kg=360.0)
    assert out["battery"]["mass_kg"] == pytest.approx(pack.mass_kg, rel=1e-12)
    assert out["rest"]["mass_kg"] == pytest.approx(car.mass_kg - pack.mass_kg, rel=1e-12)


def test_routes_check_names_an_unknown_set(tmp_path: Path):
    path = tmp_path / "toy.toml"
    path.write_text(ROUTE.format(key="@battery"))
    with pytest.raises(RouteError, match="'@battery'"):
        check_route_file(path)


TWO_SETS = ROUTE.replace('outlets = ["battery", "rest"]', 'outlets = ["battery", "other", "rest"]')
TWO_SETS = TWO_SETS.replace('"{key}" = 1.0', '"{key}" = 1.0\n[units.split.other]\n"{other}" = 1.0')
TWO_SETS += 'other = "landfill"\n'


def test_sets_of_one_route_must_not_share_species(tmp_path: Path):
    """A species in two sets would follow the first unit that names either, taking another
    part's material along: the route is refused, naming both sets and a shared species."""
    path = tmp_path / "toy.toml"
    path.write_text(TWO_SETS.format(key="@batteries", other="@H2-tank-typeIV"))
    check_route_file(path)  # the tank's materials are named apart from the packs'
    path.write_text(TWO_SETS.format(key="@NMC622-pack", other="@NMC811-pack"))
    with pytest.raises(RouteError, match=r"'@NMC622-pack' and '@NMC811-pack' share .*graphite"):
        check_route_file(path)
