"""Build and solve times, gap and peak memory of the network planner (docs/network.md,
"Performance"; figures in docs/performance.md).

    nice .venv/bin/python bench/network.py [--time-limit 60] [--sizes small,...]

Cases, each in a fresh process (peak resident memory of that process, HiGHS included):

- ``europe`` and ``china``: the built-in regions fed by the fleet model, as ``urbanmine network``
  runs them. *assemble* is reading the data, the fleet model and the yields, costs and GHG of
  every site (flowsheet engine and impacts module); *build* is the linopy model; *solve* is
  HiGHS to the default 1 % gap or the time limit.
- generated instances of growing size, ``R`` regions x ``K`` candidate sites x ``P`` periods:
  sources and sites at random places in Europe's box, supply growing 15 %/yr, candidates split
  over the three tiers, with the yields, per-tonne costs, module sizes and fixed costs of the
  built-in Europe instance's sites (the engine's and cost model's numbers, drawn per site),
  transport by the built-in rates and circuity (hubs keep their free dismantling capacity). Seeded, so every run sees the same instances.

Prints one row per case: variables, integer variables, assemble/build/solve seconds, status,
gap and peak MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

SIZES = {
    "small": (30, 20, 4),
    "medium": (60, 40, 6),
    "large": (120, 60, 8),
    "xlarge": (200, 100, 12),
    "huge": (300, 150, 16),
}


def built_in(region: str, time_limit: float) -> dict[str, Any]:
    from urbanmine.network.assemble import build
    from urbanmine.network.milp import solve
    from urbanmine.network.plan import configure, feedstock
    from urbanmine.network.scenario import network_section

    start = time.perf_counter()
    config = configure(network_section({"region": region}))
    inst = build(config, feedstock(config))
    assembled = time.perf_counter() - start
    sol = solve(inst, time_limit, 0.01)
    return _row(region, inst, sol, assembled)


def generated(name: str, time_limit: float, seed: int = 7) -> dict[str, Any]:
    """A generated instance with the built-in Europe instance's site numbers."""
    from urbanmine.network.assemble import build
    from urbanmine.network.instance import great_circle_km
    from urbanmine.network.milp import solve
    from urbanmine.network.plan import configure, feedstock
    from urbanmine.network.scenario import network_section

    regions, candidates, periods = SIZES[name]
    config = configure(network_section(None))
    base = build(config, feedstock(config))
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    tiers = np.array(base.tiers)
    pick = []
    for k, tier in enumerate(("collection", "pretreatment", "refining")):
        pool = np.flatnonzero((tiers == tier) & (np.array(base.status) == "candidate"))
        count = candidates // 3 + (1 if k < candidates % 3 else 0)
        pick.extend(rng.choice(pool, size=count))
    pick_arr = np.array(pick)
    n_s = len(pick_arr)
    lat = np.concatenate([rng.uniform(36, 62, regions), rng.uniform(36, 62, n_s)])
    lon = np.concatenate([rng.uniform(-9, 28, regions), rng.uniform(-9, 28, n_s)])
    years = list(range(2026, 2026 + 2 * periods, 2))
    growth = 1.15 ** (2 * np.arange(periods))
    supply = np.zeros((regions, periods, len(base.commodities)))
    first = rng.lognormal(np.log(3000), 1.0, regions)
    supply[:, :, 0] = first[:, None] * growth[None, :]
    supply[:, :, 2] = 0.1 * supply[:, :, 0]
    rate = 0.1
    weight = np.array([sum((1 + rate) ** -(y + d - years[0]) for d in range(2)) for y in years])
    inst = dataclasses.replace(
        base,
        years=years,
        span=np.full(periods, 2.0),
        weight=weight,
        sources=[f"region {i}" for i in range(regions)],
        source_lat=lat[:regions],
        source_lon=lon[:regions],
        supply_t=supply,
        sites=[f"site {j}" for j in range(n_s)],
        tiers=[base.tiers[j] for j in pick_arr],
        status=["candidate"] * n_s,
        site_lat=lat[regions:],
        site_lon=lon[regions:],
        accepts=base.accepts[pick_arr],
        yields=base.yields[pick_arr],
        # a candidate's capacity in place is its free capacity (modules that cost nothing)
        existing_t=np.repeat(base.existing_t[pick_arr, -1:], periods, axis=1),
        existing_fixed_eur=np.zeros((n_s, periods)),
        sizes_t=base.sizes_t[pick_arr],
        size_fixed_eur=base.size_fixed_eur[pick_arr],
        size_capital_eur=base.size_capital_eur[pick_arr],
        earliest=np.full(n_s, years[0]),
        variable_eur_per_t=base.variable_eur_per_t[pick_arr],
        plant_ghg_kg_per_t=base.plant_ghg_kg_per_t[pick_arr],
        distance_km=1.343
        * great_circle_km(lat[:, None], lon[:, None], lat[None, regions:], lon[None, regions:]),
    )
    assembled = time.perf_counter() - start
    sol = solve(inst, time_limit, 0.01)
    return _row(f"{name} {regions}x{candidates}x{periods}", inst, sol, assembled)


def _row(name: str, inst: Any, sol: Any, assembled: float) -> dict[str, Any]:
    return {
        "case": name,
        "sources": len(inst.sources),
        "sites": len(inst.sites),
        "periods": len(inst.years),
        "variables": sol.variables,
        "integers": sol.integers,
        "assemble_s": assembled,
        "build_s": sol.build_seconds,
        "solve_s": sol.solve_seconds,
        "status": sol.status,
        "gap": sol.gap,
        "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sizes", default="small,medium,large,xlarge,huge")
    parser.add_argument("--regions", default="europe,china")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        kind, _, name = args.case.partition(":")
        row = (
            built_in(name, args.time_limit)
            if kind == "region"
            else generated(name, args.time_limit)
        )
        print(json.dumps(row))
        return
    cases = [f"region:{r}" for r in args.regions.split(",") if r] + [
        f"size:{s}" for s in args.sizes.split(",") if s
    ]
    print(
        f"{'case':28s} {'vars':>8s} {'int':>6s} {'assemble s':>10s} {'build s':>8s} "
        f"{'solve s':>8s} {'status':>11s} {'gap':>7s} {'peak MB':>8s}"
    )
    for case in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--case", case, "--time-limit", str(args.time_limit)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:28s} {r['variables']:8,d} {r['integers']:6,d} {r['assemble_s']:10.2f} "
            f"{r['build_s']:8.2f} {r['solve_s']:8.1f} {r['status']:>11s} {r['gap']:7.2%} "
            f"{r['peak_MB']:8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
