"""Wall time of the main job on a built-in scenario and its stage timings (docs/performance.md).

    nice .venv/bin/python bench/run.py [--region europe|china]

Runs ``urbanmine run --quiet`` in a fresh process (as ``make run`` does, imports included) into a
temporary folder and prints the wall time and the ``stage_seconds`` the run wrote into its
``summary.json``, with the network plan's status and gap.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="europe", choices=("europe", "china"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        urbanmine = Path(sys.executable).with_name("urbanmine")
        start = time.perf_counter()
        subprocess.run(
            [
                str(urbanmine),
                "run",
                "--region",
                args.region,
                "--quiet",
                "--out",
                str(folder / "out"),
            ],
            check=True,
        )
        wall = time.perf_counter() - start
        summary = json.loads((folder / "out" / "summary.json").read_text())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"urbanmine run --region {args.region}: {wall:.1f} s wall")
    for stage, seconds in summary["stage_seconds"].items():
        print(f"  {stage:12s} {seconds:7.2f} s")
    net = summary.get("network_status", {})
    if net:
        print(f"  network plan: {net['status']}, gap {net['gap']:.2%}")


if __name__ == "__main__":
    main()
