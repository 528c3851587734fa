"""Monte Carlo throughput of a route with impacts and economics, side by side with BioSTEAM.

    .venv/bin/python bench/impacts_mc.py                 # ~1 min the first time (BioSTEAM venv)
    .venv/bin/python bench/impacts_mc.py --no-biosteam   # urbanmine only

The full pack-to-precursor hydro route (``pretreatment+hydro+precursor`` on an NMC811 pack),
10^5 samples: seconds and samples/s for the flowsheet alone, for ``assess`` (GREET 2022, US) and
``costs`` (US, 10,000 t/yr) on its result, and for all three together (best of 3 after a warm-up).
Then BioSTEAM on the same flowsheet, samples, factors and prices: ``--biosteam-samples`` draws
are run through ``run_composed`` + ``assess`` + ``costs`` here, and exported (``to_spec`` and
``urbanmine.impacts.export.to_costing_spec``) to ``bench/biosteam_tea.py``, which evaluates a
``bst.Model`` of the flowsheet with a ``bst.TEA`` (EverBatt 2023's Towler & Sinnott estimate)
and BioSTEAM's LCA; its seconds per sample are ``Model.evaluate`` wall time / N (simulation with
design and cost, TEA and GHG metrics), excluding import and build. Printed: BioSTEAM's
ms/sample, our samples/s with impacts and economics, the ratio of time per sample, and the
largest relative difference, sample by sample, in GHG, cost and revenue per kg of feed and in
any cost category. One figure per line.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crosscheck import METRICS, impacts_case, run_biosteam_tea, worst_metric

from urbanmine.impacts.lca import assess
from urbanmine.impacts.tea import costs
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run

ROUTE = "pretreatment+hydro+precursor"
FEED = "NMC811-pack"


def best(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one warm-up call (s)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--biosteam-samples", type=int, default=200)
    ap.add_argument("--no-biosteam", action="store_true", help="skip the BioSTEAM comparison")
    args = ap.parse_args(argv)
    feed = get_feed(FEED)
    n = args.samples
    result = run(feed, ROUTE, samples=n, seed=1)
    flowsheet_s = best(lambda: run(feed, ROUTE, samples=n, seed=1), args.repeats)
    impacts_s = best(lambda: assess(result, "greet2022", "US", seed=1), args.repeats)
    economics_s = best(lambda: costs(result, "US", 10_000, seed=1), args.repeats)

    def everything() -> None:
        r = run(feed, ROUTE, samples=n, seed=1)
        assess(r, "greet2022", "US", seed=1)
        costs(r, "US", 10_000, seed=1)

    total_s = best(everything, args.repeats)
    print(f"route: {ROUTE}")
    print(f"feed: {FEED}")
    print(f"samples: {n}")
    print(f"flowsheet_seconds: {flowsheet_s:.3f}")
    print(f"impacts_seconds: {impacts_s:.3f}")
    print(f"economics_seconds: {economics_s:.3f}")
    print(f"total_seconds: {total_s:.3f}")
    print(f"samples_per_second_with_impacts_and_economics: {n / total_s:,.0f}")
    if args.no_biosteam:
        return 0
    m = args.biosteam_samples
    try:
        ours, spec, costing = impacts_case(FEED, ROUTE, samples=m, seed=1)
        theirs = run_biosteam_tea(spec, costing)
        worst = worst_metric(ours, theirs)
    except Exception as exc:  # the BioSTEAM part is optional: report, do not hide our figures
        traceback.print_exc()
        print(f"biosteam: failed ({type(exc).__name__}: {exc})".splitlines()[0])
        return 1
    bst_s = theirs["seconds_per_sample"]
    print(f"biosteam_version: {theirs['biosteam_version']}")
    print(f"biosteam_samples: {m}")
    print(f"biosteam_build_seconds: {theirs['build_seconds']:.3f}")
    print(f"biosteam_ms_per_sample_with_tea_and_lca: {bst_s * 1e3:.2f}")
    print(f"urbanmine_us_per_sample_with_impacts_and_economics: {total_s / n * 1e6:.2f}")
    print(f"ratio_biosteam_over_urbanmine: {bst_s / (total_s / n):,.0f}")
    for key in METRICS:
        print(f"max_relative_difference_{key}: {worst[key]:.1e}")
    category = max((k for k in worst if k.startswith("breakdown.")), key=worst.__getitem__)
    print(f"max_relative_difference_cost_category: {worst[category]:.1e} ({category})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
