"""Demand side and recycled content: element demand of new packs, secondary supply from
end-of-life packs after a recycling route's recovery, the share of demand it can cover each year,
and the Art. 8 minimums of Regulation (EU) 2023/1542 judged by the compliance rule sets.

Inputs are GWh of packs, shape ``(samples, years, chemistries)`` (a deterministic run has one
sample): new-battery demand, and the end-of-life packs that reach recyclers (after collection,
exports and second life, which the cohort model computes). Sum countries first: secondary
material moves within a region's market, so the recycled content is a regional figure.

- Element demand and the end-of-life element masses come from the pack bills of materials the
  flowsheet uses (:mod:`urbanmine.fleet.materials`).
- Recovery per chemistry and element comes from running the route on that chemistry's pack feed
  in the flowsheet engine (``recovery.<El>`` of its result: battery-origin mass in outputs whose
  fate counts as recycled, over the input; graphite: the graphite species leaving in counted
  fates over the graphite fed). Nothing is typed in.
- Recycled content of element e in year y = secondary supply / demand, capped at 1: supply beyond
  demand is surplus (export, stock), reported in ``supply_t`` but not as content above 100 %.
  With no demand the share is undefined (NaN) and no verdict is given for it.
- The demand counted is the basis of the rule set's recycled-content rule for that element when
  the rule's scope names the active materials (Art. 8(2)(a), (c), (d): Co, Li, Ni in the active
  materials); all of the element in the pack otherwise (Mn, Cu, Al, graphite have no Art. 8 rule).
- Verdicts: the compliance pillar's :func:`check_recycled_content` on each date a stage of a
  recycled-content rule starts (2031-08-18 and 2036-08-18 for the EU), with the share of that
  calendar year at a chosen quantile over the samples. While the Art. 8(1) calculation method is
  not adopted the rule set makes the verdict ``pending`` and its note says whether the value
  would pass or fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from urbanmine.compliance.battery import active_metals, check_recycled_content
from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.compliance.rules import load_ruleset
from urbanmine.errors import InputError
from urbanmine.fleet.materials import (
    ELEMENTS,
    FLEET_CHEMISTRIES,
    GRAPHITE,
    Basis,
    Intensity,
    as_gwh,
    intensity,
)
from urbanmine.flowsheet.result import COUNTED_FATES, QUANTILES
from urbanmine.materials.presets import DEFAULT_PRESET

DEFAULT_ROUTE = "hydro"
"""Hydrometallurgy; for a pack feed the engine puts dismantling and pretreatment in front."""
DEFAULT_RULESET = "eu-2023-1542"
CATEGORY = "ev"
"""The Art. 8 category of traction batteries of electric cars."""
TOPIC = "recycled-content"


@cache
def route_recovery(
    route: str = DEFAULT_ROUTE,
    chemistries: tuple[str, ...] = FLEET_CHEMISTRIES,
    elements: tuple[str, ...] = ELEMENTS,
    preset: str = DEFAULT_PRESET,
    samples: int = 1,
    seed: int | None = None,
) -> tuple[str, np.ndarray]:
    """The composed route's name and its recovery, shape (samples, chemistries, elements): one
    engine run per chemistry's pack feed (``samples`` Monte Carlo draws of the route's uncertain
    parameters, or its point values for one sample). An element a chemistry does not hold gets 0."""
    from urbanmine.routes.run import run  # the engine: only when a route is asked for

    table = intensity(chemistries, elements, preset)
    out = np.zeros((samples, len(table.chemistries), len(table.elements)))
    name = route
    for c, feed in enumerate(table.feeds):  # one engine run per chemistry, not per year/sample
        result = run(feed, route, samples=samples, seed=seed)
        name = result.route.name
        per = result.per_sample
        for e, element in enumerate(table.elements):
            if element == GRAPHITE:
                fed = float(feed.species_kg.get(GRAPHITE, 0.0))
                got = sum(per.get(f"fate.{f}.{GRAPHITE}", 0.0) for f in COUNTED_FATES)
                out[:, c, e] = np.asarray(got) / fed if fed > 0 else 0.0
            else:
                out[:, c, e] = np.nan_to_num(per.get(f"recovery.{element}", 0.0))
    out.setflags(write=False)
    return name, out


def counted_basis(ruleset: RuleSet, elements: Sequence[str]) -> dict[str, Basis]:
    """Per element, the demand a recycled content is counted against: ``active`` when the rule
    set's recycled-content rule for the element is scoped to the active materials, else ``pack``."""
    scoped = {r.item: str(r.scope.get("basis", "")) for r in ruleset.rules if r.topic == TOPIC}
    return {e: "active" if "active material" in scoped.get(e, "") else "pack" for e in elements}


