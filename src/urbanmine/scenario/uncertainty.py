"""A run's Monte Carlo answers: p05/p50/p95 of what the samples vary.

The fleet model draws its ranges (feedstock, end-of-life GWh, recycled content); the loop's
samples (:func:`urbanmine.scenario.loop.spread`) carry those feedstock draws through the routes
together with the route parameters', prices' and factors' draws, sample by sample. The means of
the summary stay those of the central run (the engine is linear in its feed); a distribution
whose mean is not its point value moves the p50 away from them, as ``flowsheet --samples`` says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from urbanmine.flowsheet.result import QUANTILES

LABELS = ("p05", "p50", "p95")


def flowsheet_seed(seed: int) -> int:
    """The seed of the loop's draws: a stream independent of the fleet model's, which draws from
    ``seed`` itself (NumPy ``SeedSequence`` with a spawn key)."""
    return int(np.random.SeedSequence(seed, spawn_key=(15,)).generate_state(1)[0])


def quantiles(samples: np.ndarray) -> dict[str, float]:
    """p05/p50/p95 of ``samples`` (one dimension)."""
    return dict(zip(LABELS, map(float, np.quantile(samples, QUANTILES)), strict=True))


def by_year(years: np.ndarray, samples: np.ndarray) -> dict[str, dict[str, float]]:
    """p05/p50/p95 by year of ``samples`` (samples, years)."""
    q = np.quantile(samples, QUANTILES, axis=0)
    keys = [str(int(y)) for y in years]
    return {
        label: dict(zip(keys, map(float, row), strict=True))
        for label, row in zip(LABELS, q, strict=True)
    }


def series(
    years: np.ndarray, spread: Any, fleet: dict[str, Any] | None, fleet_drawn: bool
) -> dict[str, dict[str, dict[str, float]]]:
    """Quantiles by year of the series the samples vary: feedstock tonnes, end-of-life GWh and
    recycled content of Li, Ni and Co (fleet draws), net and avoided GHG (every draw)."""
    keep = [str(int(y)) for y in years]
    out: dict[str, dict[str, dict[str, float]]] = {}
    if fleet_drawn:
        out["feedstock (t/yr)"] = by_year(years, spread.feed_t)
    fq = (fleet or {}).get("quantiles", {}) if fleet_drawn else {}

    def from_fleet(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        return {label: {y: float(table[y][label]) for y in keep if y in table} for label in LABELS}

    if "eol_GWh" in fq:
        out["end-of-life packs (GWh/yr)"] = from_fleet(fq["eol_GWh"])
    for el in ("Li", "Ni", "Co"):
        if el in fq.get("recycled_content", {}):
            out[f"recycled content {el} (share)"] = from_fleet(fq["recycled_content"][el])
    out["net GHG (t CO2e/yr)"] = by_year(years, spread.ghg_t)
    out["avoided GHG (t CO2e/yr)"] = by_year(years, spread.avoided_t)
    return out


def intervals(spread: Any, elements: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """p05/p50/p95 of the summary's totals: net and avoided GHG over all years (t CO2e), net
    GHG per kg of feed (kg CO2e/kg), recycling efficiency and recovery of ``elements`` (shares),
    plant cost and revenue per tonne of feed (EUR/t, the cost model's default plant)."""
    feed = spread.feed_t.sum(axis=1)
    ghg = spread.ghg_t.sum(axis=1)

    def per_t(total: np.ndarray) -> np.ndarray:
        return np.divide(total, feed, out=np.zeros_like(total), where=feed > 0)

    out = {
        "ghg.total_t_co2e": quantiles(ghg),
        "ghg.avoided_t_co2e": quantiles(spread.avoided_t.sum(axis=1)),
        "ghg.per_kg_feed": quantiles(per_t(ghg)),
        "recycling_efficiency": quantiles(spread.recycling_efficiency),
        "cost.plant_per_t_eur": quantiles(per_t(spread.cost_eur)),
        "cost.revenue_per_t_eur": quantiles(per_t(spread.revenue_eur)),
    }
    out |= {
        f"recovery.{el}": quantiles(spread.recovery[el]) for el in elements if el in spread.recovery
    }
    return out
