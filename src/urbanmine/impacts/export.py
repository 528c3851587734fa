"""Export the data an independent tool needs to recompute ``assess`` and ``costs`` of a result.

``to_costing_spec(result, factor_set, location, capacity_t)`` gives, as plain JSON-ready data,
the greenhouse-gas factors and the cost data that urbanmine applies to ``result``: kg CO2e per kg
of each reagent, per kWh of the location's electricity, per MJ of natural gas and diesel, and the
100-year GWP of emitted gases (``impacts.lca``); reagent prices, product values, location prices,
the cost-method factors and plant constants, the feedstock and dismantling prices, and every
equipment item's purchased cost, rated power and labour at the plant capacity
(``impacts.tea``, ``impacts.plant``). Together with the flowsheet from
``urbanmine.flowsheet.export.to_spec`` this is what ``bench/biosteam_tea.py`` rebuilds in
BioSTEAM. Every number comes from the functions urbanmine's own assessment calls; this module
only collects them. Point values only: a factor or price with a distribution is an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.impacts import plant
from urbanmine.impacts.factors import Factor, load_factor_set
from urbanmine.impacts.prices import (
    cost_preset,
    price_parameters,
    reagent_costs,
    sampled_prices,
    unit_value,
)
from urbanmine.impacts.tea import feed_elements_per_kg, feedstock_usd_per_kg, location_parameters
from urbanmine.routes.run import RouteResult

OPERATION = (
    "days_per_year",
    "processing_hours_per_day",
    "plant_life_years",
    "mmbtu_MJ",
    "gallon_L",
    "short_ton_kg",
)
"""Plant constants the costing needs (``data/economics/factors.toml`` ``[operation]``)."""

_REAGENTS = "inventory.reagents_kg."


def _point(f: Factor) -> float:
    if f.uncertainty is not None:
        raise InputError(f"factor {f.key!r} has an uncertainty; the export holds point values")
    return f.ghg_kg_co2e


def ghg_factors(result: RouteResult, factor_set: str, location: str) -> dict[str, Any]:
    """kg CO2e per unit of every input of ``result`` that ``assess`` characterises."""
    fs = load_factor_set(factor_set)
    reagents = sorted(k[len(_REAGENTS) :] for k in result.per_sample if k.startswith(_REAGENTS))
    factors = {sp: fs.input_factor(sp) for sp in reagents}
    return {
        "factor_set": fs.name,
        "location": location,
        "reagents_kg_co2e_per_kg": {sp: _point(f) for sp, f in factors.items() if f is not None},
        "electricity_kg_co2e_per_kWh": _point(fs.electricity_at(location)),
        "natural_gas_kg_co2e_per_MJ": _point(fs.natural_gas),
        "diesel_kg_co2e_per_MJ": _point(fs.diesel),
        "emission_gwp_100": dict(fs.gwp_100),
    }


def cost_data(
    result: RouteResult, location: str, capacity_t: float, preset: str | None = None
) -> dict[str, Any]:
    """Prices, factors and the sized plant that ``costs`` uses for ``result`` (USD, kg, t/yr)."""
    chosen = cost_preset(preset or result.feed.requested_preset)
    varying = sorted(k for k, p in price_parameters(chosen).items() if p.distribution is not None)
    if varying:
        raise InputError(f"prices with a distribution ({', '.join(varying)}): point values only")
    prices = sampled_prices(chosen, 1, None)
    loc = location_parameters(location, chosen)
    method, factors = plant.factors(chosen)
    reagents = {
        k[len(_REAGENTS) :]: np.ones(1) for k in result.per_sample if k.startswith(_REAGENTS)
    }
    products: dict[str, float] = {}
    for key in result.per_sample:
        kind, _, rest = key.partition(".")
        fate, _, species = rest.partition(".")
        if kind == "fate" and fate in ("product", "recycled"):
            value = unit_value(species, fate, prices)
            if value is not None:
                products[f"{fate}.{species}"] = float(value)
    feed = result.feed
    dismantled = any(s.name == "dismantling" for s in result.route.specs)
    return {
        "preset": chosen,
        "method": method,
        "factors": factors,
        "operation": {k: plant.operation(k) for k in OPERATION},
        "location": location,
        "location_prices": loc,
        "capacity_t": float(capacity_t),
        "reagent_usd_per_kg": {
            sp: float(usd[0]) for sp, usd in reagent_costs(reagents, prices).items()
        },
        "product_usd_per_kg": products,
        "feedstock_usd_per_kg": feedstock_usd_per_kg(
            feed.chemistry, feed.form, feed_elements_per_kg(result), chosen
        ),
        "dismantling_usd_per_kg": (
            plant.dismantling_labour_usd_per_kg(
                feed.chemistry, feed.form, feed.preset, loc["labour_usd_per_h"]
            )
            if dismantled
            else 0.0
        ),
        "equipment": [
            {
                "unit": s.unit,
                "route": s.route,
                "item": s.equipment.name,
                "purchase_cost_usd": s.equipment.cost_usd(s.throughput_t_per_h)
                * loc["equipment_adj"],
                "power_kW": s.equipment.power_kW(s.throughput_t_per_h),
                "labour_h_per_day": s.equipment.labour_h_per_day,
            }
            for s in plant.sized_equipment(
                result.route, chosen, capacity_t, plant.intake_shares(result)
            )
        ],
    }


def to_costing_spec(
    result: RouteResult,
    factor_set: str = "greet2022",
    location: str = "US",
    capacity_t: float = 10_000.0,
    preset: str | None = None,
) -> dict[str, Any]:
    """GHG factors (``ghg``) and cost data (``economics``) of ``result``, as plain data: what
    ``assess(result, factor_set, location)`` and ``costs(result, location, capacity_t, preset)``
    use."""
    return {
        "ghg": ghg_factors(result, factor_set, location),
        "economics": cost_data(result, location, capacity_t, preset),
    }
