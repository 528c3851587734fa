"""Run a feed through a route: one case, or many Monte Carlo samples in memory-sized chunks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.flowsheet.flowsheet import CompiledFlowsheet
from urbanmine.flowsheet.params import asymmetric, sample_parameters
from urbanmine.flowsheet.result import (
    COUNTED_FATES,
    QUANTILES,
    WATER,
    Accumulator,
    measure,
)
from urbanmine.materials.feeds import Feed
from urbanmine.routes.compose import ComposedRoute, compose
from urbanmine.routes.memory import FLOAT_BYTES, check_fits

CHECKED_ABOVE = 10_000
"""Runs of more samples are checked against the available memory before they start (below it
a run holds a few tens of MB at most)."""
TEMPORARIES = 4
"""Whole-length temporary arrays alive at once beside the kept ones (a draw and its clipped copy,
the finite copy a mean or quantile takes and its work array)."""

WATER_NOTE = "water is not counted (Reg. (EU) 493/2012 Annexes IV and V subtract it)"
REAGENT_NOTE = (
    "atoms that reagents or air put into the output (O, H, S, Na, C, Cl...) were not produced "
    "from the battery (Reg. (EU) 493/2012 Art. 2(5))"
)

MEMORY_BUDGET_FLOATS = 125_000
"""Floats of the widest unit work array in one chunk (1 MB, so a unit's arrays stay in cache);
chunks are sized from it (see bench/flowsheet_mc.py and docs/performance.md)."""
CHUNK_ARRAYS = 16
"""Work arrays of the budget's size alive at once in one chunk, for the memory check (traced
with ``tracemalloc`` on the shipped routes: 8 to 14 MB above the whole-length arrays)."""


@dataclass
class RouteResult:
    """Outcome of a feed through a route: per-sample metrics and summed stream compositions."""

    feed: Feed
    route: ComposedRoute
    compiled: CompiledFlowsheet
    samples: int
    per_sample: dict[str, np.ndarray]
    sums: dict[str, np.ndarray]
    drawn: bool = False
    """True when the route's parameters were drawn from their distributions (Monte Carlo)."""

    def mean(self, key: str) -> float:
        a = self.per_sample[key]
        finite = a[np.isfinite(a)]
        return float(finite.mean()) if finite.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON contract of ``urbanmine flowsheet --json`` (sample means).

        A Monte Carlo result lists under ``asymmetric`` the parameters whose distribution's mean
        differs from the cited point value (parameter, value, distribution_mean,
        relative_difference): the sample means drift from a point-value run because of them."""
        idx = self.compiled.index
        n = self.samples
        feed_el = self.sums["feed.species_kg"] @ idx.E / n
        outputs = []
        for name, fate in self.route.flowsheet.sinks.items():
            species = self.sums[f"outputs.{name}.species_kg"] / n
            elements = self.sums[f"outputs.{name}.elements_kg"] / n
            outputs.append(
                {
                    "name": name,
                    "fate": fate,
                    "mass_kg": self.mean(f"outputs.{name}.mass_kg"),
                    "species_kg": _nonzero(idx.names, species),
                    "elements_kg": _nonzero(idx.elements, elements),
                    **self._counted(name, fate),
                }
            )
        reagents = {
            k.split(".", 2)[2]: self.mean(k)
            for k in sorted(self.per_sample)
            if k.startswith("inventory.reagents_kg.")
        }
        out: dict[str, Any] = {
            "feed": {
                "name": self.feed.name,
                "preset": self.feed.preset,
                "mass_kg": self.mean("feed.mass_kg"),
                "capacity_kWh": self.feed.capacity_kWh,
                "elements_kg": _nonzero(idx.elements, feed_el),
                "input_fraction_elements_kg": _nonzero(
                    idx.elements, self.sums["input_fraction.elements_kg"] / n
                ),
            },
            "route": self.route.name,
            "samples": n,
            "outputs": outputs,
            "recovery": {
                k.split(".", 1)[1]: self.mean(k)
                for k in sorted(self.per_sample)
                if k.startswith("recovery.")
            },
            "recycling_efficiency": self.mean("recycling_efficiency"),
            "recycling_efficiency_element_capped": self.mean("recycling_efficiency_element_capped"),
            "counting": {
                "rule": "battery_origin",
                "upper_bound": "element_capped",
                "input_fraction_kg": float(self.sums["input_fraction.elements_kg"].sum()) / n,
                "not_counted_species": [WATER],
            },
            "recycled_output_kg": self.mean("recycled_output_kg"),
            "counted_output_mass_kg": self.mean("counted_output_mass_kg"),
            "inventory": {
                "reagents_kg": {k: v for k, v in reagents.items() if v != 0.0},
                **{
                    k: self.mean(f"inventory.{k}")
                    for k in ("electricity_kWh", "natural_gas_MJ", "diesel_MJ", "water_kg")
                },
            },
            "inventory_by_unit": self.inventory_by_unit(),
            "balance": {"max_relative_error": float(np.max(self.per_sample["balance"]))},
        }
        if n > 1:
            out["quantiles"] = self.quantiles()
        if self.drawn:
            out["asymmetric"] = asymmetric(self.route.parameters)
        return out

    def _counted(self, name: str, fate: str) -> dict[str, Any]:
        """What one output fraction adds to the recycling efficiency, and what is left out and
        why (battery-origin counting: Reg. (EU) 493/2012 Art. 2(5), water per Annexes IV-V)."""
        idx = self.compiled.index
        origin_el = self.sums[f"outputs.{name}.origin_elements_kg"] / self.samples
        origin = float(origin_el.sum())
        water = float(self.sums[f"outputs.{name}.water_kg"][0]) / self.samples
        mass = self.mean(f"outputs.{name}.mass_kg")
        counts = fate in COUNTED_FATES
        left_out: dict[str, Any] = {}
        if not counts and mass > 0:
            left_out["fate"] = {
                "kg": mass,
                "why": f"fate {fate} is not recycling (Reg. (EU) 2023/1542 Art. 3(60))",
            }
        if counts and water > 0:
            left_out["water"] = {"kg": water, "why": WATER_NOTE}
        reagent = mass - origin - water
        if counts and reagent > 1e-12 * max(mass, 1e-300):
            left_out["reagent_origin"] = {"kg": reagent, "why": REAGENT_NOTE}
        return {
            "battery_origin_kg": origin,
            "battery_origin_elements_kg": _nonzero(idx.elements, origin_el),
            "counted_kg": origin if counts else 0.0,
            "left_out": left_out,
        }

    def inventory_by_unit(self) -> dict[str, dict[str, Any]]:
        """Mean reagents and utilities booked by each unit (for contributions by unit)."""
        by_unit: dict[str, dict[str, Any]] = {}
        for key, total in sorted(self.sums.items()):
            if not key.startswith("units."):
                continue
            unit, _, item = key[len("units.") :].partition(".")
            value = float(total[0]) / self.samples
            if value == 0.0:
                continue
            entry = by_unit.setdefault(unit, {})
            if item.startswith("reagents_kg."):
                entry.setdefault("reagents_kg", {})[item[len("reagents_kg.") :]] = value
            else:
                entry[item] = value
        return by_unit

    def quantiles(self) -> dict[str, dict[str, float]]:
        """p05/p50/p95 of every per-sample metric."""
        out = {}
        for key, a in sorted(self.per_sample.items()):
            if key == "balance":
                continue
            finite = a[np.isfinite(a)]
            if finite.size:
                q = np.quantile(finite, QUANTILES)
                out[key] = {
                    f"p{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)
                }
        return out


def _nonzero(names: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, values, strict=True) if v != 0.0}


def chunk_size(compiled: CompiledFlowsheet) -> int:
    """Samples per chunk so the widest arrays a unit works on fit the budget: the recycle solve's
    work arrays (one row per tear unknown and sample), and the work arrays with their
    battery-origin tracer pairs, in the tracer's Newton passes one row per tracer unknown."""
    work, pairs = compiled.work_width(), compiled.pair_width()
    width = max(work * (compiled.tear_width() + 1), (work + pairs) * (compiled.tracer_width() + 1))
    return max(1, MEMORY_BUDGET_FLOATS // max(width, 1))


def run(
    feed: Feed,
    route: str,
    samples: int = 1,
    seed: int | None = None,
    progress: Any = None,
    preset: str | None = None,
) -> RouteResult:
    """Run ``feed`` through ``route`` (names joined with '+') for ``samples`` Monte Carlo draws.

    Routes come from ``preset`` (default: the preset the feed was asked under, not the one its
    BOM fell back to); ``batpac5`` has no inventories of its own and uses the EverBatt 2023
    routes. ``progress``, if given, is called with the number of samples done after each chunk.
    """
    return run_composed(feed, compose_for(feed, route, preset), samples, seed, progress)


def compose_for(feed: Feed, route: str, preset: str | None = None) -> ComposedRoute:
    """The route ``route`` for ``feed`` under ``preset`` (default: the preset the feed was asked
    under; ``batpac5`` has no inventories of its own and uses the EverBatt 2023 routes)."""
    chosen = preset or feed.requested_preset
    return compose(route, feed.form, "everbatt2023" if chosen == "batpac5" else chosen)


def run_composed(
    feed: Feed,
    composed: ComposedRoute,
    samples: int = 1,
    seed: int | None = None,
    progress: Any = None,
    values: Mapping[str, float | np.ndarray] | None = None,
) -> RouteResult:
    """Run ``feed`` through a composed route: ``samples`` draws of its uncertain parameters, or
    the given parameter ``values`` (arrays of one length = the samples; others keep their value;
    with no array among them, ``samples`` identical rows: the point values, for a Monte Carlo run
    that varies something else)."""
    drawn = values is None and samples > 1
    if values is None:
        samples = max(1, int(samples))
        if samples > CHECKED_ABOVE:
            check_fits(
                samples, arrays_per_sample(feed, composed), f"--samples {samples}", CHUNK_BYTES
            )
        values = sample_parameters(composed.parameters, samples, seed)
    else:
        given = {np.size(v) for v in values.values() if np.ndim(v) > 0}
        if len(given) > 1:
            raise InputError(f"parameter arrays differ in length: {sorted(given)}")
        samples = given.pop() if given else max(1, int(samples))
        values = {**{k: p.value for k, p in composed.parameters.items()}, **values}
    compiled = composed.flowsheet.compile(list(feed.species_kg), values)
    base = np.zeros(len(compiled.index))
    for name, kg in feed.species_kg.items():
        base[compiled.index.position(name)] = kg
    acc = Accumulator(samples)
    step = chunk_size(compiled)
    for start in range(0, samples, step):
        stop = min(samples, start + step)
        chunk = {k: (v[start:stop] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        feed_rows = np.broadcast_to(base, (stop - start, base.size))
        acc.add(measure(compiled.evaluate(feed_rows, chunk), composed.flowsheet.sinks))
        if progress is not None:
            progress(stop)
    return RouteResult(feed, composed, compiled, samples, acc.per_sample, acc.sums, drawn)


CHUNK_BYTES = CHUNK_ARRAYS * MEMORY_BUDGET_FLOATS * FLOAT_BYTES
"""Memory of one chunk's work arrays (does not grow with the samples)."""


def arrays_per_sample(feed: Feed, composed: ComposedRoute, inputs: int | None = None) -> int:
    """Whole-length float arrays a run of ``feed`` through ``composed`` keeps: its per-sample
    metrics (counted on a run of two samples), the draws of its uncertain parameters (or
    ``inputs`` arrays a caller passes instead) and :data:`TEMPORARIES`."""
    metrics = len(run_composed(feed, composed, 2, seed=0).per_sample)
    if inputs is None:
        inputs = sum(p.distribution is not None for p in composed.parameters.values())
    return metrics + inputs + TEMPORARIES
