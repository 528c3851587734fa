"""Costs and revenue of a route result, EverBatt-style (techno-economic analysis).

``costs(result, location, capacity_t, preset)`` sizes a plant processing ``capacity_t`` tonnes of
the result's feed a year, prices its equipment from EverBatt's cost curves, factors capital with
Peters et al. (EverBatt 2019/2020) or Towler & Sinnott (EverBatt 2023), adds labour, utilities at
the location's prices, reagents, maintenance, overheads and capital charges as EverBatt does, the
feedstock price (EverBatt 2019 fee table or 2023 formula) and manual dismantling labour, and
values products and recycled materials at EverBatt's prices. Everything variable is computed per
Monte Carlo sample of the result at once; everything is reported per the result's feed mass.
Only fixed costs depend on capacity, so cost per kg falls with capacity and impacts do not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.flowsheet.result import QUANTILES
from urbanmine.impacts import plant
from urbanmine.impacts.locations import (
    eu_country,
    eu_in_usd,
    eu_meta,
    fallback_to_us,
    location_parameters,
)
from urbanmine.impacts.prices import (
    cost_preset,
    price,
    reagent_costs,
    sampled_prices,
    unit_value,
    unpriced_reagents,
)
from urbanmine.routes.run import RouteResult

DEFAULT_CAPACITY_T = 10_000.0
"""EverBatt 2020's default recycling throughput, tonnes per year (Input F27)."""


@dataclass
class Economics:
    """Costs and revenue of a result: per-sample arrays (USD per the result's feed mass)."""

    location: str
    capacity_t: float
    preset: str
    method: str
    breakdown: dict[str, np.ndarray]
    revenue_by_product: dict[str, np.ndarray]
    plant: dict[str, float]
    currency: dict[str, Any]
    """What the amounts are in: see :func:`currency`."""
    fallback_to_us: list[str]
    """Location parameters taken from the U.S. for want of a cited local value (EU countries)."""
    unpriced_kg: dict[str, float] = field(default_factory=dict)

    @property
    def cost(self) -> np.ndarray:
        return sum(self.breakdown.values(), np.zeros(1))

    @property
    def revenue(self) -> np.ndarray:
        return sum(self.revenue_by_product.values(), np.zeros(1))

    @property
    def profit(self) -> np.ndarray:
        return self.revenue - self.cost

    def to_dict(self) -> dict[str, Any]:
        """Sample means (USD per the feed mass of the result), plus p05/p50/p95 of the totals."""
        out: dict[str, Any] = {
            "cost_usd": _mean(self.cost),
            "revenue_usd": _mean(self.revenue),
            "profit_usd": _mean(self.profit),
            "breakdown_usd": {k: _mean(v) for k, v in self.breakdown.items()},
            "revenue_by_product_usd": {k: _mean(v) for k, v in self.revenue_by_product.items()},
            "location": self.location,
            "capacity_t": self.capacity_t,
            "preset": self.preset,
            "method": self.method,
            "currency": self.currency,
            "fallback_to_us": self.fallback_to_us,
            "plant": self.plant,
        }
        if self.unpriced_kg:
            out["unpriced_kg"] = self.unpriced_kg
        if self.cost.size > 1:
            out["quantiles"] = {
                name: dict(
                    zip(("p05", "p50", "p95"), map(float, np.quantile(a, QUANTILES)), strict=True)
                )
                for name, a in (
                    ("cost_usd", self.cost),
                    ("revenue_usd", self.revenue),
                    ("profit_usd", self.profit),
                )
            }
        return out


def _mean(a: np.ndarray) -> float:
    return float(np.mean(a))


