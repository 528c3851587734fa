"""Per-cycle discharge data in the layout of the Severson et al. (2019) files, as numpy arrays.

Layout (``data/health/severson2019.toml`` [layout]): one CSV per cell, no header, 1,000 rows
(voltage points, 3.6 V down to 2.0 V) by 99 columns (cycles 2..100) of discharge capacity Q in Ah
(``Qdlin``); ``cycle_lives/<split>_cycle_lives.csv`` holds one cycle life per line in the cells'
numeric order (cell1, cell2, ...); the splits are ``train``, ``test1`` (primary test) and ``test2``
(secondary test). The copy has no per-cycle summary (no cycler discharge capacity, charge time,
temperature or internal resistance): features.py derives the discharge capacity of a cycle from
Q(V).

Arrays are cells x cycles x voltage points (``qdlin[c, k, v]`` = Q of cell c at cycle
``CYCLES[k]`` and voltage ``VOLTAGE_V[v]``). Files are read with pyarrow (no Python loop over
rows); one loop runs over the files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError

_LAYOUT = load_toml("health", "severson2019.toml")["layout"]
VOLTAGE_POINTS: int = _LAYOUT["voltage_points"]
CYCLES = np.arange(_LAYOUT["first_cycle"], _LAYOUT["last_cycle"] + 1)
"""Cycle numbers of the columns, 2..100."""
VOLTAGE_V = np.linspace(_LAYOUT["voltage_high_V"], _LAYOUT["voltage_low_V"], VOLTAGE_POINTS)
"""Voltage of each row, V (3.6 V first)."""
SPLITS: tuple[str, ...] = tuple(_LAYOUT["splits"])

DATA_ENV = "URBANMINE_SEVERSON_DATA"
"""Environment variable naming the data folder (the one holding train/, test1/, test2/)."""
DATA_OPTION = "--data"
_CELL = re.compile(r"^cell(\d+)\.csv$")


@dataclass(frozen=True)
class CellSet:
    """Cells with their Q(V) curves, ids (``split/cellN``), split and cycle life (cycles; NaN when
    unknown, as for cells given to ``health predict``)."""

    ids: list[str]
    split: np.ndarray
    qdlin: np.ndarray
    cycle_life: np.ndarray

    def select(self, mask: np.ndarray) -> CellSet:
        """The cells where ``mask`` is true."""
        idx = np.flatnonzero(mask)
        return CellSet(
            [self.ids[i] for i in idx], self.split[idx], self.qdlin[idx], self.cycle_life[idx]
        )


def project_root() -> Path:
    """The checkout holding ``src/urbanmine`` (three levels above this package)."""
    return Path(__file__).resolve().parents[3]


def resolve_data_dir(option: Path | None) -> Path:
    """The Severson data folder: ``--data``, else ``$URBANMINE_SEVERSON_DATA``, else the first
    existing of ``<project root>/../shared/data/severson2019/data`` and
    ``/work/shared/data/severson2019/data``."""
    if option is not None:
        where, given = DATA_OPTION, option
    elif os.environ.get(DATA_ENV):
        where, given = DATA_ENV, Path(os.environ[DATA_ENV])
    else:
        candidates = [
            project_root().parent / "shared" / "data" / "severson2019" / "data",
            Path("/work/shared/data/severson2019/data"),
        ]
        for c in candidates:
            if c.is_dir():
                return c
        raise InputError(
            f"no Severson data folder found (looked in {', '.join(map(str, candidates))}); "
            f"give it with {DATA_OPTION} DIR or the environment variable {DATA_ENV}: the folder "
            f"holding {', '.join(SPLITS)} and cycle_lives"
        )
    if not given.is_dir():
        raise InputError(
            f"{where} {given}: no such folder; allowed: the Severson data folder holding "
            f"{', '.join(SPLITS)} and cycle_lives (set by {DATA_OPTION} DIR or {DATA_ENV})"
        )
    return given


def read_cell(path: Path) -> np.ndarray:
    """Q(V) of one cell file as a cycles x voltage points array (Ah); bad input names the file
    and the column (column k holds cycle k + 2)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(
            f"{path}: the file is empty; expected {VOLTAGE_POINTS} rows x "
            f"{CYCLES.size} columns (cycles {CYCLES[0]}..{CYCLES[-1]})"
        )
    opts = pacsv.ReadOptions(autogenerate_column_names=True)
    try:
        tbl = pacsv.read_csv(path, read_options=opts)
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: not a CSV of numbers in the Severson layout ({exc})") from None
    if tbl.num_columns != CYCLES.size:
        raise InputError(
            f"{path}: {tbl.num_columns} columns; expected {CYCLES.size} "
            f"(cycles {CYCLES[0]}..{CYCLES[-1]}, one column each)"
        )
    if tbl.num_rows != VOLTAGE_POINTS:
        raise InputError(
            f"{path}: {tbl.num_rows} rows; expected {VOLTAGE_POINTS} (voltage points "
            f"{VOLTAGE_V[0]} V to {VOLTAGE_V[-1]} V)"
        )
    for k, col in enumerate(tbl.columns):
        if not pa.types.is_floating(col.type) and not pa.types.is_integer(col.type):
            raise InputError(
                f"{path}: column {k + 1} (cycle {CYCLES[k]}) is not numeric ({col.type}); "
                "expected discharge capacity in Ah"
            )
    q = np.column_stack([c.to_numpy(zero_copy_only=False) for c in tbl.columns]).astype(float)
    bad = ~np.isfinite(q)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InputError(
            f"{path}: column {col + 1} (cycle {CYCLES[col]}) has a missing or non-finite value "
            f"at row {row + 1} ({int(bad.sum())} in the file); expected a number (Ah)"
        )
    return q.T


