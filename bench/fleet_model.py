"""Time and peak memory of the coupled fleet model with samples (docs/fleet.md, "Model and
command").

    nice .venv/bin/python bench/fleet_model.py [--samples 1000] [--region europe]

The built-in scenario of the region. One central run first (the route runs once per chemistry
for the recovery and is cached, as in a long-lived process); then ``fleet.model.run`` with
``--samples`` draws, timed on its own and once more under tracemalloc for its peak memory above
what was allocated before (numpy reports its buffers); then the JSON (``fleet.output.to_dict``)
of that result, timed and its peak measured the same way.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from urbanmine.fleet import output
from urbanmine.fleet.model import run
from urbanmine.fleet.scenario import fleet_section, load


def measure(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds of ``call``, then its peak MB under tracemalloc, and its result."""
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    call()
    peak = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    tracemalloc.stop()
    return seconds, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--region", default="europe")
    args = parser.parse_args()
    inputs = load(fleet_section({"region": args.region}))
    run(inputs)  # the route's recovery, cached
    seconds, peak, result = measure(lambda: run(inputs, samples=args.samples))
    shape = result.GWh["retired"].shape
    print(
        f"{args.region}: model.run, {args.samples} samples {shape}: {seconds:.2f} s, {peak:.0f} MB"
    )
    seconds, peak, _ = measure(lambda: output.to_dict(result))
    print(f"{args.region}: output.to_dict of that run: {seconds:.2f} s, {peak:.0f} MB")


if __name__ == "__main__":
    main()