def feedstock_usd_per_kg(
    chemistry: str, form: str, elements_per_kg: Mapping[str, float], preset: str | None = None
) -> float:
    """What the recycler pays per kg of feed (negative: it is paid).

    EverBatt 2019/2020: a fee by chemistry (ANL-19/16 Table 13). EverBatt 2023: a share of the
    value of the contained Co and Ni at metal prices (30 % for batteries and scrap, 70 % for black
    mass), and a fixed fee for LFP (Preproc Par C95).
    """
    chosen = cost_preset(preset)
    data = load_toml("economics", "feedstock.toml")
    if chosen in data["fee_table"]:
        fees = data["fee_table"][chosen]
        if chemistry not in fees:
            allowed = ", ".join(k for k in fees if k != "source")
            raise InputError(
                f"no {chosen} battery fee for chemistry {chemistry!r}; allowed: {allowed}"
            )
        return float(fees[chemistry])
    rule = data["formula"][chosen]
    if chemistry in rule:
        return float(rule[chemistry])
    share = rule["share_black_mass"] if form == "blackmass" else rule["share_batteries"]
    metal_value = elements_per_kg.get("Co", 0.0) * price("cobalt", chosen) + elements_per_kg.get(
        "Ni", 0.0
    ) * price("nickel", chosen)
    return float(share * metal_value)


UNPRICED_FEED = "feedstock {name} (no price_usd_per_kg in feeds/{group}.toml)"
"""The ``unpriced_kg`` key of a composition feed with no price: its feedstock line is left out."""


def _feedstock_line(result: RouteResult, preset: str) -> tuple[float | None, str | None]:
    """USD per kg the recycler pays for the feed, and the ``unpriced_kg`` key when a composition
    feed has no price (then no feedstock line: the costs leave it out and say so)."""
    from urbanmine.materials.compositions import composition_feeds

    feed = result.feed
    comp = composition_feeds().get(feed.name)
    if comp is None:
        return feedstock_usd_per_kg(
            feed.chemistry, feed.form, feed_elements_per_kg(result), preset
        ), None
    if comp.price_usd_per_kg is None:
        return None, UNPRICED_FEED.format(name=feed.name, group=comp.group)
    return comp.price_usd_per_kg, None


def costs(
    result: RouteResult,
    location: str = "US",
    capacity_t: float = DEFAULT_CAPACITY_T,
    preset: str | None = None,
    seed: int | None = None,
    prices: Mapping[str, float | np.ndarray] | None = None,
) -> Economics:
    """EverBatt-style costs and revenue of ``result`` for a plant of ``capacity_t`` t/yr of feed.

    ``preset`` picks the data (default: the preset the feed was asked under); ``seed`` draws the
    prices that carry a distribution; ``prices`` overrides items (USD/kg, a number or one value
    per sample, e.g. for a sensitivity analysis). Returns USD per the result's feed mass, per
    sample.
    """
    chosen = cost_preset(preset or result.feed.requested_preset)
    loc = location_parameters(location, chosen)
    method, f = plant.factors(chosen)
    mass = result.per_sample["feed.mass_kg"]
    prices = {**sampled_prices(chosen, result.samples, seed), **_checked(prices or {}, chosen)}
    materials, utilities, unpriced_inputs = _variable_per_kg(result, loc, prices)
    revenue_by_product, unpriced = _revenue(result, prices)
    unpriced = {**unpriced, **unpriced_inputs}
    revenue = sum(revenue_by_product.values(), np.zeros_like(mass)) / mass
    annual, shares_of_total, sizing = _plant_per_year(result, chosen, capacity_t, loc)

    per_kg: dict[str, float | np.ndarray] = {
        "materials": materials,
        "utilities": utilities,
        **{k: v / (capacity_t * 1000.0) for k, v in annual.items()},
    }
    if method == "towler_sinnott":
        per_kg["materials"] = materials * (1 + f["consumables"] + f["packaging"])
        per_kg["general"] = f["research"] * revenue
    subtotal = sum(per_kg.values(), np.zeros_like(mass))
    per_kg["general"] = per_kg.get("general", 0.0) + subtotal * shares_of_total / (
        1 - shares_of_total
    )
    feed = result.feed
    paid, unpriced_feed = _feedstock_line(result, chosen)
    if paid is not None:
        per_kg["feedstock"] = paid
    else:
        unpriced = {**unpriced, str(unpriced_feed): float(np.mean(mass))}
    if any(s.name == "dismantling" for s in result.route.specs):
        per_kg["dismantling"] = plant.dismantling_labour_usd_per_kg(
            feed.chemistry, feed.form, feed.preset, loc["labour_usd_per_h"]
        )
    breakdown = {k: np.broadcast_to(v * mass, mass.shape).copy() for k, v in per_kg.items()}
    return Economics(
        location,
        float(capacity_t),
        chosen,
        method,
        breakdown,
        revenue_by_product,
        sizing,
        currency(chosen, location),
        fallback_to_us(location, chosen),
        unpriced,
    )


