"""Battery health at scale: the Severson fit, telemetry generation, and the triage on DuckDB and
Spark beside pandas (the tool a user would otherwise write the per-pack aggregation in).

    nice .venv/bin/python bench/health.py [--rows 1e6,1e7,1e8] [--spark-rows 1e7] [--keep DIR]

1. Fit: load the 124 Severson cells (Q(V) CSVs into a cells x cycles x voltage array), ΔQ
   features, both regression models and the classifier (best of 3 after a warm-up; target under
   5 s).
2. Telemetry: ``urbanmine.health.synthetic.generate`` writes each size (monthly rows, 10 years
   per pack) once into ``--keep`` (default a folder under the system's temporary directory,
   reused by later runs); seconds, rows/s and file size.
3. Triage: each size in a fresh child process (so its peak RSS is its own): the schema check
   (``check_telemetry``) and the triage expression on DuckDB (rows/s, peak RSS; target 10^8
   rows under 60 s and 8 GB); on Spark ``local[2]`` for ``--spark-rows`` (session start apart;
   the JVM's memory is not in the Python RSS); pandas reading the file and computing the same
   per-pack aggregates (latest SOH, resistance of the first and last period, OR of the fault
   flags) for the sizes up to 10^7.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERIODS = 120  # monthly rows over 10 years per pack


def fit_stage() -> None:
    t0 = time.perf_counter()
    from urbanmine.health.cycles import load_severson, resolve_data_dir
    from urbanmine.health.features import feature_table
    from urbanmine.health.lifemodel import fit_report

    imports = time.perf_counter() - t0
    folder = resolve_data_dir(None)
    cells = load_severson(folder)
    fit_report(cells, "variance")  # warm-up
    best = {"load": float("inf"), "features": float("inf"), "fit": float("inf")}
    for _ in range(3):
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
    print(f"fit: {len(cells.ids)} cells, imports {imports:.2f} s, " + ", ".join(
        f"{k} {v:.2f} s" for k, v in best.items()
    ) + f", total {sum(best.values()):.2f} s (target < 5 s)")  # fmt: skip


def telemetry_file(folder: Path, rows: int) -> Path:
    from urbanmine.health.synthetic import generate

    path = folder / f"telemetry-{rows:.0e}.parquet".replace("+", "")
    if not path.exists():
        start = time.perf_counter()
        written = generate(path, max(1, rows // PERIODS), 10.0)
        seconds = time.perf_counter() - start
        print(
            f"telemetry {written.rows:>12,} rows: generated in {seconds:6.1f} s "
            f"({written.rows / seconds:,.0f} rows/s), {path.stat().st_size / 1e9:.2f} GB"
        )
    return path


def child(kind: str, path: str) -> None:
    """One measurement in this process; prints a JSON line."""
    out: dict[str, float] = {}
    if kind == "pandas":
        import pandas as pd

        t = time.perf_counter()
        df = pd.read_parquet(path)
        df["soh"] = df["capacity_Ah"] / df["nominal_capacity_Ah"]
        g = df.sort_values(["pack_id", "time"]).groupby("pack_id", sort=False)
        per_pack = pd.DataFrame(
            {
                "soh": g["soh"].last(),
                "r_first": g["resistance_mohm"].first(),
                "r_last": g["resistance_mohm"].last(),
                "flags": g["fault_flags"].agg(lambda s: int(s.to_numpy().any())),
            }
        )
        out["seconds"] = time.perf_counter() - t
        out["packs"] = len(per_pack)
    else:
        from urbanmine.health.engine import opened
        from urbanmine.health.telemetry import check_telemetry
        from urbanmine.health.triage import triage
        from urbanmine.health.triage_rules import load_rules

        t = time.perf_counter()
        check_telemetry(path)
        out["check_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        with opened(kind) as con:
            out["start_seconds"] = time.perf_counter() - t
            t = time.perf_counter()
            result = triage(con.read_parquet(path, table_name="telemetry"), load_rules())
            out["seconds"] = time.perf_counter() - t
        out["packs"] = result.packs.num_rows
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def peak_rss_mb() -> float:
    """This process's peak resident memory: ``VmHWM`` (Linux; ``ru_maxrss`` would carry the
    parent's peak across ``exec``), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, path: Path, rows: int) -> None:
    r = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        print(f"{kind:>7} {rows:>12,} rows: failed: {r.stderr.strip()[-300:]}")
        return
    m = json.loads(r.stdout.strip().splitlines()[-1])
    extra = ""
    if "check_seconds" in m:
        extra = f"  (+ schema check {m['check_seconds']:.1f} s, start {m['start_seconds']:.1f} s)"
    print(
        f"{kind:>7} {rows:>12,} rows: {m['seconds']:6.1f} s  {rows / m['seconds']:>12,.0f} rows/s"
        f"  peak RSS {m['peak_rss_mb']:>6,.0f} MB  {int(m['packs']):,} packs{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e6,1e7,1e8")
    parser.add_argument("--spark-rows", default="1e7", help="sizes for Spark ('' for none)")
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "um-health")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    fit_stage()
    args.keep.mkdir(parents=True, exist_ok=True)
    sizes = [int(float(x)) for x in args.rows.split(",") if x]
    spark = {int(float(x)) for x in args.spark_rows.split(",") if x}
    for rows in sorted(set(sizes) | spark):
        path = telemetry_file(args.keep, rows)
        if rows in sizes:
            measure("duckdb", path, rows)
        if rows in spark:
            measure("spark", path, rows)
        if rows <= 10**7:
            measure("pandas", path, rows)


if __name__ == "__main__":
    main()
