"""The coupled fleet model: vehicles, their packs, exports, collection, second life and scrap.

From :class:`~urbanmine.fleet.scenario.FleetInputs` (vehicle sales ``years x countries x
segments``, chemistry shares, pack kWh, lifetimes and the per-year shares), with the cohort engine
(:func:`urbanmine.fleet.cohorts.inflow_driven`):

- **Vehicles** leave after the vehicle lifetime. ``Sv[t, c]`` is the share of the vehicles sold in
  year c still on the road at the end of year t (the engine's survival matrix; ``max_age``, when a
  lifetime gives one, ends every survivor at that age).
- **Packs.** A vehicle's original pack also fails with the battery lifetime ``Sb``, independently
  (competing risks): the original pack is in use while both survive, ``Sv * Sb``. Its leaving
  splits exactly into a pack leaving *with its vehicle* (``Sb[t-1] * (Sv[t-1] - Sv[t])``: a pack
  still working at the start of the year whose vehicle retires during it) and a pack *failing in a
  vehicle still on the road* (``Sv[t] * (Sb[t-1] - Sb[t])``). A failed pack is **replaced once**
  by a new pack that then stays until its vehicle retires (approximation: the replacement does not
  fail again). Replacement packs are like for like: the kWh and chemistry of the vehicle's cohort.
  So every vehicle on the road holds one pack (original or replacement), replacements count as
  new-pack demand in the year they are fitted and as end-of-life packs when their vehicle retires.
- **Exports**: a share of the vehicles retiring in year t leaves the region with its pack (failed
  packs are removed in the region, never exported). Of the packs retired in the region only the
  **collected** share reaches the recycling chain; of those a **second-life** share goes into
  stationary storage and returns after the stationary lifetime (the engine again), the rest goes
  straight to recycling. Returned second-life packs all go to recycling.
- **Production scrap** = scrap share x the year's new-pack demand (GWh), to recycling in the same
  year (regional: no country).
- Units: packs, GWh (the pack kWh of the vehicle's cohort), tonnes of packs and element tonnes
  (:mod:`urbanmine.fleet.materials`); series are ``(samples, years, countries, chemistries)``
  (samples 1 for a deterministic run). Recycled content and Art. 8 verdicts come from
  :func:`urbanmine.fleet.supply.secondary_supply` with demand = new packs + replacements and
  feedstock = direct recycling + second-life returns + scrap, summed over the countries.
- **Samples** (``samples`` > 1): each uncertain parameter with a range in the inputs is drawn from
  a triangular distribution between its low and high with the central value as mode (the range is
  widened to hold the central value where a scenario moved it outside), independently, with a
  seed: lifetime parameters of vehicles, batteries and second life (each ``low``/``high`` of the
  lifetime), collection, exports, second-life share, scrap (low/high at the data's anchor years,
  linear between) and sales after the base year (the projection anchors' low/high as ratios to
  the central anchor, linear from 1 at the base year), pack kWh (a segment's low/high, or the
  pack projection's low/high over its baseline from the last data year) and the LFP share of new
  packs (its 2030 range, linear from the last data year; the other chemistries scaled to fill
  the rest). Series are computed on access (:class:`Flows`); docs/fleet.md has the details.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.fleet.cohorts import inflow_driven
from urbanmine.fleet.lifetimes import Lifetime, make_lifetime
from urbanmine.fleet.materials import ELEMENTS, elements_t, pack_t
from urbanmine.fleet.scenario import FleetInputs, region_data
from urbanmine.fleet.scenario import Lifetime as LifetimeSpec
from urbanmine.fleet.supply import Supply, secondary_supply

KWH_PER_GWH = 1e6
MAX_SAMPLES = 100_000
DETAIL_CACHE_BYTES = 150_000_000
"""Full series (samples x years x countries x chemistries) kept once computed: every series of a
small run, the last two or so of Europe with 1,000 samples (60 MB each)."""

SERIES = (
    "sold",
    "replaced",
    "in_use",
    "retired",
    "exported",
    "uncollected",
    "second_life_in",
    "second_life_out",
    "second_life_stock",
    "recycled_direct",
)
"""Pack series by (samples, years, countries, chemistries); each in packs and in GWh."""


@dataclass(frozen=True)
class Draws:
    """What a run used, one row per sample (the central values when there is one sample)."""

    collection: np.ndarray
    """(samples, years), likewise ``exports``, ``second_life`` and ``scrap``."""
    exports: np.ndarray
    second_life: np.ndarray
    scrap: np.ndarray
    sales_scale: np.ndarray
    """(samples, cohorts, segments) multiplier of the central sales."""
    vehicle: np.ndarray
    """Survival (samples, years, cohorts, segments) of the vehicles; ``battery`` likewise."""
    battery: np.ndarray
    stationary: np.ndarray
    """Survival (samples, years, cohorts) in second-life storage."""
    pack_kwh: np.ndarray
    """(samples, cohorts, segments) kWh per pack."""
    lfp: np.ndarray | None
    """(samples, cohorts) LFP share of new packs when the chemistry is sampled, else None."""
    chemistry: np.ndarray
    """(samples, cohorts, chemistries) shares of new-pack energy (rows sum to 1)."""


class Flows:
    """Every pack series of a run, computed when asked for.

    Each series is a coefficient per vehicle sold of cohort c (and segment), by sample and year,
    ``(samples, years, cohorts, segments)``, contracted over the cohorts and segments with what a
    cohort carries (vehicles by country, packs or GWh per vehicle, chemistry shares) in one
    matrix product. Aggregates (by chemistry over the countries, by country over the chemistries)
    contract with the aggregated carriage and never build the ``samples x years x countries x
    chemistries`` array. A sampled chemistry mix is ``alpha * central + beta * [LFP]`` per
    sample and cohort (the LFP share moved, the others scaled to fill the rest), so it costs one
    more product of the LFP column.
    """

    def __init__(self, inputs: FleetInputs, draws: Draws) -> None:
        self.inputs = inputs
        self.draws = draws
        # per vehicle sold of cohort c, the sampled sales multiplier folded in
        scale = draws.sales_scale[:, np.newaxis]
        sv, sb = draws.vehicle, draws.battery
        self._scale = scale
        self.leaving_vehicles = (_previous(sv) - sv) * scale  # retiring, pack still working
        self._failed = sv * (_previous(sb) - sb) * scale  # failing in a vehicle on the road
        exports = draws.exports[:, :, np.newaxis, np.newaxis]
        self._domestic = self.leaving_vehicles * (1 - exports) + self._failed  # not exported
        self._storage = {
            "second_life_stock": draws.stationary,
            "second_life_out": _previous(draws.stationary) - draws.stationary,
        }  # (S, T, C): in storage at the end of year t / leaving it during year t
        per_vehicle = {
            "packs": np.ones((1, 1, *inputs.pack_kwh.shape)),
            "GWh": draws.pack_kwh[:, np.newaxis] / KWH_PER_GWH,
        }  # (S, 1, C, G) packs or GWh per vehicle of a cohort
        # (weight on the central mix, weight on the LFP column or None) per unit
        self._weights: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        for unit, w in per_vehicle.items():
            if draws.lfp is None:
                self._weights[unit] = (w, None)
            else:
                alpha, beta = (m[:, np.newaxis, :, np.newaxis] for m in lfp_mix(inputs, draws.lfp))
                self._weights[unit] = (w * alpha, w * beta)
        inflow = np.moveaxis(inputs.inflow, 2, 1)  # (C, G, N) vehicles of a cohort
        chem = inputs.chemistry  # (C, K) central
        self._right = {
            "cell": (inflow[..., np.newaxis] * chem[:, np.newaxis, np.newaxis, :], inflow),
            "chemistry": (
                inflow.sum(axis=2)[..., np.newaxis] * chem[:, np.newaxis, :],
                inflow.sum(axis=2),
            ),
            "country": (inflow * chem.sum(axis=1)[:, np.newaxis, np.newaxis], inflow),
        }  # what a cohort carries: on the central mix, and on the LFP column
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def coefficient(self, name: str) -> np.ndarray:
        """(samples, years, cohorts, segments): series ``name`` per vehicle sold of a cohort."""
        d = self.draws
        if name in ("sold", "in_use", "replaced", "retired", "exported"):
            return {
                "sold": lambda: np.eye(len(self.inputs.years))[:, :, np.newaxis] * self._scale,
                "in_use": lambda: d.vehicle * self._scale,
                "replaced": lambda: self._failed,
                "retired": lambda: self.leaving_vehicles + self._failed,
                "exported": lambda: _by_year(d.exports) * self.leaving_vehicles,
            }[name]()
        fates = {
            "uncollected": 1 - d.collection,
            "second_life_in": d.second_life * d.collection,
            "recycled_direct": (1 - d.second_life) * d.collection,
        }  # (S, Y) shares of the packs retired and not exported
        if name in fates:
            return _by_year(fates[name]) * self._domestic
        if name not in self._storage:
            raise KeyError(name)
        second_in = _by_year(fates["second_life_in"]) * self._domestic
        n_s, n_y, n_c, n_g = second_in.shape
        flat = second_in.reshape(n_s, n_y, n_c * n_g)
        return np.matmul(self._storage[name], flat).reshape(second_in.shape)

    def detail(self, name: str, unit: str) -> np.ndarray:
        """(samples, years, countries, chemistries) of series ``name`` in ``unit`` (packs, GWh),
        read-only; kept while the kept ones stay within :data:`DETAIL_CACHE_BYTES` (the oldest
        go first)."""
        key = (name, unit)
        if key not in self._cache:
            value = self._contract(name, unit, "cell")
            value.setflags(write=False)
            while self._cache and sum(a.nbytes for a in self._cache.values()) + value.nbytes > (
                DETAIL_CACHE_BYTES
            ):
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = value
        return self._cache[key]

    def by_chemistry(self, name: str, unit: str) -> np.ndarray:
        """(samples, years, chemistries): series ``name`` summed over the countries."""
        return self._contract(name, unit, "chemistry")

    def by_country(self, name: str, unit: str) -> np.ndarray:
        """(samples, years, countries): series ``name`` summed over the chemistries."""
        return self._contract(name, unit, "country")

    def _contract(self, name: str, unit: str, keep: str) -> np.ndarray:
        coef = self.coefficient(name)
        central, lfp = self._weights[unit]
        right, lfp_right = self._right[keep]
        out = _product(coef * central, right)
        if lfp is None:
            return out
        extra = _product(coef * lfp, lfp_right)
        if keep == "country":
            return out + extra
        out[..., self.inputs.chemistries.index("LFP")] += extra
        return out


def _product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(S, T, C, G) times (C, G, *tail) summed over C and G: (S, T, *tail), one BLAS product."""
    n_s, n_y, n_c, n_g = left.shape
    flat = left.reshape(-1, n_c * n_g) @ right.reshape(n_c * n_g, -1)
    return flat.reshape(n_s, n_y, *right.shape[2:])


