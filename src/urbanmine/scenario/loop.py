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

SOLD = ("product", "recycled")


@dataclass(frozen=True)
class PerTonne:
    """One feed through a route, per tonne of feed (t, t CO2e)."""

    feed: str
    """The feed's name (``NMC811-pack``, ``NMC622-scrap``, a composition feed...)."""
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
    feed_name: str,
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
) -> PerTonne:
    """Run 1 t of the feed ``feed_name`` through ``route`` with its impacts."""
    from urbanmine.impacts.lca import assess
    from urbanmine.impacts.locations import eur_per_usd
    from urbanmine.impacts.tea import DEFAULT_CAPACITY_T, costs
    from urbanmine.materials.feeds import get_feed
    from urbanmine.materials.species import get_species
    from urbanmine.routes.run import run

    feed = get_feed(feed_name, preset).scaled(mass_kg=1000.0)
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
        feed=feed_name,
        chemistry=feed.chemistry,
        form=feed.form,
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


VARIED = ("routes", "prices", "factors")
"""What a loop's Monte Carlo draws can vary: the route parameters' distributions (the engine),
the prices' (the cost model) and the life-cycle factors' (the impacts module)."""


@dataclass(frozen=True)
class Draws:
    """One feed through a route, per tonne of feed, per Monte Carlo sample
    (arrays of shape (samples,)); the counted masses follow the scenario's counting."""

    ghg_t: np.ndarray
    avoided_t: np.ndarray
    cost_eur: np.ndarray
    revenue_eur: np.ndarray
    input_t: float
    """Counted input, t per t feed (no draw changes the feed)."""
    recycled_t: np.ndarray
    """Counted recycled output, t per t feed."""
    elements_in_t: dict[str, float]
    """Counted input by element, t per t feed."""
    recovered_t: dict[str, np.ndarray]
    """Counted recovered mass by element, t per t feed."""
    drawn: dict[str, tuple[str, ...]]
    """Of :data:`VARIED`, what had a distribution to draw: route parameters, price items,
    factor keys."""
    asymmetric: tuple[str, ...]
    """Drawn route parameters whose distribution's mean is not their cited value (the draws'
    median then moves away from the central run; ``flowsheet --samples`` lists them too)."""


