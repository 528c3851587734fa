"""The pack telemetry schema (one Parquet row per pack per reporting period) and its validator.

Signature kept stable for the other parts (triage calls it before reading a file)::

    check_telemetry(source: str | os.PathLike | pyarrow.Table) -> pyarrow.Schema

It returns the schema of ``source`` when every check passes and raises
:class:`urbanmine.errors.InputError` with one message naming the column, what was found and what
is allowed otherwise. Columns beyond the schema's are allowed and ignored.

Cost: the column checks read only the Parquet footer; the value checks are one DuckDB aggregate
query (min, max, NaN/infinity and null counts per column) streamed over the file, so 10^8 rows
take seconds and bounded memory, with no Python loop over rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from urbanmine.errors import InputError
from urbanmine.materials.chemistry import CHEMISTRIES

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Column:
    """A schema column: name, Arrow type name, unit and meaning (docs/health-telemetry.md)."""

    name: str
    type: str
    unit: str
    meaning: str
    required: bool = True


COLUMNS = (
    Column("pack_id", "string", "-", "pack identifier"),
    Column("chemistry", "string", "-", f"cell chemistry, one of {', '.join(CHEMISTRIES)}"),
    Column("time", "timestamp[us, tz=UTC]", "UTC", "start of the reporting period"),
    Column("cycle_count", "int64", "cycles", "equivalent full cycles to date"),
    Column("capacity_Ah", "float64", "Ah", "measured (BMS-estimated) capacity"),
    Column("nominal_capacity_Ah", "float64", "Ah", "rated capacity"),
    Column("soh", "float64", "share 0..1", "state of health; absent: capacity/nominal", False),
    Column("resistance_mohm", "float64", "mohm", "pack DC internal resistance"),
    Column("temp_min_C", "float64", "degC", "lowest cell temperature over the period"),
    Column("temp_mean_C", "float64", "degC", "mean cell temperature over the period"),
    Column("temp_max_C", "float64", "degC", "highest cell temperature over the period"),
    Column("fault_flags", "int32", "bitmask", "faults seen in the period (FAULT_BITS)"),
)

FAULT_BITS = {
    1: "over-temperature or thermal event",
    2: "isolation fault",
    4: "cell over/under-voltage",
    8: "mechanical damage, venting or swelling",
    16: "BMS communication loss",
}
SAFETY_MASK = 1 | 2 | 4 | 8
"""Bits that are safety flags (a pack with any of them set is not fit for reuse)."""
COMM_LOSS = 16
ALL_FLAGS = SAFETY_MASK | COMM_LOSS

SOH_MAX = 1.5
"""Largest plausible soh share: a new pack can exceed its rating by a few per cent, never by half
(convention; a value above it is a percentage, e.g. 87 instead of 0.87)."""
RESISTANCE_MIN_MOHM = 1.0
"""A pack DC resistance below 1 mohm is not physical for a traction pack (hundreds of cells in
series, each over 0.1 mohm): a column whose largest value is below it was given in ohm
(convention)."""
TEMP_MAX_C = 200.0
"""Cell temperatures above 200 degC do not occur in a working pack (thermal runaway starts well
below); values above it are kelvin (convention)."""
TEMP_MIN_C = -273.15
"""Absolute zero."""


def schema() -> pa.Schema:
    """The telemetry schema as a pyarrow schema (the optional ``soh`` column included)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "int32": pa.int32(),
        "float64": pa.float64(),
        "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema(
        [pa.field(c.name, types[c.type], nullable=not c.required) for c in COLUMNS],
        metadata={c.name: f"{c.unit}: {c.meaning}" for c in COLUMNS},
    )


def check_telemetry(source: str | os.PathLike[str] | pa.Table) -> pa.Schema:
    """Check a telemetry Parquet file (or an Arrow table) against the schema; return its schema.

    Raises InputError (one message: the column, the value found, what is allowed) for: a missing,
    unreadable or non-Parquet file; no rows; missing columns; wrong types; soh in percent; a
    resistance in ohm; temperatures in kelvin; NaN or infinite numbers; nulls in a required
    column; negative or zero capacities; negative cycle counts; unknown fault bits or chemistries.
    """
    import pyarrow as pa

    if isinstance(source, pa.Table):
        where, found, rows = "telemetry table", source.schema, source.num_rows
    else:
        where = str(source)
        found, rows = _footer(Path(source))
    _check_columns(where, found)
    if rows == 0:
        raise InputError(f"{where}: no rows; allowed: at least one row per pack and period")
    _check_values(where, source, found)
    return found


def _footer(path: Path) -> tuple[pa.Schema, int]:
    import pyarrow.parquet as pq

    if not path.is_file():
        raise InputError(f"{path}: no such telemetry file; allowed: a Parquet file")
    try:
        meta = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-Parquet content
        raise InputError(
            f"{path}: not a readable Parquet file ({exc}); allowed: Parquet written with the "
            "telemetry schema (docs/health-telemetry.md)"
        ) from None
    return meta.schema_arrow, meta.metadata.num_rows


