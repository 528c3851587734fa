"""Results of a flowsheet evaluation: outputs by fate, recovery, recycling efficiency, inventory and
the element balance, per sample, reduced chunk by chunk so a million samples fit in memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from urbanmine.flowsheet.errors import BalanceError
from urbanmine.flowsheet.flowsheet import Evaluation
from urbanmine.flowsheet.units import UTILITIES

BALANCE_TOLERANCE = 1e-9
"""Largest relative element-balance error a result may have; above it the result is a bug."""

COUNTED_FATES = ("product", "recycled")
"""Fates whose outputs count as recycled (Art. 3(60) of (EU) 2023/1542: energy recovery, landfill
and emissions do not)."""

QUANTILES = (0.05, 0.5, 0.95)


def element_balance_error(ev: Evaluation, sinks: Mapping[str, str]) -> np.ndarray:
    """Largest relative element-balance error per sample: inputs (feed and reagents) vs outputs.

    Each element's error is relative to that element's input mass, floored at 1e-12 of the
    sample's total input mass so that trace elements do not amplify round-off.
    """
    E = ev.index.E
    inflow = ev.feed.copy()
    for unit_reagents in ev.reagents.values():
        for name, kg in unit_reagents.items():
            inflow[:, ev.index.position(name)] += kg
    outflow = np.zeros_like(inflow)
    for s in sinks:
        outflow += ev.streams[s]
    el_in = inflow @ E
    el_out = outflow @ E
    floor = 1e-12 * np.maximum(inflow.sum(axis=1, keepdims=True), 1e-300)
    return (np.abs(el_in - el_out) / np.maximum(el_in, floor)).max(axis=1)


@dataclass
class ChunkMetrics:
    """Per-sample metrics of one chunk (arrays of shape (rows,)) and sums for means."""

    per_sample: dict[str, np.ndarray]
    sums: dict[str, np.ndarray]
    rows: int


def measure(ev: Evaluation, sinks: Mapping[str, str]) -> ChunkMetrics:
    """Reduce one evaluation to the metrics a result reports; raises if the balance does not close.

    Per-sample keys (kg unless named otherwise): ``feed.mass_kg``, ``outputs.<sink>.mass_kg``,
    ``fate.<fate>.<species>`` (each species leaving in each fate), ``recovery.<element>``
    (share), ``recycling_efficiency`` (share), ``recycled_output_kg``,
    ``inventory.reagents_kg.<species>``, ``inventory.<utility>`` and ``balance``.
    """
    err = element_balance_error(ev, sinks)
    worst = float(err.max()) if err.size else 0.0
    if not worst <= BALANCE_TOLERANCE:
        raise BalanceError(
            f"element balance does not close: max relative error {worst:.3g} > {BALANCE_TOLERANCE}"
        )
    idx = ev.index
    E = idx.E
    rows = ev.feed.shape[0]
    feed_el = ev.feed @ E
    per: dict[str, np.ndarray] = {"balance": err, "feed.mass_kg": ev.feed.sum(axis=1)}
    sums: dict[str, np.ndarray] = {"feed.species_kg": ev.feed.sum(axis=0)}
    by_fate: dict[str, np.ndarray] = {}
    for name, fate in sinks.items():
        s = ev.streams[name]
        species_total = s.sum(axis=0)
        per[f"outputs.{name}.mass_kg"] = s.sum(axis=1)
        sums[f"outputs.{name}.species_kg"] = species_total
        sums[f"outputs.{name}.elements_kg"] = species_total @ E
        by_fate[fate] = by_fate[fate] + s if fate in by_fate else s
    for fate, s in by_fate.items():
        for col in np.flatnonzero(s.any(axis=0)):
            per[f"fate.{fate}.{idx.names[col]}"] = s[:, col]
    counted = sum((by_fate[f] for f in COUNTED_FATES if f in by_fate), np.zeros_like(ev.feed))
    counted_el = counted @ E
    counted_mass = counted.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recovery = np.where(feed_el > 0, counted_el / np.where(feed_el > 0, feed_el, 1.0), np.nan)
    for j, element in enumerate(idx.elements):
        if np.any(feed_el[:, j] > 0):
            per[f"recovery.{element}"] = recovery[:, j]
    # recycling efficiency counts only the mass of the feed's own elements in counted outputs
    own = np.minimum(counted_el, feed_el).sum(axis=1)
    per["recycling_efficiency"] = own / ev.feed.sum(axis=1)
    per["recycled_output_kg"] = counted_mass
    reagent_totals: dict[str, np.ndarray] = {}
    for unit_reagents in ev.reagents.values():
        for name, kg in unit_reagents.items():
            reagent_totals[name] = reagent_totals.get(name, 0.0) + kg
    for name, kg in reagent_totals.items():
        per[f"inventory.reagents_kg.{name}"] = np.broadcast_to(kg, (rows,))
    for kind in UTILITIES:
        total = np.zeros(rows)
        for unit_util in ev.utilities.values():
            if kind in unit_util:
                total = total + unit_util[kind]
        per[f"inventory.{kind}"] = total
    for unit, unit_util in ev.utilities.items():
        for kind, qty in unit_util.items():
            sums[f"units.{unit}.{kind}"] = np.asarray(qty).sum(keepdims=True)
    for unit, unit_reagents in ev.reagents.items():
        for name, kg in unit_reagents.items():
            sums[f"units.{unit}.reagents_kg.{name}"] = np.asarray(kg).sum(keepdims=True)
    return ChunkMetrics(per, sums, rows)


@dataclass
class Accumulator:
    """Joins chunk metrics: concatenates per-sample arrays, adds sums."""

    per_sample: dict[str, list[np.ndarray]] = field(default_factory=dict)
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    rows: int = 0

    def add(self, chunk: ChunkMetrics) -> None:
        for k in set(self.per_sample) | set(chunk.per_sample):
            if k not in self.per_sample:  # metric first seen now: earlier rows had none of it
                self.per_sample[k] = [np.zeros(self.rows)] if self.rows else []
            self.per_sample[k].append(chunk.per_sample.get(k, np.zeros(chunk.rows)))
        for k, v in chunk.sums.items():
            self.sums[k] = self.sums[k] + v if k in self.sums else v.astype(float).copy()
        self.rows += chunk.rows

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.per_sample.items()}
