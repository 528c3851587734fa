"""Closed loop for the metal products of the non-battery loops (cobalt powder, hard metal): 1 kg
of product made from primary metal versus from a recycling route's products.

The products are data (``data/closed_loop/metal_products.toml``): a composition, the primary-metal
item standing for each element (Nuss & Eckelman 2014 per kg metal), the recycling route with its
default feed, and an optional making step both sides share (hard metal: milling, pressing,
sintering). Mined side: sum over elements of kg element x primary factor, plus the making step.
Recycled side: the route's burden per kg feed (reagents, utilities, process emissions; allocation
none) times the feed per kg product, plus primary metal topping up what the route does not supply,
plus the making step. The feed per kg product is the smallest feed that fully covers one of the
product's elements (as in :mod:`urbanmine.impacts.closed_loop`). Burdens of intermediate products
(the WC that a route's tungsten is carburised into) are the route's own; the primary factor is per
kg metal, so the mined side carries no carburisation: a conservative saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.impacts.factors import FactorSet, load_factor_set
from urbanmine.impacts.lca import FactorDraws, allocation_share, inventory_lines
from urbanmine.materials.feeds import get_feed
from urbanmine.materials.species import get_species
from urbanmine.routes.run import RouteResult, run

MINED = "mined materials"
ALLOCATIONS = ("mass", "none")
"""How the route's burden is shared: ``mass`` (default) puts on the product the share of the
recovered mass that carries its metals (a battery route also makes Ni, Mn and Li products);
``none`` puts all of it on the product (EverBatt's default for cathodes)."""


@cache
def metal_products() -> Mapping[str, Mapping[str, Any]]:
    """The product table, checked: every composition adds up to 1 and every element given a
    primary item is in it. Elements without an item (the C of WC) ride with a metal that has one."""
    table = load_toml("closed_loop", "metal_products.toml")["products"]
    for name, rec in table.items():
        where = f"closed_loop/metal_products.toml [products.{name}]"
        total = sum(rec["composition"].values())
        if abs(total - 1.0) > 1e-9:
            raise InputError(f"{where}.composition: shares add up to {total:.12g}, not 1")
        stray = set(rec["primary"]) - set(_elements(rec["composition"]))
        if stray:
            raise InputError(f"{where}.primary: {', '.join(sorted(stray))} not in the composition")
    return table


def _elements(species_kg: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sp, kg in species_kg.items():
        for el, w in get_species(sp).elements.items():
            out[el] = out.get(el, 0.0) + kg * w
    return out


def _burden_by_route(
    result: RouteResult, fs: FactorSet, location: str, seed: Any, share: Any = 1.0
) -> dict[str, tuple[Any, Any]]:
    """GHG and energy per sample of the result's inputs times ``share``, grouped by route (the
    unit-name prefix; lines booked on no unit go to the whole route)."""
    lines, _, _ = inventory_lines(result, fs, location, FactorDraws(result.samples, seed))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    route = result.route.name
    for line in lines:
        booked = sum(line.units.values())
        shares = {u: q / booked for u, q in line.units.items()} if booked else {route: 1.0}
        for unit, w in shares.items():
            step = unit.split("/", 1)[0] if "/" in unit else route
            g, e = out.get(step, (0.0, 0.0))
            out[step] = (g + line.ghg * w * share, e + line.energy * w * share)
    return out


def metal_closed_loop(
    product: str,
    route: str | None = None,
    feed: str | None = None,
    factor_set: str = "greet2022",
    location: str = "US",
    samples: int = 1,
    seed: int | None = None,
    allocation: str = "mass",
) -> dict[str, Any]:
    """Per kg ``product`` (a key of :func:`metal_products`): mined and recycled GHG (kg CO2e) and
    energy (MJ) by step, the saving step by step, the feed per kg product and recycled shares."""
    table = metal_products()
    if product not in table:
        raise InputError(f"unknown product {product!r}; allowed: {', '.join(table)}")
    rec = table[product]
    if allocation not in ALLOCATIONS:
        raise InputError(f"allocation {allocation!r} not allowed; use {', '.join(ALLOCATIONS)}")
    fs = load_factor_set(factor_set)
    route = route or rec["route"]
    result = run(get_feed(feed or rec["feed"]), route, samples, seed)
    n = result.samples
    required = {el: m for el, m in _elements(rec["composition"]).items() if el in rec["primary"]}
    supplied = _elements(
        {
            k.split(".", 2)[2]: v
            for k, v in result.per_sample.items()
            if k.startswith("fate.product.")
        }
    )
    per_kg_feed = result.per_sample["feed.mass_kg"]
    usable = [el for el in required if np.all(np.asarray(supplied.get(el, 0.0)) > 0)]
    if not usable:
        raise InputError(f"route {route!r} recovers none of {', '.join(required)} as products")
    feed_per_kg = np.min([required[el] * per_kg_feed / supplied[el] for el in usable], axis=0)
    share = {
        el: np.minimum(1.0, feed_per_kg * np.asarray(supplied.get(el, 0.0)) / per_kg_feed / m)
        for el, m in required.items()
    }
    ghg: dict[str, dict[str, np.ndarray]] = {"virgin": {}, "recycled": {}}
    energy: dict[str, dict[str, np.ndarray]] = {"virgin": {}, "recycled": {}}
    zero = np.zeros(n)
    for el, m in required.items():
        f = fs.material(rec["primary"][el])
        for side, kg in (("virgin", m), ("recycled", m * (1.0 - share[el]))):
            ghg[side][MINED] = ghg[side].get(MINED, zero) + kg * f.ghg_kg_co2e
            energy[side][MINED] = energy[side].get(MINED, zero) + kg * f.energy_MJ
    metals = set(required)
    carried = allocation_share(
        result, allocation, None, lambda sp: bool(metals & set(get_species(sp).elements))
    )
    for step, (g, e) in _burden_by_route(result, fs, location, seed, carried).items():
        ghg["recycled"][step] = g * feed_per_kg / per_kg_feed
        energy["recycled"][step] = e * feed_per_kg / per_kg_feed
    if "make_route" in rec:
        made = run(get_feed(rec["make_feed"]), rec["make_route"])
        out_kg = sum(o["mass_kg"] for o in made.to_dict()["outputs"] if o["fate"] == "product")
        for step, (g, e) in _burden_by_route(made, fs, location, seed).items():
            for side in ("virgin", "recycled"):
                ghg[side][step] = np.broadcast_to(g / out_kg, (n,))
                energy[side][step] = np.broadcast_to(e / out_kg, (n,))
    steps = sorted(
        s
        for s in set(ghg["virgin"]) | set(ghg["recycled"])
        if np.any(ghg["virgin"].get(s, zero)) or np.any(ghg["recycled"].get(s, zero))
    )
    rows: list[dict[str, Any]] = [
        {
            "step": s,
            "ghg_kg_co2e": float(
                np.mean(ghg["virgin"].get(s, zero) - ghg["recycled"].get(s, zero))
            ),
            "energy_MJ": float(
                np.mean(energy["virgin"].get(s, zero) - energy["recycled"].get(s, zero))
            ),
        }
        for s in steps
    ]
    rows.sort(key=lambda r: -float(r["ghg_kg_co2e"]))

    def total(side: str, table_: dict[str, dict[str, np.ndarray]]) -> float:
        return float(np.mean(sum(table_[side].values(), zero)))

    return {
        "product": product,
        "functional_unit": rec["functional_unit"],
        "route": route,
        "feed": result.feed.name,
        "factor_set": fs.name,
        "location": location,
        "samples": n,
        "allocation": allocation,
        "source": rec["source"],
        "feed_kg_per_kg_product": float(np.mean(feed_per_kg)),
        "recycled_share": {el: float(np.mean(v)) for el, v in share.items()},
        "virgin": {"ghg_kg_co2e": total("virgin", ghg), "energy_MJ": total("virgin", energy)},
        "recycled": {
            "ghg_kg_co2e": total("recycled", ghg),
            "energy_MJ": total("recycled", energy),
        },
        "saving_ghg_kg_co2e": total("virgin", ghg) - total("recycled", ghg),
        "steps": rows,
    }
