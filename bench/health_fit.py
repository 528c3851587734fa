"""Time of the Severson et al. (2019) reproduction on the 124 cells: load, features, fit.

    nice .venv/bin/python bench/health_fit.py [--data DIR] [--repeats 3]

Load: the 124 Q(V) files (1,000 x 99 each, about 92 MB of CSV) into a cells x cycles x voltage
array with pyarrow. Features: ΔQ100-10(V) statistics and the discharge capacities of every cell.
Fit: both regression models (elastic net with repeated four-fold CV on the training cells, the
out-of-fold residuals for the interval, errors per split) and the classifier. Each stage is
timed on its own (best of ``--repeats``), after one warm-up run that imports scikit-learn and
pyarrow (their import time is printed apart). Target: load + features + fit under 5 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import pyarrow.csv  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    from urbanmine.health.cycles import load_severson, resolve_data_dir
    from urbanmine.health.features import feature_table
    from urbanmine.health.lifemodel import fit_report

    imports = time.perf_counter() - t0
    folder = resolve_data_dir(args.data)
    cells = load_severson(folder)
    fit_report(cells, "variance")  # warm-up

    best = {"load": float("inf"), "features": float("inf"), "fit": float("inf")}
    for _ in range(args.repeats):
        t = time.perf_counter()
        cells = load_severson(folder)
        best["load"] = min(best["load"], time.perf_counter() - t)
        t = time.perf_counter()
        feature_table(cells)
        best["features"] = min(best["features"], time.perf_counter() - t)
        t = time.perf_counter()
        for model in ("variance", "discharge"):
            fit_report(cells, model)
        best["fit"] = min(best["fit"], time.perf_counter() - t)
    print(f"cells {len(cells.ids)}, array {cells.qdlin.shape}, {cells.qdlin.nbytes / 1e6:.0f} MB")
    print(f"imports (pyarrow, scikit-learn, urbanmine.health): {imports:.2f} s")
    for stage, seconds in best.items():
        print(f"{stage:>9}: {seconds:.2f} s")
    print(f"    total: {sum(best.values()):.2f} s (target under 5 s)")


if __name__ == "__main__":
    main()
