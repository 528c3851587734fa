"""``urbanmine.tables.write_tables``: all files or none (the temporary folder), CSV and Parquet."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from urbanmine import tables as output

ROWS = {
    "a": {"year": [2030, 2031], "x": [1.5, None], "note": [None, "n"]},
    "empty": {"year": []},
}


def test_writes_csv_and_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "new"
    written = output.write_tables(ROWS, out)
    assert written == ["a.csv", "a.parquet", "empty.csv", "empty.parquet"]
    assert pq.read_table(out / "a.parquet").to_pydict() == ROWS["a"]
    assert pq.read_table(out / "empty.parquet").num_rows == 0
    with open(out / "a.csv", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["year", "x", "note"],
            ["2030", "1.5", ""],
            ["2031", "", "n"],
        ]


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", fail)
    out = tmp_path / "new"
    with pytest.raises(OSError, match="disk full"):
        output.write_tables(ROWS, out)
    assert list(tmp_path.iterdir()) == []  # neither DIR nor the temporary folder
