"""What a solved network plan means: sites and their use, flows, cost per kWh and per tonne,
emissions by source, and what was left unprocessed and why (the JSON ``urbanmine network``
prints; docs/network.md, "Output").

Annual amounts are per period; totals over the horizon count each period's annual amount for the
years it stands for (``span``), undiscounted; ``objective_eur`` is the present value the solver
minimised plus the fixed cost of the capacity already in place (a constant the solver does not
see). The network's cost is transport + plant fixed and variable costs + the carbon price on its
GHG; the penalty on unprocessed tonnes is reported apart, since it is a modelling device, not
money spent. Cost per tonne and per kWh divide that cost by the feedstock processed (tonnes, and
kWh of packs and scrap at the fleet model's kWh per tonne).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from urbanmine.network.instance import Instance
from urbanmine.network.milp import Solution

TOLERANCE_T = 1e-6
"""Flows below this (t/yr) are solver noise and not reported."""
FULL = 1.0 - 1e-6
"""Utilisation from which a site counts as full when explaining unprocessed tonnes."""


def capacity_t(inst: Instance, sol: Solution) -> np.ndarray:
    """(sites, periods) capacity in place, t input/yr."""
    return inst.existing_t + np.einsum("js,jst->jt", inst.sizes_t, sol.build)


def annual(inst: Instance, sol: Solution) -> dict[str, np.ndarray]:
    """Per-period annual amounts: costs (EUR/yr) and GHG (t CO2e/yr) by kind, (periods,)."""
    tkm = np.einsum("njct,nj->ct", sol.flow, inst.distance_km)
    intake = sol.flow.sum(axis=0)  # (J, C, T)
    transport_ghg = (tkm * inst.ghg_kg_per_tkm[:, None]).sum(axis=0) / 1000.0
    plant_ghg = np.einsum("jct,jc->t", intake, inst.plant_ghg_kg_per_t) / 1000.0
    return {
        "transport_eur": (tkm * inst.price_eur_per_tkm[:, None]).sum(axis=0),
        "variable_eur": np.einsum("jct,jc->t", intake, inst.variable_eur_per_t),
        "fixed_eur": inst.existing_fixed_eur.sum(axis=0)
        + np.einsum("jst,js->t", sol.build, inst.size_fixed_eur),
        "carbon_eur": inst.carbon_price_eur_per_t * (transport_ghg + plant_ghg),
        "penalty_eur": np.einsum("nct,c->t", sol.left, inst.penalty_eur_per_t),
        "transport_ghg_t": transport_ghg,
        "plant_ghg_t": plant_ghg,
        "tkm": tkm.sum(axis=0),
    }


def _by_year(inst: Instance, values: np.ndarray) -> dict[str, float]:
    return {str(y): float(v) for y, v in zip(inst.years, values, strict=True)}


def to_dict(
    inst: Instance,
    sol: Solution,
    region: str,
    site_info: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The plan as JSON-ready data (``site_info``: extra fields per site name, e.g. operator)."""
    a = annual(inst, sol)
    span = inst.span
    total = {k: float((v * span).sum()) for k, v in a.items()}
    cost = total["transport_eur"] + total["variable_eur"] + total["fixed_eur"] + total["carbon_eur"]
    n_i = len(inst.sources)
    processed = (inst.supply_t.transpose(0, 2, 1) - sol.left[:n_i]).clip(min=0)  # (I, C, T)
    processed_t = float((processed.sum(axis=(0, 1)) * span).sum())
    processed_kwh = float((np.einsum("ict,c->t", processed, inst.kwh_per_t) * span).sum())
    existing_pv = float((inst.existing_fixed_eur.sum(axis=0) * inst.weight).sum())
    left_t = float((sol.left.sum(axis=(0, 1)) * span).sum())
    return {
        "region": region,
        "status": sol.status,
        "optimal": sol.optimal,
        "objective_eur": sol.objective_eur + existing_pv,
        "gap": sol.gap,
        "solve_seconds": sol.solve_seconds,
        "build_seconds": sol.build_seconds,
        "model": {
            "variables": sol.variables,
            "constraints": sol.constraints,
            "integers": sol.integers,
        },
        "years": list(inst.years),
        "span_years": [float(s) for s in span],
        "cost_eur": cost,
        "cost_breakdown_eur": {
            k.removesuffix("_eur"): total[k]
            for k in ("transport_eur", "variable_eur", "fixed_eur", "carbon_eur")
        },
        "penalty_eur": total["penalty_eur"],
        "cost_per_t_eur": cost / processed_t if processed_t > 0 else 0.0,
        "cost_per_kWh_eur": cost / processed_kwh if processed_kwh > 0 else 0.0,
        "transport_share": total["transport_eur"] / cost if cost > 0 else 0.0,
        "processed_t": processed_t,
        "processed_kWh": processed_kwh,
        "ghg_t": total["transport_ghg_t"] + total["plant_ghg_t"],
        "ghg_by_source_t": {
            "transport": total["transport_ghg_t"],
            "plants": total["plant_ghg_t"],
        },
        "tkm": total["tkm"],
        "unprocessed_t": left_t,
        "unprocessed": _unprocessed(inst, sol),
        "by_year": {k: _by_year(inst, v) for k, v in a.items() if k not in ("tkm",)},
        "sources": [
            {
                "name": name,
                "lat": float(inst.source_lat[i]),
                "lon": float(inst.source_lon[i]),
                "supply_t": _by_year(inst, inst.supply_t[i].sum(axis=1)),
                "supply_by_commodity_t": {
                    c: _by_year(inst, inst.supply_t[i, :, k])
                    for k, c in enumerate(inst.commodities)
                    if inst.supply_t[i, :, k].any()
                },
            }
            for i, name in enumerate(inst.sources)
        ],
        "sites": _sites(inst, sol, site_info or {}),
        "flows": _flows(inst, sol),
        "notes": dict(inst.notes),
    }


