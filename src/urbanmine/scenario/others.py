"""The scenario's other feeds (``[[feeds]]``): purchased black mass, circuit boards, carbide
scrap... each through its own route, tonnes by year, on the same engine, impacts and cost model
as the fleet's batteries (:func:`urbanmine.scenario.loop.loop`). Their totals are reported apart
from the batteries' (``other_feeds`` in the summary): an EU battery target does not read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

CARRIERS = ("H", "O", "N")
"""Elements whose recovery an other feed does not report: they come and go with water, air and
reagents (every other element of the feed is reported, precious metals at ppm included)."""


def other_loops(
    feeds: Sequence[Any], years: np.ndarray, args: tuple[str, ...]
) -> list[tuple[Any, Any]]:
    """(the ``[[feeds]]`` entry, its loop) for every other feed of the scenario."""
    from urbanmine.fleet.scenario import year_anchors
    from urbanmine.scenario.loop import loop

    out = []
    for k, f in enumerate(feeds):
        at, values = year_anchors(f.tonnes, f"feeds[{k}].tonnes")
        tonnes = np.interp(years, at, values)
        out.append((f, loop({f.feed: tonnes}, list(years), f.route, *args)))
    return out


def summary(entry: Any, lp: Any, years: np.ndarray) -> dict[str, Any]:
    """One other feed in the run's summary: its tonnes, products, element totals (closing),
    recovery of its main elements, GHG against primary material and plant cost per tonne."""
    from urbanmine.materials.compositions import composition_feeds
    from urbanmine.scenario import figures

    comp = composition_feeds().get(entry.feed)
    return {
        "feed": entry.feed,
        "label": comp.label if comp is not None else entry.feed,
        "route": lp.route,
        "source": entry.source,
        "feedstock_t": figures.by_year(years, lp.feed_t),
        "products_t": {
            name: figures.by_year(years, t) for name, t in lp.products_t.items() if t.sum() > 0
        },
        "recovery": {el: v for el, v in lp.recovery().items() if el not in CARRIERS},
        "recycling_efficiency": figures.recycling_efficiency(lp),
        "ghg": figures.ghg(lp),
        "cost": {
            "plant_per_t_eur": figures.per_tonne_eur(lp, lp.cost_eur),
            "revenue_per_t_eur": figures.per_tonne_eur(lp, lp.revenue_eur),
        },
        "key_carbon_steps": figures.key_steps(lp.steps_t),
        "elements_t": figures.elements_t(lp),
    }
