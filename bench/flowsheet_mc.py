"""Monte Carlo throughput of the flowsheet engine, side by side with BioSTEAM.

    .venv/bin/python bench/flowsheet_mc.py                 # ~1 min the first time (BioSTEAM venv)
    .venv/bin/python bench/flowsheet_mc.py --no-biosteam   # our engine only

The full pack-to-precursor hydro route (``pretreatment+hydro+precursor`` on an NMC811 pack):
number of parameters varied per sample (the bench load of ``crosscheck.bench_load``: every
parameter not fixed at 0 or 1 drawn in [0.9, 1] x its value, since the route ships few sourced
distributions); samples/s of ``urbanmine.routes.run.run_composed`` at 10^5 samples (best of 3
after a warm-up run; this includes chunking, the battery-origin tracer and the per-sample
metrics and balance checks). The other loops (circuit boards, carbide) at the same sample count
with their own shipped distributions. Then BioSTEAM on the same flowsheet: the route with ``--biosteam-samples`` draws
is exported with ``to_spec`` and simulated by ``bench/biosteam_side.py`` in its own venv (built on
first use by ``bench/biosteam_env.py``); its seconds per sample are ``bst.Model.evaluate`` wall
time / N, excluding import and build. Printed: our us/sample, BioSTEAM's ms/sample, their ratio,
and the largest relative difference between the two engines' sink streams and reagents on those
samples (``crosscheck.compare``: relative to the larger value, floored at 1e-9 x the largest
flow so that round-off zeros do not count as O(1) differences) and the largest absolute
difference in kg. One figure per line.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from crosscheck import (
    bench_load,
    check_molar_masses,
    compare,
    engine_outputs,
    max_abs_difference,
    route_case,
    run_biosteam,
)

from urbanmine.materials.feeds import get_feed
from urbanmine.routes.compose import compose
from urbanmine.routes.run import run_composed

ROUTE = "pretreatment+hydro+precursor"
FEED = "NMC811-pack"
OTHER_LOOPS = (
    ("PCB-computer", "pcb_smelter"),
    ("PCB-mobile", "pcb_preprocessing+pcb_smelter"),
    ("PCB-computer", "pcb_preprocessing+pcb_hydro"),
    ("PCB-TV", "pcb_hydro"),
    ("cobalt-sulfate-solution", "cobalt_powder"),
    ("NMC111-blackmass", "hydro+cobalt_powder"),
    ("carbide-hard-WC10Co", "zinc_process"),
    ("carbide-hard-WC10Co", "carbide_chemical+cobalt_powder"),
    ("carbide-soft-sludge", "carbide_chemical"),
    ("carbide-powder-WC10Co", "hardmetal"),
    ("BEV-car", "elv_depollution+dismantling+pretreatment+hydro+precursor"),
    (
        "BEV-car",
        "elv_depollution+elv_dismantling+elv_shredding+asr+dismantling+pretreatment+hydro+precursor",
    ),
    ("FC-stack-80kW", "fc_stack_dismantling+pgm_pyro"),
    ("FC-stack-80kW", "fc_stack_dismantling+pgm_hydro"),
    ("H2-tank-typeIV", "h2_tank_dismantling+cfrp_solvolysis"),
)
"""The other loops (issues 17 and 18), each at the same sample count, drawing its own shipped
distributions (``run_composed`` with a seed): samples/s beside the battery route's."""


def other_loops(n: int, repeats: int) -> None:
    """One line per other loop: samples/s (best of ``repeats`` after a warm-up)."""
    for feed_name, route in OTHER_LOOPS:
        feed = get_feed(feed_name)
        composed = compose(route, feed.form, feed.requested_preset)
        drawn = sum(p.distribution is not None for p in composed.parameters.values())
        result = run_composed(feed, composed, n, 1)  # warm-up
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            run_composed(feed, composed, n, 1)
            best = min(best, time.perf_counter() - t0)
        print(
            f"other_loop: {feed_name} {route}: {n / best:,.0f} samples/s "
            f"({drawn} parameters drawn, {len(composed.flowsheet.units)} units, balance "
            f"{float(result.per_sample['balance'].max()):.1e})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=100_000, help="samples per timed run")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs (best is kept)")
    ap.add_argument("--biosteam-samples", type=int, default=200)
    ap.add_argument("--no-biosteam", action="store_true", help="skip the BioSTEAM comparison")
    args = ap.parse_args(argv)

    feed = get_feed(FEED)
    preset = feed.requested_preset
    composed = compose(ROUTE, feed.form, "everbatt2023" if preset == "batpac5" else preset)
    n = args.samples
    values = bench_load(composed.parameters, n, seed=1)
    varied = sum(np.ndim(v) > 0 for v in values.values())
    print(f"route: {ROUTE}")
    print(f"feed: {FEED}")
    print(f"units: {len(composed.flowsheet.units)}")
    print(f"parameters_varied_per_sample: {varied} (bench load: [0.9, 1] x value)")

    t0 = time.perf_counter()
    result = run_composed(feed, composed, values=values)  # warm-up
    warm = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        run_composed(feed, composed, values=values)
        times.append(time.perf_counter() - t0)
    best = min(times)
    ours_s = best / n
    print(f"samples: {n}")
    print(f"warmup_seconds: {warm:.3f}")
    print(f"seconds_best_of_{args.repeats}: {best:.3f}")
    print(f"samples_per_second: {n / best:,.0f}")
    print(f"urbanmine_us_per_sample: {ours_s * 1e6:.2f}")
    print(f"balance_max_relative_error: {float(result.per_sample['balance'].max()):.1e}")
    other_loops(n, args.repeats)

    if args.no_biosteam:
        return 0
    m = args.biosteam_samples
    try:
        compiled, ev, spec = route_case(FEED, ROUTE, samples=m, seed=1, load=True)
        theirs = run_biosteam(spec)
        check_molar_masses(spec, theirs)
        ours = engine_outputs(compiled, ev)
        worst, where = compare(ours, theirs["streams"])
        worst_abs = max_abs_difference(ours, theirs["streams"])
    except Exception as exc:  # the BioSTEAM part is optional: report, do not hide our figures
        traceback.print_exc()
        print(f"biosteam: failed ({type(exc).__name__}: {exc})".splitlines()[0])
        return 1
    bst_s = theirs["seconds_per_sample"]
    print(f"biosteam_version: {theirs['biosteam_version']}")
    print(f"biosteam_samples: {m}")
    print(f"biosteam_build_seconds: {theirs['build_seconds']:.3f}")
    print(f"biosteam_ms_per_sample: {bst_s * 1e3:.2f}")
    print(f"biosteam_recycle_iterations_mean: {theirs['recycle_iterations']['mean']:.1f}")
    print(f"urbanmine_us_per_sample: {ours_s * 1e6:.2f}")
    print(f"ratio_biosteam_over_urbanmine: {bst_s / ours_s:,.0f}")
    print(f"max_relative_difference: {worst:.1e} ({where})")
    print(f"max_absolute_difference_kg: {worst_abs:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