class Series(Mapping[str, np.ndarray]):
    """The :data:`SERIES` of a run in one unit, each (samples, years, countries, chemistries),
    computed on access (:meth:`Flows.detail`)."""

    def __init__(self, flows: Flows, unit: str) -> None:
        self._flows, self._unit = flows, unit

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in SERIES:
            raise KeyError(name)
        return self._flows.detail(name, self._unit)

    def __iter__(self) -> Iterator[str]:
        return iter(SERIES)

    def __len__(self) -> int:
        return len(SERIES)


@dataclass(frozen=True)
class FleetResult:
    """Vehicles, packs and flows of a fleet run; ``packs``/``GWh`` map a :data:`SERIES` name to
    an array (samples, years, countries, chemistries), computed on access; ``flows`` gives the
    same series summed over countries or chemistries without building that array."""

    inputs: FleetInputs
    draws: Draws
    flows: Flows
    vehicles_sold: np.ndarray
    """(samples, years, countries, segments)."""
    vehicles_in_use: np.ndarray
    vehicles_retired: np.ndarray
    packs: Mapping[str, np.ndarray]
    GWh: Mapping[str, np.ndarray]
    scrap_GWh: np.ndarray
    """(samples, years, chemistries)."""
    demand_GWh: np.ndarray
    """New packs + replacements, (samples, years, chemistries)."""
    feedstock_GWh: np.ndarray
    """Reaching recyclers: direct recycling + second-life returns + scrap, (samples, years,
    chemistries)."""
    supply: Supply

    @property
    def eol_GWh(self) -> np.ndarray:
        """End-of-life packs collected for recycling or second life, (samples, years, countries,
        chemistries)."""
        return self.GWh["second_life_in"] + self.GWh["recycled_direct"]

    def tonnes(self, gwh: np.ndarray) -> np.ndarray:
        """Tonnes of packs of a GWh array whose last axis is the chemistry."""
        return pack_t(gwh, self.inputs.chemistries)

    def element_tonnes(self, gwh: np.ndarray) -> np.ndarray:
        """Element tonnes (elements on a new last axis) of a GWh array (chemistry last)."""
        return elements_t(gwh, self.inputs.chemistries, ELEMENTS)


