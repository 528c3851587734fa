"""Synthetic telemetry generation speed: ``python bench/health_telemetry.py [ROWS]`` (10^6 by
default; 1e7 or 1e8 on request) writes ROWS rows (monthly, 10 years per pack) to a temporary file
and prints seconds, rows/s, file size and peak RSS. Then it times check_telemetry on the file."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from urbanmine.health.synthetic import generate
from urbanmine.health.telemetry import check_telemetry


def main() -> None:
    rows = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    periods = 120
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "telemetry.parquet"
        start = time.perf_counter()
        written = generate(path, max(1, rows // periods), 10.0)
        seconds = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        check_telemetry(path)
        check_s = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows {written.rows:,}  generate {seconds:.2f} s  {written.rows / seconds:,.0f} rows/s  "
        f"file {size_mb:.1f} MB  check_telemetry {check_s:.2f} s  peak RSS {rss_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