def currency(preset: str, location: str) -> dict[str, Any]:
    """The currency of every amount :func:`costs` reports under ``preset`` at ``location``.

    U.S. dollars, nominal and mixed-year as EverBatt adds them (``data/economics/currency.toml``):
    ``equipment_dollar_year`` is the dollar year of the preset's equipment curves, ``prices`` (and
    ``prices_source``) what the prices and EverBatt location rates are in, ``escalation`` that no
    price index joins them. At an EU location, ``converted_from`` names the parameters given in euro, their year,
    and the rate (USD per EUR) and source they were converted with.
    """
    chosen = cost_preset(preset)
    data = load_toml("economics", "currency.toml")
    out: dict[str, Any] = {
        "code": data["code"],
        "equipment_dollar_year": ", ".join(
            sorted({e.dollar_year for e in plant.equipment_table(chosen).values()})
        ),
        "prices": data[chosen]["prices"],
        "prices_source": data[chosen]["prices_source"],
        "escalation": data["escalation"],
    }
    country = eu_country(location)
    if country is not None:
        meta = eu_meta()
        out["converted_from"] = {
            "code": "EUR",
            "year": int(meta["eur_year"]),
            "usd_per_eur": float(meta["eur_usd"]),
            "rate_source": meta["eur_usd_source"],
            "parameters": sorted(eu_in_usd(country, meta)),
        }
    return out


