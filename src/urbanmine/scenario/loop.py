"""The closed loop of a scenario's feedstock through its routes, year by year, element by
element: what the flowsheet engine, the impacts module and the compliance rules say about a tonne
of each chemistry and form, scaled by the tonnes of each year (the engine is linear in its feed,
so this is exact for a deterministic run).

Packs go through ``<pretreatment>+<refining>`` (the engine puts dismantling in front of a pack
feed, as ``flowsheet`` does), production scrap through the same chain from its own form. Element
balance per year and element: feed + reagents = every output (products, recycled, energy
recovery, landfill, emissions), to the engine's precision. GHG is the impacts module's, with the
scenario's allocation (system expansion by default: ``avoided`` is the credit for the mined
material the products replace). Verdicts: the recycling process the year's mix makes, counted
as the compliance module counts a flowsheet result (battery origin by default), checked on the
scenario's dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

FORMS = {"packs": "pack", "scrap": "scrap"}
SOLD = ("product", "recycled")


@dataclass(frozen=True)
class PerTonne:
    """One chemistry and form through a route, per tonne of feed (t, t CO2e)."""

    chemistry: str
    form: str
    route: str
    outputs: dict[str, tuple[str, float]]
    """Output name -> (fate, t per t feed)."""
    elements_in: dict[str, float]
    """Elements in the feed, t per t."""
    reagent_elements: dict[str, float]
    elements_out: dict[str, dict[str, float]]
    """Fate -> element -> t per t."""
    ghg_t: float
    burden_t: float
    avoided_t: float
    steps: dict[str, float]
    """Unit -> t CO2e per t feed (the impacts module's contributions by unit)."""
    cost_eur: float
    """Plant cost per t feed at the cost model's default capacity and the location, feedstock
    price left out (:func:`urbanmine.impacts.tea.costs`), in EUR."""
    revenue_eur: float
    result: dict[str, Any]
    """The flowsheet result of 1 t, for the compliance counting."""


@cache
def per_tonne(
    chemistry: str,
    form: str,
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
) -> PerTonne:
    """Run 1 t of ``<chemistry>-<form>`` through ``route`` with its impacts."""
    from urbanmine.impacts.lca import assess
    from urbanmine.impacts.locations import eur_per_usd
    from urbanmine.impacts.tea import DEFAULT_CAPACITY_T, costs
    from urbanmine.materials.feeds import get_feed
    from urbanmine.materials.species import get_species
    from urbanmine.routes.run import run

    feed = get_feed(f"{chemistry}-{FORMS[form]}", preset).scaled(mass_kg=1000.0)
    result = run(feed, route, 1, None)
    d = result.to_dict()
    outputs = {o["name"]: (o["fate"], o["mass_kg"] / 1000.0) for o in d["outputs"]}
    out: dict[str, dict[str, float]] = {}
    for o in d["outputs"]:
        fate = out.setdefault(o["fate"], {})
        for el, kg in o["elements_kg"].items():
            fate[el] = fate.get(el, 0.0) + kg / 1000.0
    reagents: dict[str, float] = {}
    for species, kg in d["inventory"].get("reagents_kg", {}).items():
        for el, share in get_species(species).elements.items():
            reagents[el] = reagents.get(el, 0.0) + kg * share / 1000.0
    lca = assess(result, factor_set, location, allocation)
    economics = costs(result, location, DEFAULT_CAPACITY_T, preset)
    rate = eur_per_usd()
    cost = sum(float(np.mean(v)) for k, v in economics.breakdown.items() if k != "feedstock")
    steps: dict[str, float] = {}
    for c in lca.contributions:
        unit = str(c.get("unit", "other"))
        steps[unit] = steps.get(unit, 0.0) + float(c["ghg_kg_co2e"]) / 1000.0
    return PerTonne(
        chemistry=chemistry,
        form=form,
        route=d["route"],
        outputs=outputs,
        elements_in={el: kg / 1000.0 for el, kg in d["feed"]["elements_kg"].items()},
        reagent_elements=reagents,
        elements_out=out,
        ghg_t=float(np.mean(lca.ghg_kg_co2e)) / 1000.0,
        burden_t=float(np.mean(lca.burden_ghg_kg_co2e)) / 1000.0,
        avoided_t=float(np.mean(lca.credits_kg_co2e)) / 1000.0,
        steps=steps,
        cost_eur=cost * rate,
        revenue_eur=float(np.mean(economics.revenue)) * rate,
        result=d,
    )


@dataclass(frozen=True)
class Loop:
    """The feedstock's closed loop, by year (arrays over ``years``)."""

    years: list[int]
    route: str
    """The composed route of a pack feed (as the engine joined it)."""
    feed_t: np.ndarray
    elements: list[str]
    elements_in_t: np.ndarray
    """(years, elements): feed."""
    reagents_t: np.ndarray
    out_t: dict[str, np.ndarray]
    """Fate -> (years, elements)."""
    products_t: dict[str, np.ndarray]
    """Output name (fates product and recycled) -> (years,)."""
    ghg_t: np.ndarray
    burden_t: np.ndarray
    avoided_t: np.ndarray
    steps_t: dict[str, float]
    """Unit -> t CO2e over all years."""
    cost_eur: np.ndarray
    """(years,) plant cost at the cost model's default size (no network)."""
    revenue_eur: np.ndarray
    facts: list[dict[str, Any]]
    """Per year: the compliance facts of the year's mix (counted masses, kg)."""

    def recovery(self) -> dict[str, float]:
        """Share of each feed element leaving as product or recycled, over all years."""
        total_in = self.elements_in_t.sum(axis=0)
        got = sum(
            (self.out_t[f].sum(axis=0) for f in SOLD if f in self.out_t), np.zeros_like(total_in)
        )
        return {
            el: float(got[k] / total_in[k]) for k, el in enumerate(self.elements) if total_in[k] > 0
        }


def loop(
    feed_t: Mapping[tuple[str, str], np.ndarray],
    years: Sequence[int],
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
    counting: str = "battery_origin",
) -> Loop:
    """The loop of ``feed_t[(chemistry, form)]`` (t per year over ``years``) through ``route``."""
    from urbanmine.compliance.recycling import counted_masses

    runs = {
        key: per_tonne(key[0], key[1], route, preset, factor_set, location, allocation)
        for key, t in feed_t.items()
        if np.any(np.asarray(t) > 0)
    }
    elements = sorted(
        {el for p in runs.values() for el in (*p.elements_in, *p.reagent_elements)}
        | {el for p in runs.values() for fate in p.elements_out.values() for el in fate}
    )
    n_y, n_e = len(years), len(elements)

    def vec(table: Mapping[str, float]) -> np.ndarray:
        return np.array([table.get(el, 0.0) for el in elements])

    total = np.zeros(n_y)
    elements_in = np.zeros((n_y, n_e))
    reagents = np.zeros((n_y, n_e))
    out: dict[str, np.ndarray] = {}
    products: dict[str, np.ndarray] = {}
    ghg, burden, avoided = np.zeros(n_y), np.zeros(n_y), np.zeros(n_y)
    cost, revenue = np.zeros(n_y), np.zeros(n_y)
    steps: dict[str, float] = {}
    counted = np.zeros((n_y, 2))
    counted_in: dict[str, np.ndarray] = {}
    counted_rec: dict[str, np.ndarray] = {}
    for key, p in runs.items():
        t = np.asarray(feed_t[key], dtype=float)
        total += t
        elements_in += t[:, None] * vec(p.elements_in)
        reagents += t[:, None] * vec(p.reagent_elements)
        for fate, table in p.elements_out.items():
            out[fate] = out.get(fate, np.zeros((n_y, n_e))) + t[:, None] * vec(table)
        for name, (fate, share) in p.outputs.items():
            if fate in SOLD:
                products[name] = products.get(name, np.zeros(n_y)) + t * share
        ghg += t * p.ghg_t
        burden += t * p.burden_t
        avoided += t * p.avoided_t
        cost += t * p.cost_eur
        revenue += t * p.revenue_eur
        for unit, v in p.steps.items():
            steps[unit] = steps.get(unit, 0.0) + float(t.sum()) * v
        input_kg, recycled_kg, el_in, el_rec = counted_masses(p.result, counting, ())
        counted += t[:, None] * np.array([input_kg, recycled_kg]) / 1000.0
        for el, kg in el_in.items():
            counted_in[el] = counted_in.get(el, np.zeros(n_y)) + t * kg / 1000.0
            counted_rec[el] = counted_rec.get(el, np.zeros(n_y)) + t * el_rec[el] / 1000.0
    main = max(runs, key=lambda k: float(np.sum(feed_t[k])))[0] if runs else "NMC811"
    facts = [
        {
            "kind": "recycling_process",
            "chemistry": main,
            "input_kg": float(counted[y, 0] * 1000.0),
            "recycled_output_kg": float(counted[y, 1] * 1000.0),
            "elements_in_kg": {
                el: float(v[y] * 1000.0) for el, v in counted_in.items() if v[y] > 0
            },
            "elements_recovered_kg": {
                el: float(counted_rec[el][y] * 1000.0) for el, v in counted_in.items() if v[y] > 0
            },
        }
        for y in range(n_y)
    ]
    joined = next((p.route for p in runs.values() if p.form == "packs"), route)
    return Loop(
        list(years), joined, total, elements, elements_in, reagents, out, products, ghg, burden,
        avoided, steps, cost, revenue, facts,
    )  # fmt: skip


def verdicts(
    loop_: Loop, on: Sequence[dt.date], rulesets: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Verdicts of the recycling process of the years whose facts apply on each date (the last
    year with feed up to the date's year), as the compliance module gives them."""
    from urbanmine.compliance.check import check_facts
    from urbanmine.compliance.facts import parse_facts

    out = []
    for date in on:
        candidates = [
            k
            for k, y in enumerate(loop_.years)
            if y <= date.year and loop_.facts[k]["input_kg"] > 0
        ]
        if not candidates:
            continue
        k = candidates[-1]
        facts = parse_facts(loop_.facts[k], f"loop {loop_.years[k]}")
        for v in check_facts(facts, date, rulesets).verdicts:
            out.append({**v.to_json(), "on": date.isoformat(), "year": int(loop_.years[k])})
    return out
