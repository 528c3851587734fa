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
  the central anchor, linear from 1 at the base year). Pack size and chemistry are not sampled.
"""

from __future__ import annotations

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
class FleetResult:
    """Vehicles, packs and flows of a fleet run; ``packs``/``GWh`` map a :data:`SERIES` name to
    an array (samples, years, countries, chemistries)."""

    inputs: FleetInputs
    vehicles_sold: np.ndarray
    """(samples, years, countries, segments)."""
    vehicles_in_use: np.ndarray
    vehicles_retired: np.ndarray
    packs: dict[str, np.ndarray]
    GWh: dict[str, np.ndarray]
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
    sales = inputs.inflow[np.newaxis] * scale[:, :, np.newaxis, :]  # (S, C, N, G)

    sv = _survival(inputs, "vehicle", draw, n_y)  # (S, T, C, G): year t, cohort c
    sb = _survival(inputs, "battery", draw, n_y)
    eye = np.eye(n_y)[np.newaxis, :, :, np.newaxis]
    sv_prev, sb_prev = _previous(sv, eye), _previous(sb, eye)
    leave_v = sv_prev - sv
    failed = sv * (sb_prev - sb)  # original packs failing in a vehicle still on the road
    # per vehicle sold in cohort c, at the end of / during year t (times the sampled sales scale):
    names = ("in_use", "retired", "replaced", "with_vehicle")
    per_vehicle = np.concatenate([sv, leave_v + failed, failed, leave_v], axis=1)
    per_vehicle *= scale[:, np.newaxis]  # (S, 4T, C, G)
    # what a cohort's central sales carry: (C, G, N, K, unit) packs and GWh by chemistry
    weights = inputs.pack_kwh / KWH_PER_GWH  # (C, G) GWh per pack
    per_pack = np.stack([np.ones_like(weights), weights], axis=-1)  # (C, G, unit)
    carried = (
        np.moveaxis(inputs.inflow, 2, 1)[..., np.newaxis, np.newaxis]
        * inputs.chemistry[:, np.newaxis, np.newaxis, :, np.newaxis]
        * per_pack[:, :, np.newaxis, np.newaxis, :]
    )
    n_s = per_vehicle.shape[0]
    n_c, n_g, n_n, n_k, n_u = carried.shape
    flows = per_vehicle.reshape(n_s * 4 * n_y, n_c * n_g) @ carried.reshape(n_c * n_g, -1)
    flows = flows.reshape(n_s, 4, n_y, n_n, n_k, n_u)  # one matrix product (BLAS)
    packs = {k: flows[:, i, ..., 0] for i, k in enumerate(names)}
    gwh = {k: flows[:, i, ..., 1] for i, k in enumerate(names)}
    sold = np.einsum("scg,cgnku->scnku", scale, carried, optimize=True)
    vehicles = {
        k: np.einsum("stcg,cng->stng", per_vehicle[:, i * n_y : (i + 1) * n_y], inputs.inflow)
        for i, k in ((0, "in_use"), (3, "retired"))
    }
    packs["sold"], gwh["sold"] = sold[..., 0], sold[..., 1]

    def y(a: np.ndarray) -> np.ndarray:  # (S, Y) share -> broadcast over countries, chemistries
        return a[:, :, np.newaxis, np.newaxis]

    for out in (packs, gwh):
        out["exported"] = y(share["exports"]) * out.pop("with_vehicle")
        domestic = out["retired"] - out["exported"]
        out["uncollected"] = y(1 - share["collection"]) * domestic
        collected = domestic - out["uncollected"]
        out["second_life_in"] = y(share["second_life"]) * collected
        out["recycled_direct"] = collected - out["second_life_in"]
    _second_life(inputs, draw, packs, gwh)
    demand = (gwh["sold"] + gwh["replaced"]).sum(axis=2)
    scrap_gwh = scrap[:, :, np.newaxis] * demand
    feed = (gwh["recycled_direct"] + gwh["second_life_out"]).sum(axis=2) + scrap_gwh
    supply = secondary_supply(demand, feed, inputs.years, inputs.chemistries)
    return FleetResult(
        inputs=inputs,
        vehicles_sold=np.broadcast_to(sales, vehicles["in_use"].shape),
        vehicles_in_use=vehicles["in_use"],
        vehicles_retired=vehicles["retired"],
        packs={k: np.broadcast_to(packs[k], packs["in_use"].shape) for k in SERIES},
        GWh={k: np.broadcast_to(gwh[k], gwh["in_use"].shape) for k in SERIES},
        scrap_GWh=scrap_gwh,
        demand_GWh=demand,
        feedstock_GWh=feed,
        supply=supply,
    )


def _previous(s: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """Survival at the end of the year before (1 in the cohort's own year, 0 before it)."""
    prev = np.zeros_like(s)
    prev[:, 1:] = s[:, :-1]
    return prev * (1 - eye) + eye


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


def _second_life(
    inputs: FleetInputs, draw: _Sampler, packs: dict[str, np.ndarray], gwh: dict[str, np.ndarray]
) -> None:
    """Storage stock and returns of the second-life inflow: the engine's survival matrix of the
    stationary lifetime (by sample) times the inflow (packs and GWh, every country and
    chemistry) in one batched matrix product."""
    n_y = len(inputs.years)
    survival = _curves([inputs.stationary], draw, n_y)[..., 0]  # (S, T, C)
    leaving = _previous(survival[..., np.newaxis], np.eye(n_y)[np.newaxis, :, :, np.newaxis])
    leaving = leaving[..., 0] - survival
    inflow = np.stack([packs["second_life_in"], gwh["second_life_in"]], axis=-1)
    flat = inflow.reshape(inflow.shape[0], n_y, -1)  # (S, C, N*K*unit)
    for key, matrix in (("second_life_stock", survival), ("second_life_out", leaving)):
        result = np.matmul(matrix, flat).reshape(-1, *inflow.shape[1:])
        packs[key], gwh[key] = result[..., 0], result[..., 1]


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