def _cell_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if _CELL.match(p.name)]
    return sorted(files, key=lambda p: int(_CELL.match(p.name).group(1)))  # type: ignore[union-attr]


def _cycle_lives(path: Path, n: int) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected {n} cycle lives, one per line")
    text = path.read_text(encoding="utf-8").split()
    try:
        life = np.array([float(t.strip(",")) for t in text])
    except ValueError:
        raise InputError(f"{path}: not a list of cycle lives (one number per line)") from None
    if life.size != n or not np.all(np.isfinite(life) & (life > 0)):
        raise InputError(
            f"{path}: {life.size} cycle lives for {n} cell files; expected one positive "
            "number per cell"
        )
    return life


def load_severson(root: Path) -> CellSet:
    """The 124 cells of the data folder ``root`` (train, test1, test2) with their cycle lives."""
    ids: list[str] = []
    splits: list[str] = []
    curves: list[np.ndarray] = []
    lives: list[np.ndarray] = []
    for split in SPLITS:
        folder = root / split
        files = _cell_files(folder) if folder.is_dir() else []
        if not files:
            raise InputError(f"{folder}: no cellN.csv files; the data folder needs {SPLITS}")
        curves.extend(read_cell(f) for f in files)
        ids.extend(f"{split}/{f.stem}" for f in files)
        splits.extend([split] * len(files))
        lives.append(_cycle_lives(root / "cycle_lives" / f"{split}_cycle_lives.csv", len(files)))
    return CellSet(ids, np.array(splits), np.stack(curves), np.concatenate(lives))


def read_cells(paths: list[Path]) -> CellSet:
    """Cells to predict: CSV files in the Severson layout, or folders of ``cellN.csv`` files
    (cycle life unknown)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = _cell_files(p) or sorted(p.glob("*.csv"))
            if not found:
                raise InputError(f"{p}: no CSV files in the folder")
            files.extend(found)
        elif p.suffix.lower() == ".csv":
            files.append(p)
        else:
            raise InputError(
                f"{p}: not a CSV file or folder; allowed: Severson-layout CSV files, folders "
                "of them, or cell ids of the dataset such as test1/cell5"
            )
    curves = np.stack([read_cell(f) for f in files])
    n = len(files)
    return CellSet([str(f) for f in files], np.array(["given"] * n), curves, np.full(n, np.nan))
