"""Tidy tables written for programs: each as CSV and Parquet, all files or none (``--out``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from urbanmine.errors import InputError

Columns = dict[str, Any]
"""A table as named columns of equal length."""


def check_out_dir(path: Path) -> None:
    """``--out`` must be a folder (existing or new) whose parent exists, not a file."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: is a file; give a folder (it is created if absent)")
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: the parent folder {path.parent} does not exist")


def _arrow_table(table: Columns) -> Any:
    """One table as a pyarrow Table, columns in order; a column with no value at all (e.g. a
    verdict's ``period``) is typed string rather than Arrow's null type."""
    import pyarrow as pa

    columns = {}
    for name, values in table.items():
        col = pa.array(values)
        columns[name] = col.cast(pa.string()) if pa.types.is_null(col.type) else col
    return pa.table(columns)


def write_tables(tables: dict[str, Columns], out_dir: Path) -> list[str]:
    """Write each table as CSV and as Parquet into a temporary folder beside ``out_dir``, then
    move the files into ``out_dir`` only once all are written."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    check_out_dir(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".tables-", dir=out_dir.parent))
    try:
        for name, table in tables.items():
            arrow = _arrow_table(table)
            options = pcsv.WriteOptions(quoting_style="needed")
            pcsv.write_csv(arrow, staging / f"{name}.csv", write_options=options)
            pq.write_table(arrow, staging / f"{name}.parquet")
        out_dir.mkdir(exist_ok=True)
        written = sorted(p.name for p in staging.iterdir())
        for f in written:
            os.replace(staging / f, out_dir / f)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