def engine_lifetime(spec: LifetimeSpec, params: dict[str, Any] | None = None) -> Lifetime:
    """The cohort engine's lifetime for a scenario lifetime; ``params`` replace its values (arrays
    that broadcast against (samples, cohorts, segments))."""
    return make_lifetime(spec.distribution, {**spec.parameters(), **(params or {})})


def triangular(u: np.ndarray, low: Any, mode: Any, high: Any) -> np.ndarray:
    """Inverse CDF of the triangular distribution at ``u`` (0..1), broadcast; the range is widened
    to hold ``mode``; a zero-width range gives ``mode``."""
    mode = np.asarray(mode, dtype=float)
    a = np.minimum(low, mode)
    b = np.maximum(high, mode)
    width = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        split = np.where(width > 0, (mode - a) / width, 0.5)
        left = a + np.sqrt(u * width * (mode - a))
        right = b - np.sqrt((1 - u) * width * (b - mode))
    return np.where(width > 0, np.where(u < split, left, right), mode)


class _Sampler:
    """Draws (samples, *shape) of a parameter given low/high/central; central values with one
    sample."""

    def __init__(self, samples: int, seed: int | None) -> None:
        self.n = max(samples, 1)
        self.rng = np.random.default_rng(seed)

    def draw(self, central: Any, low: Any, high: Any, vary: tuple[int, ...] = ()) -> np.ndarray:
        """``central`` (any shape) with a leading samples axis. One uniform draw per sample is
        shared by every element, except along the axes ``vary`` gives full length (a shape that
        broadcasts against ``central``, e.g. one draw per segment)."""
        central = np.asarray(central, dtype=float)
        if self.n == 1:
            return central[np.newaxis]
        u = self.rng.random((self.n, *vary)).reshape(
            (self.n,) + (1,) * (central.ndim - len(vary)) + vary
        )
        return triangular(u, low, central, high)