def _check_columns(where: str, found: pa.Schema) -> None:
    import pyarrow as pa

    expected = schema()
    for field in expected:
        if field.name not in found.names:
            if not field.nullable:
                raise InputError(
                    f"{where}: column {field.name!r} is missing; allowed: a file with the required columns "
                    f"{', '.join(f.name for f in expected if not f.nullable)}"
                )
            continue
        given = found.field(field.name).type
        if pa.types.is_dictionary(given):
            given = given.value_type
        if pa.types.is_large_string(given):
            given = pa.string()
        if not given.equals(field.type):
            raise InputError(
                f"{where}: column {field.name!r} has type {given}; allowed: {field.type}"
            )


def _check_values(where: str, source: Any, found: pa.Schema) -> None:
    stats = _aggregate(source, found)
    floats = [c.name for c in COLUMNS if c.type == "float64" and c.name in found.names]
    for c in COLUMNS:
        if c.name in found.names and c.required and stats[f"{c.name}__nulls"]:
            raise InputError(
                f"{where}: column {c.name!r} has {stats[f'{c.name}__nulls']} null values; "
                "allowed: a value in every row"
            )
    for name in floats:
        if stats[f"{name}__bad"]:
            raise InputError(
                f"{where}: column {name!r} has {stats[f'{name}__bad']} NaN or infinite values; "
                "allowed: finite numbers"
            )
    _check_ranges(where, stats, "soh" in found.names)
    unknown = sorted(set(stats["chemistries"]) - set(CHEMISTRIES))
    if unknown:
        raise InputError(
            f"{where}: column 'chemistry' has {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(CHEMISTRIES)}"
        )


def _check_ranges(where: str, s: dict[str, Any], has_soh: bool) -> None:
    def bad(column: str, found: str, allowed: str) -> InputError:
        return InputError(f"{where}: column {column!r} {found}; allowed: {allowed}")

    if s["cycle_count__min"] < 0:
        raise bad("cycle_count", f"has {s['cycle_count__min']}", "a count >= 0")
    for name in ("capacity_Ah", "nominal_capacity_Ah"):
        if s[f"{name}__min"] <= 0:
            raise bad(name, f"has {s[f'{name}__min']:g}", "a capacity in Ah > 0")
    if has_soh and s["soh__max"] is not None and s["soh__max"] > SOH_MAX:
        raise bad("soh", f"has {s['soh__max']:g} (a percentage?)", f"a share 0..{SOH_MAX:g}")
    if has_soh and s["soh__min"] is not None and s["soh__min"] < 0:
        raise bad("soh", f"has {s['soh__min']:g}", f"a share 0..{SOH_MAX:g}")
    if s["resistance_mohm__min"] <= 0:
        raise bad("resistance_mohm", f"has {s['resistance_mohm__min']:g}", "mohm > 0")
    if s["resistance_mohm__max"] < RESISTANCE_MIN_MOHM:
        raise bad(
            "resistance_mohm",
            f"is at most {s['resistance_mohm__max']:g} (ohm rather than mohm?)",
            f"pack resistance in mohm (>= {RESISTANCE_MIN_MOHM:g})",
        )
    for name in ("temp_min_C", "temp_mean_C", "temp_max_C"):
        if s[f"{name}__max"] > TEMP_MAX_C:
            raise bad(
                name,
                f"has {s[f'{name}__max']:g} (kelvin rather than degC?)",
                f"degC from {TEMP_MIN_C:g} to {TEMP_MAX_C:g}",
            )
        if s[f"{name}__min"] < TEMP_MIN_C:
            raise bad(name, f"has {s[f'{name}__min']:g}", f"degC >= {TEMP_MIN_C:g}")
    lo, hi = s["fault_flags__min"], s["fault_flags__max"]
    if lo < 0 or hi > ALL_FLAGS or s["fault_flags__unknown"]:
        raise bad(
            "fault_flags",
            f"has bits outside the schema (values {lo}..{hi})",
            f"a bitmask of {', '.join(map(str, FAULT_BITS))} (0..{ALL_FLAGS})",
        )


def _aggregate(source: Any, found: pa.Schema) -> dict[str, Any]:
    """Every statistic the value checks need, from one DuckDB query (streamed, parallel)."""
    import duckdb

    from urbanmine.health.engine import DUCKDB_MEMORY_LIMIT

    exprs = []
    for c in COLUMNS:
        if c.name not in found.names:
            continue
        q = f'"{c.name}"'
        exprs.append(f"count(*) - count({q}) AS {c.name}__nulls")
        if c.type in ("float64", "int64", "int32"):
            exprs += [f"min({q}) AS {c.name}__min", f"max({q}) AS {c.name}__max"]
        if c.type == "float64":
            exprs.append(f"count(*) FILTER (WHERE isnan({q}) OR isinf({q})) AS {c.name}__bad")
    exprs.append(f"count(*) FILTER (WHERE fault_flags & ~{ALL_FLAGS} <> 0) AS fault_flags__unknown")
    exprs.append("list(DISTINCT chemistry) FILTER (WHERE chemistry IS NOT NULL) AS chemistries")
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT})
    try:
        if isinstance(source, str | os.PathLike):
            con.execute("SET threads TO 2")
            rel = con.read_parquet(str(source))
        else:
            rel = con.from_arrow(source)
        row = rel.aggregate(", ".join(exprs)).fetchall()[0]
        names = [e.rsplit(" AS ", 1)[1] for e in exprs]
    finally:
        con.close()
    return dict(zip(names, row, strict=True))