def _sites(
    inst: Instance, sol: Solution, info: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    cap = capacity_t(inst, sol)
    intake = sol.flow.sum(axis=(0, 2))  # (J, T)
    util = np.divide(intake, cap, out=np.zeros_like(intake), where=cap > 0)
    out = []
    for j, name in enumerate(inst.sites):
        in_place = cap[j] > TOLERANCE_T
        if inst.status[j] not in ("operating", "construction"):
            # a candidate counts from its first module, or its first intake when its capacity
            # costs nothing (no decision: see assemble)
            in_place &= (sol.build[j].sum(axis=0) > 0.5) | (intake[j] > TOLERANCE_T)
        has = np.flatnonzero(in_place)
        built = {
            str(y): [
                float(inst.sizes_t[j, s])
                for s in range(inst.sizes_t.shape[1])
                for _ in range(int(sol.build[j, s, t]))
            ]
            for t, y in enumerate(inst.years)
        }
        out.append(
            {
                "name": name,
                **{k: v for k, v in info.get(name, {}).items() if k not in ("name",)},
                "tier": inst.tiers[j],
                "status": inst.status[j],
                "lat": float(inst.site_lat[j]),
                "lon": float(inst.site_lon[j]),
                "opened_year": int(inst.years[has[0]]) if has.size else None,
                "capacity_t": _by_year(inst, cap[j]),
                "intake_t": _by_year(inst, intake[j]),
                "utilisation": _by_year(inst, util[j]),
                "modules_t": {y: s for y, s in built.items() if s},
                "capital_eur": float((inst.size_capital_eur[j] * sol.build[j, :, -1]).sum()),
            }
        )
    return out


def _flows(inst: Instance, sol: Solution) -> list[dict[str, Any]]:
    n, j, c, t = np.nonzero(sol.flow > TOLERANCE_T)
    nodes = inst.nodes
    return [
        {
            "from": nodes[a],
            "to": inst.sites[b],
            "commodity": inst.commodities[k],
            "year": int(inst.years[p]),
            "t": float(sol.flow[a, b, k, p]),
            "km": float(inst.distance_km[a, b]),
        }
        for a, b, k, p in zip(n.tolist(), j.tolist(), c.tolist(), t.tolist(), strict=True)
    ]


def _unprocessed(inst: Instance, sol: Solution) -> list[dict[str, Any]]:
    """Tonnes left at a node, with why: ``capacity`` when every site that takes the commodity
    (within reach) is full and can build no more that period, else ``cost`` (leaving it was
    cheaper than the transport, processing or new capacity it would take)."""
    cap = capacity_t(inst, sol)
    intake = sol.flow.sum(axis=(0, 2))
    allowed = (inst.sizes_t > 0)[:, :, None] & (
        np.asarray(inst.years)[None, None, :] >= inst.earliest[:, None, None]
    )
    can_build = (allowed & (sol.build < 0.5)).any(axis=1)  # (J, T)
    full = ((cap <= TOLERANCE_T) | (intake >= FULL * cap)) & ~can_build  # (J, T)
    reach = np.ones_like(inst.distance_km, dtype=bool)
    if inst.max_km is not None:
        reach = inst.distance_km <= inst.max_km
    out = []
    n, c, t = np.nonzero(sol.left > TOLERANCE_T)
    for a, k, p in zip(n.tolist(), c.tolist(), t.tolist(), strict=True):
        takers = inst.accepts[:, k] & reach[a]
        room = takers & ~full[:, p]
        out.append(
            {
                "node": inst.nodes[a],
                "commodity": inst.commodities[k],
                "year": int(inst.years[p]),
                "t": float(sol.left[a, k, p]),
                "reason": "cost" if room.any() else "capacity",
            }
        )
    return out