@cache
def draws(
    feed_name: str,
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
    counting: str,
    samples: int,
    seed: int,
    varied: tuple[str, ...],
) -> Draws:
    """``samples`` draws of 1 t of the feed ``feed_name`` through ``route``: the route's
    parameters (``routes`` in ``varied``; else their point values), the prices (``prices``) and
    the factors (``factors``) each from its own seeded stream, the same for every chemistry so
    that one uncertain quantity takes one value per sample across the feed mix."""
    from urbanmine.compliance.recycling import counted_masses
    from urbanmine.impacts.lca import assess
    from urbanmine.impacts.locations import eur_per_usd
    from urbanmine.impacts.prices import price_parameters, sampled_prices
    from urbanmine.impacts.tea import DEFAULT_CAPACITY_T, costs
    from urbanmine.materials.feeds import get_feed
    from urbanmine.materials.species import get_species
    from urbanmine.routes.run import compose_for, run_composed

    feed = get_feed(feed_name, preset).scaled(mass_kg=1000.0)
    composed = compose_for(feed, route)
    if "routes" in varied:
        result = run_composed(feed, composed, samples, seed)
    else:
        result = run_composed(feed, composed, samples, values={})
    lca = assess(result, factor_set, location, allocation, seed=seed, draw="factors" in varied)
    fixed = None if "prices" in varied else sampled_prices(preset, 1, None)
    economics = costs(result, location, DEFAULT_CAPACITY_T, preset, seed=seed, prices=fixed)
    rate = eur_per_usd()
    cost = sum(
        (np.asarray(v, dtype=float) for k, v in economics.breakdown.items() if k != "feedstock"),
        np.zeros(samples),
    )
    d = result.to_dict()
    input_kg, _, el_in, _ = counted_masses(d, counting, ())
    per = result.per_sample
    if counting == "battery_origin":
        recycled = per["recycled_output_kg"]
        recovered = {el: per[f"recovery.{el}"] * kg for el, kg in el_in.items()}
    else:  # element_capped: each element's mass in counted fates, up to its input
        counted: dict[str, np.ndarray] = {}
        for key, kg in per.items():
            fate, _, species = key.partition(".")[2].partition(".")
            if key.startswith("fate.") and fate in SOLD:
                for el, share in get_species(species).elements.items():
                    counted[el] = counted.get(el, np.zeros(samples)) + kg * share
        recovered = {
            el: np.minimum(counted.get(el, np.zeros(samples)), kg) for el, kg in el_in.items()
        }
        recycled = sum(recovered.values(), np.zeros(samples))
    return Draws(
        ghg_t=lca.ghg_kg_co2e / 1000.0,
        avoided_t=lca.credits_kg_co2e / 1000.0,
        cost_eur=cost * rate,
        revenue_eur=np.asarray(economics.revenue, dtype=float) * rate,
        input_t=input_kg / 1000.0,
        recycled_t=np.asarray(recycled) / 1000.0,
        elements_in_t={el: kg / 1000.0 for el, kg in el_in.items()},
        recovered_t={el: np.asarray(v) / 1000.0 for el, v in recovered.items()},
        drawn={
            "routes": tuple(k for k, p in composed.parameters.items() if p.distribution)
            if result.drawn
            else (),
            "prices": tuple(k for k, p in price_parameters(preset).items() if p.distribution)
            if fixed is None and samples > 1
            else (),
            "factors": tuple(lca.drawn),
        },
        asymmetric=tuple(a["parameter"] for a in d.get("asymmetric", [])),
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
    counted_in_t: dict[str, np.ndarray]
    """Element -> (years,) counted input (the scenario's counting)."""
    counted_recovered_t: dict[str, np.ndarray]
    """Element -> (years,) counted recovered mass."""

    def recovery(self) -> dict[str, float]:
        """Material recovery of each element over all years, counted as the compliance module
        counts it (battery origin by default: reagent atoms in a product are not recovered
        battery material, Reg. (EU) 2023/1542 Art. 3(60), Annex XII Part A)."""
        return {
            el: float(self.counted_recovered_t[el].sum() / t.sum())
            for el, t in self.counted_in_t.items()
            if t.sum() > 0
        }


def loop(
    feed_t: Mapping[str, np.ndarray],
    years: Sequence[int],
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
    counting: str = "battery_origin",
) -> Loop:
    """The loop of ``feed_t[feed name]`` (t per year over ``years``) through ``route``."""
    from urbanmine.compliance.recycling import counted_masses

    runs = {
        key: per_tonne(key, route, preset, factor_set, location, allocation)
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
    main = runs[max(runs, key=lambda k: float(np.sum(feed_t[k])))].chemistry if runs else "NMC811"
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
    joined = next((p.route for p in runs.values() if p.form == "pack"), route)
    return Loop(
        list(years), joined, total, elements, elements_in, reagents, out, products, ghg, burden,
        avoided, steps, cost, revenue, facts, counted_in, counted_rec,
    )  # fmt: skip


@dataclass(frozen=True)
class Spread:
    """A loop's Monte Carlo samples: rows are samples, columns years."""

    feed_t: np.ndarray
    ghg_t: np.ndarray
    avoided_t: np.ndarray
    cost_eur: np.ndarray
    """(samples,) plant cost over all years, at the cost model's default size."""
    revenue_eur: np.ndarray
    recycling_efficiency: np.ndarray
    """(samples,) counted recycled output over counted input, all years."""
    recovery: dict[str, np.ndarray]
    """Element -> (samples,) counted recovered mass over counted input, all years."""
    drawn: dict[str, list[str]]
    """What had a distribution to draw, by source (see :class:`Draws`)."""
    asymmetric: list[str]
    """Route parameters whose distribution's mean is not their cited value."""


def spread(
    feed_t: Mapping[str, np.ndarray],
    route: str,
    preset: str,
    factor_set: str,
    location: str,
    allocation: str,
    counting: str,
    samples: int,
    seed: int,
    varied: Sequence[str],
) -> Spread:
    """The loop of ``feed_t[feed name]`` per sample: each feed is (years,) or, when the
    fleet model was sampled, (samples, years); the flowsheet draws ``varied`` (of
    :data:`VARIED`; none: the central run for every sample). Sample ``s`` of the feed meets
    sample ``s`` of the route, prices and factors (independent streams)."""
    chosen = tuple(v for v in VARIED if v in varied)
    n = samples if chosen else 1
    rows = [
        (np.atleast_2d(np.asarray(t, dtype=float)), draws(
            key, route, preset, factor_set, location, allocation, counting, n, seed,
            chosen,
        ))
        for key, t in feed_t.items()
        if np.any(np.asarray(t) > 0)
    ]  # fmt: skip
    width = max((t.shape[1] for t, _ in rows), default=0)
    zero = np.zeros((samples, width))

    def by_year(pick: Any) -> np.ndarray:
        return sum((t * pick(d)[:, None] for t, d in rows), zero)

    def total(pick: Any) -> np.ndarray:
        return sum((t.sum(axis=1) * pick(d) for t, d in rows), np.zeros(samples))

    counted_in = total(lambda d: np.full(1, d.input_t))
    elements = sorted({el for _, d in rows for el in d.elements_in_t})
    recovery = {}
    for el in elements:
        el_in = total(lambda d, el=el: np.full(1, d.elements_in_t.get(el, 0.0)))
        got = total(lambda d, el=el: d.recovered_t.get(el, np.zeros(1)))
        recovery[el] = np.divide(got, el_in, out=np.zeros(samples), where=el_in > 0)
    recycled = total(lambda d: d.recycled_t)
    return Spread(
        feed_t=by_year(lambda d: np.ones(1)),
        ghg_t=by_year(lambda d: d.ghg_t),
        avoided_t=by_year(lambda d: d.avoided_t),
        cost_eur=total(lambda d: d.cost_eur),
        revenue_eur=total(lambda d: d.revenue_eur),
        recycling_efficiency=np.divide(
            recycled, counted_in, out=np.zeros(samples), where=counted_in > 0
        ),
        recovery=recovery,
        drawn={source: sorted({k for _, d in rows for k in d.drawn[source]}) for source in VARIED},
        asymmetric=sorted({k for _, d in rows for k in d.asymmetric}),
    )


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