def _quantile(a: np.ndarray, q: float | tuple[float, ...]) -> np.ndarray:
    """Quantile(s) ``q`` over the samples (axis 0) ignoring NaN; NaN where every sample is."""
    nan_everywhere = np.isnan(a).all(axis=0)
    return np.where(
        nan_everywhere, np.nan, np.nanquantile(np.where(nan_everywhere, 0.0, a), q, axis=0)
    )


@dataclass(frozen=True)
class Supply:
    """Element demand, secondary supply and recycled content, arrays of shape
    (samples, years, elements) in tonnes (content: share 0..1, NaN without demand)."""

    years: np.ndarray
    chemistries: tuple[str, ...]
    elements: tuple[str, ...]
    route: str
    preset: str
    ruleset: RuleSet
    basis: dict[str, Basis]
    recovery: np.ndarray
    """(route samples, chemistries, elements): the route's recovery the supply used."""
    demand_t: np.ndarray
    """All of each element in the new packs."""
    counted_demand_t: np.ndarray
    """The demand a recycled content is counted against (``basis``)."""
    eol_t: np.ndarray
    """Each element in the end-of-life packs reaching recyclers."""
    supply_t: np.ndarray
    """Secondary supply: ``eol_t`` after the route's recovery."""
    recycled_content: np.ndarray
    """min(1, supply / counted demand); NaN where the counted demand is 0."""
    demand_GWh_by_chemistry: np.ndarray
    """GWh of new packs per chemistry over all samples and years (which chemistries the fleet
    holds, for the metals the verdicts cover)."""
    category: str = CATEGORY

    def quantiles(self, name: str) -> np.ndarray:
        """p05/p50/p95 of series ``name`` over the samples, shape (3, years, elements); NaN where
        every sample is NaN."""
        return _quantile(getattr(self, name), QUANTILES)

    def verdicts(
        self, on: Sequence[dt.date] | None = None, quantile: float = 0.5
    ) -> list[tuple[int, Findings]]:
        """Art. 8 verdicts through the rule set: per date (default: each start of a stage of a
        recycled-content rule for the category that falls in the modelled years), the
        findings of :func:`check_recycled_content` for the share of that calendar year at
        ``quantile`` over the samples, as (year, findings)."""
        if not 0.0 <= quantile <= 1.0:
            raise InputError(f"quantile: {quantile} is not between 0 and 1")
        years = [int(y) for y in self.years]
        rules = [r for r in self.ruleset.rules if r.topic == TOPIC]
        dates = (
            sorted({s.applies_from for r in rules for s in r.stages_for(self.category)})
            if on is None
            else list(on)
        )
        fleet_metals = set().union(
            *(
                active_metals(c) or set()
                for c, gwh in zip(self.chemistries, self.demand_GWh_by_chemistry, strict=True)
                if gwh > 0
            )
        )
        out = []
        for day in dates:
            if day.year not in years:
                if on is None:
                    continue
                raise InputError(f"on: {day.isoformat()} is outside the modelled years")
            y = years.index(day.year)
            share = _quantile(self.recycled_content[:, y, :], quantile)
            shares = {
                e: float(v) for e, v in zip(self.elements, share, strict=True) if np.isfinite(v)
            }
            found = check_recycled_content(
                self.ruleset, day, self.category, None, False, None, shares
            )
            for skipped in list(found.unchecked):
                metal = skipped["rule"].rsplit("/", 1)[-1]
                if metal not in fleet_metals:
                    found.unchecked.remove(skipped)
                    why = f"no {metal} in the active materials of the fleet's chemistries"
                    found.verdicts.append(
                        judge(
                            self.ruleset,
                            self.ruleset.rule(skipped["rule"]),
                            day,
                            None,
                            out_of_scope=why,
                        )
                    )
            out.append((day.year, found))
        return out

    def to_dict(self, quantile: float = 0.5) -> dict[str, Any]:
        """JSON-ready: demand, secondary supply and recycled content by element and year (median
        over the samples), their p05/p50/p95, the route's recovery and the verdicts."""
        years = [str(int(y)) for y in self.years]
        names = ("demand_t", "counted_demand_t", "supply_t", "recycled_content")
        q = {n: self.quantiles(n).tolist() for n in names}  # (3, years, elements), once each
        labels = [f"p{round(p * 100):02d}" for p in QUANTILES]

        def series(name: str, k: int = 1) -> dict[str, dict[str, float | None]]:
            return {
                e: {y: _num(q[name][k][i][j]) for i, y in enumerate(years)}
                for j, e in enumerate(self.elements)
            }

        quant = {
            n: {
                e: {
                    y: {lab: _num(q[n][k][i][j]) for k, lab in enumerate(labels)}
                    for i, y in enumerate(years)
                }
                for j, e in enumerate(self.elements)
            }
            for n in names
        }
        verdicts = self.verdicts(quantile=quantile)
        return {
            "route": self.route,
            "preset": self.preset,
            "ruleset": self.ruleset.id,
            "basis": self.basis,
            "convention": "recycled content = min(1, secondary supply / counted demand); "
            "null without demand",
            "recovery": {
                c: {e: float(self.recovery[:, i, j].mean()) for j, e in enumerate(self.elements)}
                for i, c in enumerate(self.chemistries)
            },
            "demand": {"elements_t": series("demand_t"), "counted_t": series("counted_demand_t")},
            "secondary_supply_t": series("supply_t"),
            "recycled_content": series("recycled_content"),
            "quantiles": quant,
            "verdicts": [
                {"year": year, "statistic": f"p{round(quantile * 100):02d}", **v.to_json()}
                for year, found in verdicts
                for v in found.verdicts
            ],
            "unchecked": [{"year": year, **u} for year, found in verdicts for u in found.unchecked],
        }


