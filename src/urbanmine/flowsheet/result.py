"""Results of a flowsheet evaluation: outputs by fate, recovery, recycling efficiency, inventory and
the element balance, per sample, reduced chunk by chunk so a million samples fit in memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import BalanceError
from urbanmine.flowsheet.flowsheet import Evaluation
from urbanmine.flowsheet.plan import Stream
from urbanmine.flowsheet.units import UTILITIES

BALANCE_TOLERANCE = 1e-9
"""Largest relative element-balance error a result may have; above it the result is a bug."""

COUNTED_FATES = ("product", "recycled")
"""Fates whose outputs count as recycled (Art. 3(60) of (EU) 2023/1542: energy recovery, landfill
and emissions do not)."""

WATER = "H2O"
"""The species left out of both the input fraction and the output fractions (Reg. (EU) 493/2012
Annexes IV and V subtract water from the input; water in an output is not a material produced
from the battery)."""

QUANTILES = (0.05, 0.5, 0.95)


def reagent_totals(ev: Evaluation) -> dict[str, np.ndarray]:
    """kg of each reagent booked by all units together, per row."""
    totals: dict[str, np.ndarray] = {}
    for unit_reagents in ev.reagents.values():
        for name, kg in unit_reagents.items():
            totals[name] = totals[name] + kg if name in totals else kg
    return totals


@dataclass(frozen=True)
class FateStreams:
    """All sink streams of one fate side by side: ``data[:, k]`` is species ``cols[k]`` (a
    species may appear once per sink); ``species`` lists the distinct species and ``gather``
    sums the columns into them (shape (len(cols), len(species)))."""

    cols: np.ndarray
    data: np.ndarray
    species: np.ndarray
    gather: np.ndarray

    @classmethod
    def of(cls, streams: list[Stream]) -> FateStreams:
        cols = np.concatenate([s.cols for s in streams])
        data = np.concatenate([s.data for s in streams], axis=1)
        species, where = np.unique(cols, return_inverse=True)
        gather = np.zeros((cols.size, species.size))
        gather[np.arange(cols.size), where] = 1.0
        return cls(cols, data, species, gather)


def by_fate(ev: Evaluation, sinks: Mapping[str, str]) -> dict[str, FateStreams]:
    """The sink streams grouped by fate."""
    groups: dict[str, list[Stream]] = {}
    for name, fate in sinks.items():
        groups.setdefault(fate, []).append(ev.parts[name])
    return {fate: FateStreams.of(streams) for fate, streams in groups.items()}


def origin_elements_kg(ev: Evaluation, stream: Stream, water: int | None) -> np.ndarray:
    """Battery-origin kg of every element of the index in ``stream``, per row, shape (rows,
    elements): all of a feed-only element, the tracer of a tracked element, none of the rest;
    water (column ``water``) left out."""
    w1, w2 = ev.elements.element_weights(stream.cols, ev.index, -1 if water is None else water)
    out = stream.data @ w1
    if stream.origin is not None:
        out += stream.origin @ w2
    return out


def origin_balance_error(ev: Evaluation, sinks: Mapping[str, str]) -> np.ndarray:
    """Largest relative error per sample of the battery-origin balance of tracked elements:
    battery-origin atoms in the feed vs in all outputs (water included)."""
    elements = ev.elements
    feed = ev.feed
    if feed.origin is None or elements.tracked.size == 0:
        return np.zeros(feed.data.shape[0])
    into = elements.by_element(elements.pairs(feed.cols), feed.origin)
    out = np.zeros_like(into)
    for name in sinks:
        s = ev.parts[name]
        if s.origin is not None:
            out += elements.by_element(elements.pairs(s.cols), s.origin)
    floor = 1e-12 * np.maximum(feed.mass(), 1e-300)[:, None]
    return (np.abs(into - out) / np.maximum(into, floor)).max(axis=1)


def element_balance_error(
    ev: Evaluation, sinks: Mapping[str, str], fates: Mapping[str, FateStreams] | None = None
) -> np.ndarray:
    """Largest relative element-balance error per sample: inputs (feed and reagents) vs outputs.

    Each element's error is relative to that element's input mass, floored at 1e-12 of the
    sample's total input mass so that trace elements do not amplify round-off.
    """
    E = ev.index.E
    rows = ev.feed.data.shape[0]
    reagents = reagent_totals(ev)
    el_in = ev.feed.data @ E[ev.feed.cols]
    mass_in = ev.feed.mass()
    if reagents:
        kg = np.column_stack([np.broadcast_to(v, (rows,)) for v in reagents.values()])
        el_in = el_in + kg @ E[[ev.index.position(n) for n in reagents]]
        mass_in = mass_in + kg.sum(axis=1)
    el_out = np.zeros_like(el_in)
    for f in (fates or by_fate(ev, sinks)).values():
        el_out += f.data @ E[f.cols]
    floor = 1e-12 * np.maximum(mass_in, 1e-300)[:, None]
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
    (battery-origin element mass in outputs of counted fates over the feed's, water left out),
    ``recycling_efficiency`` (battery-origin counting, share),
    ``recycling_efficiency_element_capped`` (each element's counted mass capped at its input: an
    upper bound that counts reagent atoms), ``recycled_output_kg`` (battery-origin mass of
    counted outputs), ``counted_output_mass_kg`` (their whole mass),
    ``inventory.reagents_kg.<species>``, ``inventory.<utility>`` and ``balance``. Sums over the
    samples (per element of the index): ``input_fraction.elements_kg``,
    ``outputs.<sink>.origin_elements_kg`` and ``outputs.<sink>.water_kg``, besides the streams'
    species and element sums.
    """
    fates = by_fate(ev, sinks)
    err = element_balance_error(ev, sinks, fates)
    worst = float(err.max()) if err.size else 0.0
    if not worst <= BALANCE_TOLERANCE:
        raise BalanceError(
            f"element balance does not close: max relative error {worst:.3g} > {BALANCE_TOLERANCE}"
        )
    origin_err = origin_balance_error(ev, sinks)
    worst = float(origin_err.max()) if origin_err.size else 0.0
    if not worst <= BALANCE_TOLERANCE:
        raise BalanceError(
            f"battery-origin balance does not close: max relative error {worst:.3g} > "
            f"{BALANCE_TOLERANCE}"
        )
    idx = ev.index
    E = idx.E
    n = len(idx)
    feed = ev.feed
    rows = feed.data.shape[0]
    feed_el = feed.data @ E[feed.cols]
    feed_mass = feed.mass()
    per: dict[str, np.ndarray] = {"balance": np.maximum(err, origin_err), "feed.mass_kg": feed_mass}
    water = idx.names.index(WATER) if WATER in idx.names else None
    input_el = origin_elements_kg(ev, feed, water)
    if not np.all(input_el.sum(axis=1) > 0):
        raise InputError(
            "the feed holds no mass apart from water: recycling efficiency and recovery need a "
            "positive input fraction (Reg. (EU) 493/2012 Art. 2(4))"
        )
    counted_origin = np.zeros_like(input_el)
    sums: dict[str, np.ndarray] = {"feed.species_kg": _scatter(feed.cols, feed.data.sum(axis=0), n)}
    for name in sinks:
        s = ev.parts[name]
        species_total = _scatter(s.cols, s.data.sum(axis=0), n)
        per[f"outputs.{name}.mass_kg"] = s.mass()
        sums[f"outputs.{name}.species_kg"] = species_total
        sums[f"outputs.{name}.elements_kg"] = species_total @ E
        origin_el = origin_elements_kg(ev, s, water)
        sums[f"outputs.{name}.water_kg"] = np.atleast_1d(s.data[:, s.cols == water].sum())
        sums[f"outputs.{name}.origin_elements_kg"] = origin_el.sum(axis=0)
        if sinks[name] in COUNTED_FATES:
            counted_origin += origin_el
    counted_el = np.zeros((rows, len(idx.elements)))
    counted_mass = np.zeros(rows)
    for fate, f in fates.items():
        kg = f.data @ f.gather
        for k in np.flatnonzero(kg.any(axis=0)):
            per[f"fate.{fate}.{idx.names[f.species[k]]}"] = kg[:, k]
        if fate in COUNTED_FATES:
            counted_el += kg @ E[f.species]
            counted_mass += kg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recovery = np.where(
            input_el > 0, counted_origin / np.where(input_el > 0, input_el, 1.0), np.nan
        )
    for j, element in enumerate(idx.elements):
        if np.any(input_el[:, j] > 0):
            per[f"recovery.{element}"] = recovery[:, j]
    sums["input_fraction.elements_kg"] = input_el.sum(axis=0)
    per["recycling_efficiency"] = counted_origin.sum(axis=1) / input_el.sum(axis=1)
    per["recycling_efficiency_element_capped"] = (
        np.minimum(counted_el, feed_el).sum(axis=1) / feed_mass
    )
    per["recycled_output_kg"] = counted_origin.sum(axis=1)
    per["counted_output_mass_kg"] = counted_mass
    for name, kg in reagent_totals(ev).items():
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


def _scatter(cols: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[cols] = values
    return out


class Accumulator:
    """Joins chunk metrics into per-sample arrays of the full length (filled chunk by chunk, no
    copy at the end; a metric missing from a chunk is zero there) and adds sums."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.per_sample: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}
        self.rows = 0

    def add(self, chunk: ChunkMetrics) -> None:
        stop = self.rows + chunk.rows
        for k, v in chunk.per_sample.items():
            if k not in self.per_sample:
                self.per_sample[k] = np.zeros(self.samples)
            self.per_sample[k][self.rows : stop] = v
        for k, v in chunk.sums.items():
            self.sums[k] = self.sums[k] + v if k in self.sums else v.astype(float).copy()
        self.rows = stop
