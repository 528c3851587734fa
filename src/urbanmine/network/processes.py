"""What a site of each tier does to a tonne of what it takes in: yields, cost and GHG, from the
flowsheet engine and the impacts module (the numbers ``flowsheet --economics --impacts`` gives).

A tier runs a flowsheet route on the feed form of the commodity it takes in (``packs`` ->
``<chemistry>-pack`` and so on): collection runs ``dismantling`` (packs to cells), pretreatment
runs ``pretreatment`` (packs are dismantled first, as the engine composes it), refining runs
``hydro+precursor`` on black mass; a scenario may name other routes. What a tier makes is what its
route hands off to the next one (the route file's ``[handoff]`` kind: ``cells``, ``blackmass``),
and, for the last tier, ``products``: every output sold or recycled (fates ``product`` and
``recycled``). Cu, Al and steel scrap from dismantling and pretreatment leave at the gate.

Chemistries are mixed by their mass shares in the feedstock (mass balance is linear in the feed,
so mixing per-tonne results is exact for yields, reagents and utilities). Costs come from
:func:`urbanmine.impacts.tea.costs` at the site's location and capacity: variable (reagents,
utilities, manual dismantling) per tonne and fixed (labour, maintenance, overheads, fixed charges,
annualised capital) per year, each grossed up by the cost model's general expenses in proportion;
the feedstock price is left out (it moves money between owners, not resources). GHG per tonne is
:func:`urbanmine.impacts.lca.assess` (burden, no allocation) with the site's grid. Amounts are
converted from the cost model's U.S. dollars to euro at the rate shipped with the EU locations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from urbanmine.errors import InputError
from urbanmine.impacts.locations import eur_per_usd

if TYPE_CHECKING:
    from urbanmine.impacts.tea import Economics
    from urbanmine.routes.run import RouteResult

FORMS = {"packs": "pack", "cells": "cell", "scrap": "scrap", "blackmass": "blackmass"}
"""Feed form of each commodity a tier can take in."""
TIER_INPUTS = {
    "collection": ("packs",),
    "pretreatment": ("packs", "cells", "scrap"),
    "refining": ("blackmass",),
    "market": ("products",),
}
DEFAULT_ROUTES = {
    "collection": "dismantling",
    "pretreatment": "pretreatment",
    "refining": "hydro+precursor",
}
SOLD = ("product", "recycled")
FIXED_ITEMS = ("labour", "maintenance", "overhead", "fixed_charges", "capital")
"""Annual cost items of :func:`urbanmine.impacts.tea.costs` that depend on plant size."""
VARIABLE_ITEMS = ("materials", "utilities", "dismantling")


@dataclass(frozen=True)
class Process:
    """A tier's route on one commodity, mixed over chemistries: per tonne taken in."""

    tier: str
    commodity: str
    route: str
    yields: dict[str, float]
    """t made per t taken in, by commodity."""


@cache
def _result(route: str, feed_name: str, preset: str) -> RouteResult:
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import run

    try:
        return run(get_feed(feed_name, preset).scaled(mass_kg=1000.0), route, 1, None)
    except InputError as error:
        raise InputError(f"network.routes: route {route!r} on {feed_name}: {error}") from None


def _made(route: str, feed_name: str, preset: str, last_tier: bool) -> dict[str, float]:
    """t per t of what the route hands off (by kind) or, for the last tier, sells."""
    result = _result(route, feed_name, preset)
    outputs = result.to_dict()["outputs"]
    mass = result.feed.mass_kg
    if last_tier:
        return {"products": sum(o["mass_kg"] for o in outputs if o["fate"] in SOLD) / mass}
    spec = result.route.specs[-1]
    made: dict[str, float] = {}
    for kind, streams in spec.handoff.items():
        names = {s if len(result.route.specs) == 1 else f"{spec.name}/{s}" for s in streams}
        made[kind] = sum(o["mass_kg"] for o in outputs if o["name"] in names) / mass
    return made


def processes(
    routes: Mapping[str, str],
    mix: Mapping[str, float],
    preset: str,
    commodities: Sequence[str],
) -> dict[tuple[str, str], Process]:
    """Each tier's process on each commodity it takes in, mixed over ``mix`` (mass shares)."""
    out: dict[tuple[str, str], Process] = {}
    last = "refining"
    for tier, route in routes.items():
        for commodity in TIER_INPUTS[tier]:
            yields: dict[str, float] = {}
            for chemistry, share in mix.items():
                made = _made(route, f"{chemistry}-{FORMS[commodity]}", preset, tier == last)
                for kind, t in made.items():
                    if kind not in commodities:
                        raise InputError(
                            f"network.routes.{tier}: route {route!r} hands off {kind!r}, which "
                            f"no tier takes; allowed: {', '.join(commodities)}"
                        )
                    yields[kind] = yields.get(kind, 0.0) + share * t
            out[tier, commodity] = Process(tier, commodity, route, yields)
    return out


def variable_and_ghg(
    process: Process,
    mix: Mapping[str, float],
    preset: str,
    cost_location: str,
    grid: str,
    factor_set: str,
) -> tuple[float, float]:
    """(EUR, kg CO2e) per tonne taken in, mixed over chemistries, at a location."""
    from urbanmine.impacts.lca import assess
    from urbanmine.impacts.tea import costs

    eur, ghg = 0.0, 0.0
    for chemistry, share in mix.items():
        result = _result(process.route, f"{chemistry}-{FORMS[process.commodity]}", preset)
        e = costs(result, cost_location, 10_000.0, preset)
        per_t = 1000.0 / result.feed.mass_kg
        variable = sum(float(np.mean(e.breakdown[k])) for k in VARIABLE_ITEMS if k in e.breakdown)
        eur += share * variable * _gross_up(e) * per_t * eur_per_usd()
        lca = assess(result, factor_set, grid, "none")
        ghg += share * float(np.mean(lca.ghg_kg_co2e)) * per_t
    return eur, ghg


def fixed(
    process: Process, chemistry: str, preset: str, cost_location: str, capacity_t: float
) -> tuple[float, float]:
    """(EUR per year of fixed cost, EUR of total capital) of a plant of ``capacity_t`` t/yr."""
    from urbanmine.impacts.tea import costs

    result = _result(process.route, f"{chemistry}-{FORMS[process.commodity]}", preset)
    e = costs(result, cost_location, capacity_t, preset)
    per_year = capacity_t * 1000.0 / result.feed.mass_kg
    annual = sum(float(np.mean(e.breakdown[k])) for k in FIXED_ITEMS) * per_year
    rate = eur_per_usd()
    return annual * _gross_up(e) * rate, e.plant["total_capital_usd"] * rate


def _gross_up(e: Economics) -> float:
    """(variable + fixed + general) / (variable + fixed): the cost model's general expenses
    spread over the other items in proportion."""
    b = {k: float(np.mean(v)) for k, v in e.breakdown.items()}
    core = sum(b.get(k, 0.0) for k in (*VARIABLE_ITEMS, *FIXED_ITEMS))
    return (core + b.get("general", 0.0)) / core if core > 0 else 1.0
