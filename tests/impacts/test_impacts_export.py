"""The costing export (``urbanmine.impacts.export``) carries what ``assess`` and ``costs`` use.

Its numbers are checked against BioSTEAM, which recomputes GHG and costs from them
(``tests/flowsheet/test_biosteam_crosscheck.py``, opt-in); here only its shape and its refusals.
"""

from __future__ import annotations

import json

import pytest

from urbanmine.errors import InputError
from urbanmine.impacts import plant
from urbanmine.impacts.export import to_costing_spec
from urbanmine.impacts.tea import costs
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run


def test_export_is_plain_json_and_holds_the_costed_plant() -> None:
    r = run(get_feed("NMC622-cell"), "hydro", samples=3, seed=1)
    spec = json.loads(json.dumps(to_costing_spec(r, "greet2022", "CN", 20_000)))
    sized = costs(r, "China", 20_000).plant
    equipment = spec["economics"]["equipment"]
    # the same items as the cost model: their sum is the plant's purchased equipment
    assert sum(e["purchase_cost_usd"] for e in equipment) == pytest.approx(
        sized["purchased_equipment_usd"], rel=1e-12
    )
    assert sum(e["labour_h_per_day"] for e in equipment) == sized["operating_labour_h_per_day"]
    assert {e["unit"] for e in equipment} <= {u.name for u in r.route.flowsheet.units}
    assert (spec["ghg"]["location"], spec["economics"]["location"]) == ("CN", "CN")
    reagents = {k.split(".", 2)[2] for k in r.per_sample if k.startswith("inventory.reagents_kg.")}
    assert set(spec["ghg"]["reagents_kg_co2e_per_kg"]) <= reagents


def test_export_refuses_prices_with_a_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    from urbanmine.impacts import prices as prices_module

    real = prices_module.load_toml

    def with_distribution(*parts: str) -> dict:
        data = real(*parts)
        if parts == ("economics", "prices.toml"):
            acid = {
                **data["everbatt2023"]["sulfuric_acid"],
                "distribution": {"kind": "uniform", "low": 0.05, "high": 0.1},
            }
            data = {**data, "everbatt2023": {**data["everbatt2023"], "sulfuric_acid": acid}}
        return data

    r = run(get_feed("NMC622-cell"), "hydro", samples=2, seed=1)
    monkeypatch.setattr(prices_module, "load_toml", with_distribution)
    prices_module.price_parameters.cache_clear()
    try:
        with pytest.raises(InputError, match="sulfuric_acid"):
            to_costing_spec(r)
    finally:
        prices_module.price_parameters.cache_clear()


def test_sized_equipment_follows_the_intake_shares() -> None:
    r = run(get_feed("NMC622-pack"), "pretreatment+hydro", samples=2, seed=1)
    shares = plant.intake_shares(r)
    for item in plant.sized_equipment(r.route, "everbatt2023", 6_400.0, shares):
        # 6,400 t/yr is 1 t/h of feed (320 days x 20 h)
        assert item.throughput_t_per_h == pytest.approx(shares[item.route], rel=1e-12)
