"""check_telemetry: the generated data pass; each kind of bad input raises one InputError that
names the column (or file), what was found and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from urbanmine.errors import InputError
from urbanmine.health.synthetic import generate
from urbanmine.health.telemetry import check_telemetry, schema


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path = tmp_path_factory.mktemp("tel") / "good.parquet"
    generate(path, 20, 1.0, seed=3)
    return pq.read_table(path)


def test_generated_file_follows_the_schema(good: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(good, path)
    found = check_telemetry(path)
    want = schema()
    assert found.names == [n for n in want.names if n != "soh"]
    for name in found.names:
        assert found.field(name).type == want.field(name).type
    assert check_telemetry(good).names == found.names  # a table works too


def _with(table: pa.Table, name: str, values: Any, type_: Any = None) -> pa.Table:
    array = pa.array(values, type_ if type_ is not None else table.schema.field(name).type)
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, array)
    return table.append_column(name, array)


def _column(table: pa.Table, name: str, index: int, value: Any) -> list[Any]:
    values = table.column(name).to_pylist()
    values[index] = value
    return values


CASES = [
    ("soh", lambda t: _with(t, "soh", np.full(t.num_rows, 87.0), pa.float64()), "percentage"),
    ("resistance_mohm", lambda t: _with(t, "resistance_mohm", np.full(t.num_rows, 0.09)), "ohm"),
    ("temp_max_C", lambda t: _with(t, "temp_max_C", _column(t, "temp_max_C", 5, 310.0)), "kelvin"),
    (
        "capacity_Ah",
        lambda t: _with(t, "capacity_Ah", _column(t, "capacity_Ah", 1, float("nan"))),
        "NaN",
    ),
    (
        "temp_min_C",
        lambda t: _with(t, "temp_min_C", _column(t, "temp_min_C", 1, float("inf"))),
        "infinite",
    ),
    ("capacity_Ah", lambda t: _with(t, "capacity_Ah", _column(t, "capacity_Ah", 2, -3.0)), "> 0"),
    ("cycle_count", lambda t: _with(t, "cycle_count", _column(t, "cycle_count", 2, -1)), ">= 0"),
    ("fault_flags", lambda t: _with(t, "fault_flags", _column(t, "fault_flags", 0, 64)), "bitmask"),
    ("chemistry", lambda t: _with(t, "chemistry", _column(t, "chemistry", 0, "NiMH")), "LFP"),
    (
        "cycle_count",
        lambda t: _with(t, "cycle_count", t.column("cycle_count").to_pylist(), pa.float64()),
        "int64",
    ),
    ("pack_id", lambda t: t.drop_columns(["pack_id"]), "missing"),
    (
        "resistance_mohm",
        lambda t: _with(t, "resistance_mohm", _column(t, "resistance_mohm", 0, None), pa.float64()),
        "null",
    ),
]


@pytest.mark.parametrize(("column", "mutate", "words"), CASES)
def test_bad_column_is_named(
    good: pa.Table, tmp_path: Path, column: str, mutate: Any, words: str
) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(mutate(good), path)
    with pytest.raises(InputError) as info:
        check_telemetry(path)
    message = str(info.value)
    assert f"'{column}'" in message and "allowed" in message and words in message


def test_bad_files(good: pa.Table, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such telemetry file"):
        check_telemetry(tmp_path / "absent.parquet")
    text = tmp_path / "t.parquet"
    text.write_text("pack_id,soh\nA,0.9\n")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        check_telemetry(text)
    empty = tmp_path / "empty.parquet"
    pq.write_table(good.slice(0, 0), empty)
    with pytest.raises(InputError, match="no rows"):
        check_telemetry(empty)