def run(inputs: FleetInputs, samples: int | None = None, seed: int | None = 0) -> FleetResult:
    """The coupled model for ``inputs`` (``samples`` overrides ``inputs.samples``; 0 or 1: the
    central values only)."""
    n = inputs.samples if samples is None else samples
    if not isinstance(n, int) or n < 0 or n > MAX_SAMPLES:
        raise InputError(f"samples: {n!r}; allowed: a whole number 0..{MAX_SAMPLES}")
    draw = _Sampler(n, seed)
    years = np.array(inputs.years)
    n_y = len(years)
    share = {
        name: draw.draw(getattr(inputs, name), *inputs.bounds[name])
        for name in ("collection", "exports", "second_life")
    }  # (S, Y)
    scrap = draw.draw(inputs.scrap, *_scrap_bounds(inputs, years))
    scale = _projection(inputs, years, draw)  # (S, C, G) sales multiplier by cohort
    sv = _survival(inputs, "vehicle", draw, n_y)  # (S, T, C, G): year t, cohort c
    sb = _survival(inputs, "battery", draw, n_y)
    stationary = _curves([inputs.stationary], draw, n_y)[..., 0]  # (S, T, C)
    pack_kwh = inputs.pack_kwh[np.newaxis] * _pack_ratio(inputs, years, draw)
    lfp = _lfp(inputs, years, draw)
    chemistry = np.broadcast_to(inputs.chemistry, (draw.n, *inputs.chemistry.shape))
    if lfp is not None:
        alpha, beta = lfp_mix(inputs, lfp)
        chemistry = alpha[..., np.newaxis] * inputs.chemistry
        chemistry[..., inputs.chemistries.index("LFP")] += beta
    draws = Draws(
        collection=share["collection"],
        exports=share["exports"],
        second_life=share["second_life"],
        scrap=scrap,
        sales_scale=scale,
        vehicle=sv,
        battery=sb,
        stationary=stationary,
        pack_kwh=pack_kwh,
        lfp=lfp,
        chemistry=chemistry,
    )
    flows = Flows(inputs, draws)
    inflow = inputs.inflow.transpose(2, 0, 1)  # (G, C, N)
    vehicles = {
        k: np.moveaxis(
            np.matmul(np.moveaxis(a, 3, 0).reshape(a.shape[3], -1, n_y), inflow), 0, -1
        ).reshape(draw.n, n_y, *inflow.shape[2:], inflow.shape[0])
        for k, a in (("in_use", flows.coefficient("in_use")), ("retired", flows.leaving_vehicles))
    }  # (S, T, N, G)
    demand = flows.by_chemistry("sold", "GWh") + flows.by_chemistry("replaced", "GWh")
    scrap_gwh = scrap[:, :, np.newaxis] * demand
    feed = (
        flows.by_chemistry("recycled_direct", "GWh")
        + flows.by_chemistry("second_life_out", "GWh")
        + scrap_gwh
    )
    supply = secondary_supply(demand, feed, inputs.years, inputs.chemistries)
    sales = inputs.inflow[np.newaxis] * scale[:, :, np.newaxis, :]  # (S, C, N, G)
    return FleetResult(
        inputs=inputs,
        draws=draws,
        flows=flows,
        vehicles_sold=sales,
        vehicles_in_use=vehicles["in_use"],
        vehicles_retired=vehicles["retired"],
        packs=Series(flows, "packs"),
        GWh=Series(flows, "GWh"),
        scrap_GWh=scrap_gwh,
        demand_GWh=demand,
        feedstock_GWh=feed,
        supply=supply,
    )


