"""What a loop (:class:`urbanmine.scenario.loop.Loop`) says in a run's summary: series by year,
element totals by fate, GHG and plant cost per tonne, the key carbon steps. Shared by the main
feedstock and the other feeds of a scenario."""

from __future__ import annotations

from typing import Any

import numpy as np

KEY_STEPS = 7
"""Carbon steps named one by one; the rest are summed into one."""


def by_year(years: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """``{"2030": value, ...}``."""
    return {str(int(y)): float(v) for y, v in zip(years, values, strict=True)}


def key_steps(steps_t: dict[str, float], keep: int = KEY_STEPS) -> list[dict[str, Any]]:
    """The largest steps by size (t CO2e), and the rest as one, so the steps add up to the net."""
    steps = sorted(steps_t.items(), key=lambda kv: -abs(kv[1]))
    key = [{"step": s, "t_co2e": v} for s, v in steps[:keep]]
    if len(steps) > keep:
        rest = sum(v for _, v in steps[keep:])
        key.append({"step": f"other steps ({len(steps) - keep})", "t_co2e": rest})
    return key


def elements_t(loop: Any) -> dict[str, dict[str, float]]:
    """Element -> feed, reagents and each fate's tonnes over all years (they close: feed +
    reagents = the sum of the fates)."""
    return {
        el: {
            "feed": float(loop.elements_in_t[:, k].sum()),
            "reagents": float(loop.reagents_t[:, k].sum()),
            **{fate: float(v[:, k].sum()) for fate, v in loop.out_t.items()},
        }
        for k, el in enumerate(loop.elements)
    }


def recycling_efficiency(loop: Any) -> float:
    """Counted recycled output over counted input, all years (the compliance module's counting)."""
    counted_in = sum(f["input_kg"] for f in loop.facts)
    counted_out = sum(f["recycled_output_kg"] for f in loop.facts)
    return counted_out / counted_in if counted_in > 0 else 0.0


def ghg(loop: Any) -> dict[str, float]:
    """Net, burden and avoided GHG over all years (t CO2e), net per kg of feed."""
    total = float(loop.feed_t.sum())
    return {
        "total_t_co2e": float(loop.ghg_t.sum()),
        "burden_t_co2e": float(loop.burden_t.sum()),
        "avoided_t_co2e": float(loop.avoided_t.sum()),
        "per_kg_feed": float(loop.ghg_t.sum() / total) if total > 0 else 0.0,
    }


def per_tonne_eur(loop: Any, values: np.ndarray) -> float | None:
    """``values`` (EUR by year) over all years per tonne of feed; None without feed."""
    total = float(loop.feed_t.sum())
    return float(values.sum() / total) if total > 0 else None
