"""Composition feeds made of parts: a part brings another feed's species at its mass, the feed's
own shares cover the rest of the basis, the parts' capacity goes with them; colliding species,
unknown part feeds, nested parts and parts as heavy as the feed are named errors."""

from __future__ import annotations

from typing import Any

import pytest

from urbanmine.errors import InputError
from urbanmine.materials.compositions import _resolve_parts, composition_feeds, parse_feed
from urbanmine.materials.feeds import get_feed

CAR: dict[str, Any] = {
    "label": "Test car",
    "material": "test-car",
    "form": "car",
    "basis_kg": 1000.0,
    "source": "test",
    "composition": {
        "car_steel": {"share": 0.75, "source": "test"},
        "car_glass": {"share": 0.25, "source": "test"},
    },
    "parts": {"pack": {"feed": "NMC622-pack", "mass_kg": 200.0, "source": "test"}},
}


def resolved(rec: dict[str, Any]) -> Any:
    return _resolve_parts(parse_feed("TEST-car", rec, "test"), composition_feeds())


def test_parts_and_own_shares_make_the_basis():
    feed = resolved(CAR)
    kg = feed.species_kg()
    assert sum(kg.values()) == pytest.approx(1000.0, rel=1e-12)
    assert kg["car_steel"] == pytest.approx(0.75 * 800.0, rel=1e-12)
    pack = get_feed("NMC622-pack").scaled(mass_kg=200.0)
    for species, mass in pack.species_kg.items():
        assert kg[species] == pytest.approx(mass, rel=1e-12)
    assert feed.capacity_kWh() == pytest.approx(pack.capacity_kWh, rel=1e-12)
    half = feed.species_kg(500.0)
    assert half["NMC622"] == pytest.approx(pack.species_kg["NMC622"] / 2, rel=1e-12)


def test_a_composition_feed_may_be_a_part():
    rec = {**CAR, "parts": {"boards": {"feed": "PCB-computer", "mass_kg": 10.0, "source": "t"}}}
    kg = resolved(rec).species_kg()
    assert kg["Au"] == pytest.approx(10.0 * get_feed("PCB-computer").species_kg["Au"], rel=1e-12)


@pytest.mark.parametrize(
    ("parts", "own", "named"),
    [
        ({"p": {"feed": "NMC622-pack", "mass_kg": 1.0, "source": "t"}}, "steel", "also in its own"),
        (
            {
                "a": {"feed": "NMC622-pack", "mass_kg": 1.0, "source": "t"},
                "b": {"feed": "NMC811-cell", "mass_kg": 1.0, "source": "t"},
            },
            None,
            "also in part 'a'",
        ),
        ({"p": {"feed": "NMC622-tank", "mass_kg": 1.0, "source": "t"}}, None, "unknown feed"),
        ({"p": {"feed": "BEV-car", "mass_kg": 1.0, "source": "t"}}, None, "parts of its own"),
    ],
)
def test_bad_parts_are_named_when_resolved(parts: Any, own: str | None, named: str) -> None:
    comp = dict(CAR["composition"])
    if own:
        comp = {"car_steel": {"share": 0.5, "source": "t"}, own: {"share": 0.5, "source": "t"}}
    with pytest.raises(InputError, match=named):
        resolved({**CAR, "composition": comp, "parts": parts})


@pytest.mark.parametrize(
    ("parts", "named"),
    [
        ({"p": {"feed": "NMC622-pack", "mass_kg": 1000.0, "source": "t"}}, "not less than"),
        ({"p": {"feed": "NMC622-pack", "mass_kg": -1.0, "source": "t"}}, "must be > 0"),
        ({"p": {"feed": "NMC622-pack", "mass_kg": 1.0, "source": ""}}, "needs its source"),
        ({"p": {"feed": "NMC622-pack", "mass_kg": 1.0}}, "missing source"),
        ({"p": {"feed": "NMC622-pack", "mass_kg": 1.0, "source": "t", "kwh": 2}}, "kwh"),
        ({"p": "NMC622-pack"}, "expected a table"),
    ],
)
def test_bad_part_tables_are_named(parts: Any, named: str) -> None:
    with pytest.raises(InputError, match=named):
        parse_feed("TEST-car", {**CAR, "parts": parts}, "test")