def _previous(s: np.ndarray) -> np.ndarray:
    """Survival ``(samples, years, cohorts, ...)`` at the end of the year before: 1 in the
    cohort's own year, 0 before it (``s`` is 0 for cohorts after the year)."""
    prev = np.empty_like(s)
    prev[:, 0] = 0.0
    prev[:, 1:] = s[:, :-1]
    diagonal = np.arange(s.shape[1])
    prev[:, diagonal, diagonal] = 1.0
    return prev


def _by_year(a: np.ndarray) -> np.ndarray:
    """(samples, years) -> (samples, years, 1, 1), to scale (samples, years, cohorts, segments)."""
    return a[:, :, np.newaxis, np.newaxis]


def _survival(inputs: FleetInputs, kind: str, draw: _Sampler, n_y: int) -> np.ndarray:
    """(samples, years, cohorts, segments) survival of the ``kind`` lifetime of each segment,
    from the engine; lifetime parameters drawn between their low/high per segment."""
    specs = [inputs.lifetimes[kind][s] for s in inputs.segments]
    out = np.zeros((draw.n, n_y, n_y, len(specs)))
    groups: dict[str, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec.distribution, []).append(i)
    for cols in groups.values():  # one engine call per distribution kind (a handful)
        chosen = [specs[i] for i in cols]
        out[..., cols] = _curves(chosen, draw, n_y)
    return out


def _curves(specs: list[LifetimeSpec], draw: _Sampler, n_y: int) -> np.ndarray:
    """Survival matrices (samples, years, cohorts, len(specs)) for lifetimes of one kind."""
    names = list(specs[0].parameters())
    params = {
        p: draw.draw(
            [s.parameters()[p] for s in specs],
            [s.low.get(p, s.parameters()[p]) for s in specs],
            [s.high.get(p, s.parameters()[p]) for s in specs],
            vary=(len(specs),),
        )[:, np.newaxis, :]
        for p in names
    }  # (S, 1, G)
    result = inflow_driven(np.ones((n_y, len(specs))), engine_lifetime(specs[0], params))
    s = result.survival
    s = s if s.ndim == 4 else s[np.newaxis]
    cap = np.array([spec.max_age or np.inf for spec in specs])
    age = np.arange(n_y)[:, None] - np.arange(n_y)[None, :] + 0.5  # "middle" inflow
    return np.where(age[None, :, :, None] >= cap, 0.0, s)


