"""Feeds given by their composition: every share sourced, in [0, 1], inside its range, adding up
to 1; element masses from the species' formulas (molmass); bad files named; such a feed runs
through a route that accepts its form, and its price reaches the cost model."""

from __future__ import annotations

from typing import Any

import pytest
from molmass import Formula

from urbanmine.errors import InputError
from urbanmine.materials import compositions
from urbanmine.materials.compositions import parse_feed
from urbanmine.materials.feeds import get_feed

BOARD: dict[str, Any] = {
    "label": "Test board",
    "material": "test-board",
    "form": "test_boards",
    "basis_kg": 2.0,
    "source": "test",
    "price_usd_per_kg": 1.5,
    "price_source": "test",
    "composition": {
        "Cu": {"share": 0.25, "low": 0.065, "high": 0.287, "source": "test range"},
        "Fe": {"share": 0.05, "source": "test"},
        "SiO2": {"share": 0.70, "source": "test"},
    },
}


@pytest.fixture()
def board(monkeypatch: pytest.MonkeyPatch) -> compositions.CompositionFeed:
    feed = parse_feed("TEST-board", BOARD, "test")
    monkeypatch.setattr(compositions, "composition_feeds", lambda: {"TEST-board": feed})
    return feed


def test_a_composition_feed_has_its_species_and_elements(board: Any) -> None:
    f = get_feed("TEST-board")
    assert (f.form, f.chemistry, f.capacity_kWh) == ("test_boards", "test-board", 0.0)
    assert f.mass_kg == pytest.approx(2.0, rel=1e-12)
    si_share = Formula("SiO2").composition()["Si"].fraction  # molmass, not our table
    assert f.elements_kg()["Si"] == pytest.approx(2.0 * 0.70 * si_share, rel=1e-9)
    assert f.elements_kg()["Cu"] == pytest.approx(0.5, rel=1e-12)
    assert f.scaled(mass_kg=10.0).species_kg["Fe"] == pytest.approx(0.5, rel=1e-12)
    with pytest.raises(InputError, match="stores no energy"):
        f.scaled(kwh=10.0)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"composition": {**BOARD["composition"], "Fe": {"share": 0.06, "source": "t"}}}, "add up"),
        ({"composition": {**BOARD["composition"], "Fe": {"share": 0.05}}}, "source"),
        ({"composition": {**BOARD["composition"], "Xx": {"share": 0.0, "source": "t"}}}, "Xx"),
        (
            {
                "composition": {
                    **BOARD["composition"],
                    "Cu": {"share": 0.25, "high": 0.2, "source": "t"},
                }
            },
            "outside its range",
        ),
        (
            {"composition": {**BOARD["composition"], "Cu": {"share": float("nan"), "source": "t"}}},
            "finite",
        ),
        ({"price_source": ""}, "price_source"),
        ({"basis_kg": -1.0}, "basis_kg"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_bad_composition_is_named(change: dict[str, Any], named: str) -> None:
    with pytest.raises(InputError, match=named):
        parse_feed("TEST-board", {**BOARD, **change}, "test")


def test_shipped_composition_feeds_are_whole() -> None:
    """Every shipped composition adds up to 1 and its elements to the feed's mass (molmass)."""
    for name, comp in compositions.composition_feeds().items():
        f = get_feed(name)
        assert sum(c.share for c in comp.components) == pytest.approx(1.0, abs=1e-9), name
        assert sum(f.elements_kg().values()) == pytest.approx(f.mass_kg, rel=1e-9), name


SORTER = """
[route]
name = "sorter"
title = "Pick the copper out"
intake = "test_boards"
accepts = ["test_boards"]
source = "test route"

[[units]]
name = "picker"
inlets = ["feed"]
outlets = ["copper", "rest"]
source = "test"
[units.split.copper]
Cu = 1.0

[sinks]
copper = "product"
rest = "landfill"
"""


def test_a_route_takes_the_form_and_the_cost_model_its_price(board: Any, tmp_path: Any) -> None:
    from urbanmine.impacts.tea import costs
    from urbanmine.routes.run import run

    route = tmp_path / "sorter.toml"
    route.write_text(SORTER)
    result = run(get_feed("TEST-board").scaled(mass_kg=100.0), str(route))
    assert result.mean("outputs.copper.mass_kg") == pytest.approx(25.0, rel=1e-12)
    paid = costs(result).breakdown["feedstock"]
    assert float(paid.mean()) == pytest.approx(1.5 * 100.0, rel=1e-12)  # USD/kg x kg


def test_an_unpriced_feed_leaves_the_feedstock_line_out(tmp_path: Any, monkeypatch: Any) -> None:
    """No sourced price: the costs carry no feedstock line and say which feed is unpriced."""
    from urbanmine.impacts.tea import costs
    from urbanmine.routes.run import run

    rec = {k: v for k, v in BOARD.items() if k not in ("price_usd_per_kg", "price_source")}
    feed = parse_feed("TEST-board", rec, "test")
    monkeypatch.setattr(compositions, "composition_feeds", lambda: {"TEST-board": feed})
    route = tmp_path / "sorter.toml"
    route.write_text(SORTER)
    economics = costs(run(get_feed("TEST-board").scaled(mass_kg=100.0), str(route)))
    assert "feedstock" not in economics.breakdown
    (key,) = [k for k in economics.unpriced_kg if "TEST-board" in k]
    assert economics.unpriced_kg[key] == pytest.approx(100.0) and "feeds/test.toml" in key