def _variable_per_kg(
    result: RouteResult, loc: Mapping[str, float], prices: Mapping[str, float | np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Reagent and utility cost (USD per kg feed, per sample) at the location's prices, and the
    reagents no price covers (kg, left out of the materials line)."""
    per = result.per_sample
    mass = per["feed.mass_kg"]
    prefix = "inventory.reagents_kg."
    reagents = {k[len(prefix) :]: v for k, v in per.items() if k.startswith(prefix)}
    materials = sum(reagent_costs(reagents, prices).values(), np.zeros_like(mass))
    landfill_kg = sum(
        (v for k, v in per.items() if k.startswith("fate.landfill.")), np.zeros_like(mass)
    )
    gas_MMBtu = per["inventory.natural_gas_MJ"] / plant.operation("mmbtu_MJ")
    utilities = (
        per["inventory.electricity_kWh"] * loc["electricity_usd_per_kWh"]
        + gas_MMBtu * loc["natural_gas_usd_per_MMBtu"]
        + per["inventory.water_kg"] / plant.operation("gallon_L") * loc["water_usd_per_gal"]
        + landfill_kg / plant.operation("short_ton_kg") * loc["landfill_usd_per_short_ton"]
    )
    return materials / mass, utilities / mass, unpriced_reagents(reagents)


def _plant_per_year(
    result: RouteResult, preset: str, capacity_t: float, loc: Mapping[str, float]
) -> tuple[dict[str, float], float, dict[str, float]]:
    """Fixed costs by category (USD/yr), the shares of total cost, and the plant's sizing."""
    shares = plant.intake_shares(result)
    items = [
        (s.equipment, s.throughput_t_per_h)
        for s in plant.sized_equipment(result.route, preset, capacity_t, shares)
    ]
    purchased = sum(e.cost_usd(r) for e, r in items) * loc["equipment_adj"]
    cap = plant.capital(purchased, preset)
    hours = sum(e.labour_h_per_day for e, _ in items)
    labour = hours * plant.operation("days_per_year") * loc["labour_usd_per_h"]
    method, f = plant.factors(preset)
    annual, shares_of_total = (_peters if method == "peters" else _towler_sinnott)(cap, labour, f)
    sizing = {
        "throughput_t_per_h": plant.plant_t_per_h(capacity_t),
        "purchased_equipment_usd": purchased,
        "fixed_capital_usd": cap.fixed,
        "total_capital_usd": cap.total,
        "operating_labour_h_per_day": hours,
        "operating_labour_usd_per_year": labour,
        "equipment_power_kW": sum(e.power_kW(r) for e, r in items),
        **{f"intake_share.{route}": share for route, share in shares.items()},
    }
    return annual, shares_of_total, sizing


def _checked(
    overrides: Mapping[str, float | np.ndarray], preset: str
) -> dict[str, float | np.ndarray]:
    known = sampled_prices(preset, 1, None)
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise InputError(
            f"unknown price item(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
        )
    return dict(overrides)


def _peters(
    cap: plant.Capital, labour: float, f: Mapping[str, float]
) -> tuple[dict[str, float], float]:
    """Annual fixed costs (USD/yr) by category and the shares of total product cost (ANL-19/16 Table 15)."""
    life = plant.operation("plant_life_years")
    supervision = f["supervision"] * labour
    maintenance = f["maintenance"] * cap.fixed
    staff_and_upkeep = labour + supervision + maintenance
    annual = {
        "labour": labour + supervision + f["laboratory"] * labour,
        "maintenance": maintenance * (1 + f["operating_supplies"]),
        "overhead": (f["plant_overhead"] + f["administration"]) * staff_and_upkeep,
        "fixed_charges": (f["local_taxes"] + f["insurance"]) * cap.fixed
        + f["rent"] * (cap.parts["buildings"] + cap.parts["land"]),
        "capital": (cap.fixed - cap.parts["land"]) / life + f["interest"] * cap.total,
    }
    return annual, f["patents"] + f["distribution"] + f["research"]


def _towler_sinnott(
    cap: plant.Capital, labour: float, f: Mapping[str, float]
) -> tuple[dict[str, float], float]:
    """Annual fixed costs (USD/yr) by category and the shares of total cost of production (EverBatt 2023)."""
    labour_costs = labour * (1 + f["supervision"]) * (1 + f["salary_overhead"])
    maintenance = f["maintenance"] * cap.parts["isbl"]
    crf = plant.capital_recovery_factor(f["interest_rate"], plant.operation("plant_life_years"))
    annual = {
        "labour": labour_costs,
        "maintenance": maintenance,
        "overhead": f["plant_overhead"] * (labour_costs + maintenance),
        "fixed_charges": (f["taxes_insurance"] + f["rent"] + f["environmental"])
        * cap.parts["isbl_osbl"],
        "capital": crf * cap.fixed + f["interest_working_capital"] * cap.parts["working"],
    }
    return annual, f["selling"] + f["royalties"]


def feed_elements_per_kg(result: RouteResult) -> dict[str, float]:
    """Element mass fractions of the result's feed (kg per kg)."""
    feed = result.feed
    return {k: v / feed.mass_kg for k, v in feed.elements_kg().items()}


def _revenue(
    result: RouteResult, prices: Mapping[str, float | np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """USD per sample for each species sold as product or recycled; kg of unpriced species."""
    revenue: dict[str, np.ndarray] = {}
    unpriced: dict[str, float] = {}
    for key, kg in result.per_sample.items():
        kind, _, rest = key.partition(".")
        fate, _, species = rest.partition(".")
        if kind != "fate" or fate not in ("product", "recycled"):
            continue
        value = unit_value(species, fate, prices)
        if value is None:
            unpriced[species] = unpriced.get(species, 0.0) + float(np.mean(kg))
            continue
        revenue[species] = revenue.get(species, 0.0) + kg * value
    return revenue, unpriced