def _scrap_bounds(inputs: FleetInputs, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scrap low/high by year: linear between the data's anchor years, held outside."""
    anchors = region_data(inputs.region)["scrap"]["years"]
    low, high = inputs.bounds["scrap"]
    return np.interp(years, anchors, low), np.interp(years, anchors, high)


def _projection(inputs: FleetInputs, years: np.ndarray, draw: _Sampler) -> np.ndarray:
    """(samples, years, segments) multiplier of the sales: 1 up to the base year, then the drawn
    anchor over the central anchor, linear between anchors and held after the last."""
    if draw.n == 1:
        return np.ones((1, len(years), len(inputs.segments)))
    proj = region_data(inputs.region)["projection"]
    central = np.array([proj[s]["central"] for s in inputs.segments]).T  # (A, G)
    low, high = (
        np.array([inputs.bounds[f"projection.{s}"][i] for s in inputs.segments]).T for i in (0, 1)
    )
    ratio = draw.draw(central, low, high, vary=(1, len(inputs.segments))) / central  # (S, A, G)
    anchors = np.array([proj["base_year"], *proj["years"]], dtype=float)
    basis = np.stack(
        [np.interp(years, anchors, np.eye(len(anchors))[j]) for j in range(len(anchors))], axis=-1
    )  # (Y, A+1) interpolation weights; a loop over the two or three anchors
    full = np.concatenate([np.ones((draw.n, 1, len(inputs.segments))), ratio], axis=1)
    return np.einsum("ya,sag->syg", basis, full)


def _pack_ratio(inputs: FleetInputs, years: np.ndarray, draw: _Sampler) -> np.ndarray:
    """(samples, cohorts, segments) multiplier of the pack kWh. A segment with one value and a
    range (``<segment>_low``/``_high``): low/central and high/central, every year. A segment with
    a yearly series: the projection's low/high over its baseline at its anchor years, linear from
    1 at the last data year, held after. One draw per sample and segment."""
    out = np.ones((draw.n, len(years), len(inputs.segments)))
    if draw.n == 1:
        return out
    pack = region_data(inputs.region)["pack_kwh"]
    proj = pack.get("projection")
    for j, seg in enumerate(inputs.segments):  # a loop over the few segments
        bounds = inputs.bounds.get(f"pack_kwh.{seg}")
        if bounds is not None:
            central = float(pack[seg])
            out[:, :, j] = draw.draw(1.0, bounds[0] / central, bounds[1] / central)[:, None]
        elif "pack_kwh.projection" in inputs.bounds and isinstance(pack.get(seg), list):
            low, high = (
                np.array(b) / proj["baseline"] for b in inputs.bounds["pack_kwh.projection"]
            )
            u = draw.draw(np.ones(len(low)), low, high, vary=(1,))  # (S, A)
            anchors = [pack["years"][-1], *proj["years"]]
            ratio = np.concatenate([np.ones((draw.n, 1)), u], axis=1)
            basis = np.stack(
                [np.interp(years, anchors, np.eye(len(anchors))[a]) for a in range(len(anchors))]
            )  # (A+1, Y) interpolation weights
            out[:, :, j] = ratio @ basis
    return out


def _lfp(inputs: FleetInputs, years: np.ndarray, draw: _Sampler) -> np.ndarray | None:
    """(samples, cohorts) LFP share of new packs, or None when not sampled: the share at the
    projection year (``chemistry.projection.year``) is drawn between the data's ``lfp_low`` and
    ``lfp_high`` with the central share as mode; the move from the central share grows linearly
    from 0 at the last data year to the drawn one at the projection year and is held after."""
    bounds = inputs.bounds.get("chemistry.lfp")
    if draw.n == 1 or bounds is None or "LFP" not in inputs.chemistries:
        return None
    chem = region_data(inputs.region)["chemistry"]
    start, at = chem["years"][-1], chem["projection"]["year"]
    central = inputs.chemistry[:, inputs.chemistries.index("LFP")]
    anchor = float(np.interp(at, years, central))
    move = draw.draw(anchor, *bounds) - anchor  # (S,)
    ramp = np.clip((years - start) / (at - start), 0.0, 1.0)
    lfp = np.clip(central + move[:, np.newaxis] * ramp, 0.0, 1.0)
    return np.where(central < 1, lfp, central)  # an all-LFP mix has nothing to trade against


def lfp_mix(inputs: FleetInputs, lfp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``alpha``, ``beta`` (samples, cohorts) such that the chemistry mix with LFP share ``lfp``
    is ``alpha * central + beta`` on the LFP column: the other chemistries are scaled by
    (1 - lfp) / (1 - central LFP) to fill the rest, so the shares still sum to 1."""
    central = inputs.chemistry[:, inputs.chemistries.index("LFP")]
    rest = np.where(central < 1, 1 - central, 1.0)
    alpha = np.where(central < 1, (1 - lfp) / rest, 1.0)
    return alpha, lfp - central * alpha
