"""Monte Carlo throughput of a route with impacts and economics (issue 3).

    .venv/bin/python bench/impacts_mc.py

The full pack-to-precursor hydro route (``pretreatment+hydro+precursor`` on an NMC811 pack),
10^5 samples: seconds and samples/s for the flowsheet alone, for ``assess`` (GREET 2022, US) and
``costs`` (US, 10,000 t/yr) on its result, and for all three together (best of 3 after a warm-up).
One figure per line. The side-by-side run of BioSTEAM's Model with its TEA is not written yet
(see docs/performance.md).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