def _num(x: float) -> float | None:
    return None if x != x else x  # NaN (no demand) -> null


def secondary_supply(
    demand_GWh: object,
    eol_GWh: object,
    years: Sequence[int],
    chemistries: Sequence[str] = FLEET_CHEMISTRIES,
    *,
    elements: Sequence[str] = ELEMENTS,
    route: str = DEFAULT_ROUTE,
    preset: str = DEFAULT_PRESET,
    ruleset: str | RuleSet = DEFAULT_RULESET,
    route_samples: int = 1,
    seed: int | None = None,
) -> Supply:
    """Element demand, secondary supply and recycled content of a region, year by year.

    ``demand_GWh`` (new packs) and ``eol_GWh`` (end-of-life packs reaching recyclers) have shape
    ``(samples, years, chemistries)``; either may have one sample, broadcast against the other's.
    The route runs once per chemistry (``route_samples`` > 1: that many Monte Carlo draws of its
    parameters, which pair with the samples, so it must be 1 or their number).
    """
    table: Intensity = intensity(tuple(chemistries), tuple(elements), preset)
    n_c = len(table.chemistries)
    demand = _samples_years(as_gwh("demand_GWh", demand_GWh, n_c), "demand_GWh")
    eol = _samples_years(as_gwh("eol_GWh", eol_GWh, n_c), "eol_GWh")
    ds, es = demand.shape[0], eol.shape[0]
    if demand.shape[1:] != eol.shape[1:] or (ds != es and 1 not in (ds, es)):
        raise InputError(
            f"demand_GWh has shape {demand.shape} and eol_GWh {eol.shape}: they need the same "
            "years and chemistries, and the same number of samples (or one of them a single one)"
        )
    year_list = [int(y) for y in np.asarray(years).ravel()]
    if len(year_list) != demand.shape[1]:
        raise InputError(
            f"years: {len(year_list)} given, but the arrays have {demand.shape[1]} (axis 1)"
        )
    if not isinstance(route_samples, int) or route_samples < 1:
        raise InputError(f"route_samples: {route_samples!r}; allowed: a whole number >= 1")
    samples = max(demand.shape[0], eol.shape[0])
    if route_samples not in (1, samples):
        raise InputError(
            f"route_samples: {route_samples}; allowed: 1 or the number of samples ({samples})"
        )
    rules = load_ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    name, recovery = route_recovery(
        route, table.chemistries, table.elements, preset, route_samples, seed
    )
    basis = counted_basis(rules, table.elements)
    counted_per = np.where(
        np.array([basis[e] == "active" for e in table.elements]),
        table.active_elements_t_per_GWh,
        table.pack_elements_t_per_GWh,
    )
    demand_t = demand @ table.pack_elements_t_per_GWh
    counted_t = demand @ counted_per
    eol_t = eol @ table.pack_elements_t_per_GWh
    supply_t = eol @ (table.pack_elements_t_per_GWh * recovery)
    with np.errstate(divide="ignore", invalid="ignore"):
        content = np.where(counted_t > 0, np.minimum(supply_t / counted_t, 1.0), np.nan)
    demand_t, counted_t = (np.broadcast_to(a, content.shape) for a in (demand_t, counted_t))
    return Supply(
        years=np.array(year_list),
        chemistries=table.chemistries,
        elements=table.elements,
        route=name,
        preset=preset,
        ruleset=rules,
        basis=basis,
        recovery=recovery,
        demand_t=demand_t,
        counted_demand_t=counted_t,
        eol_t=np.broadcast_to(eol_t, content.shape),
        supply_t=np.broadcast_to(supply_t, content.shape),
        recycled_content=content,
        demand_GWh_by_chemistry=demand.sum(axis=(0, 1)),
    )


def _samples_years(a: np.ndarray, name: str) -> np.ndarray:
    if a.ndim != 3:
        raise InputError(
            f"{name}: expected shape (samples, years, chemistries), got {a.shape} "
            "(a deterministic run has one sample: add a leading axis of length 1)"
        )
    return a
