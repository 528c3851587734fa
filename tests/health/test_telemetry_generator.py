"""The synthetic telemetry generator: reproducible by seed, streamed in bounded memory, and the
command's bad options exit 2 without writing."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.health.synthetic import generate
from urbanmine.health.telemetry import check_telemetry


def _data(path: Path) -> list[object]:
    table = pq.read_table(path)
    return [
        table.column(n).to_numpy().tobytes()
        if n not in ("pack_id", "chemistry")
        else table.column(n).to_pylist()
        for n in table.column_names
    ]


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.parquet" for n in "abc")
    generate(a, 30, 2.0, seed=7, period="week")
    generate(b, 30, 2.0, seed=7, period="week")
    generate(c, 30, 2.0, seed=8, period="week")
    assert _data(a) == _data(b)
    assert _data(a) != _data(c)
    check_telemetry(a)


def test_rows_row_groups_and_ordering(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    written = generate(path, 50, 1.0, block_rows=12 * 8)  # 8 packs x 12 months per group
    meta = pq.ParquetFile(path).metadata
    assert (written.rows, written.periods, meta.num_rows) == (600, 12, 600)
    assert meta.num_row_groups == written.row_groups == 7  # ceil(50 / 8)
    table = pq.read_table(path)
    assert len(set(table.column("pack_id").to_pylist())) == 50
    cycles = table.column("cycle_count").to_numpy().reshape(50, 12)
    assert (cycles[:, 1:] >= cycles[:, :-1]).all()  # cycle counts never fall


def _peak(path: Path, packs: int) -> int:
    tracemalloc.start()
    generate(path, packs, 1.0, block_rows=12 * 200)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_is_bounded_by_the_row_group(tmp_path: Path) -> None:
    _peak(tmp_path / "warm.parquet", 200)  # imports and caches out of the measurement
    small = _peak(tmp_path / "a.parquet", 2000)
    large = _peak(tmp_path / "b.parquet", 4000)
    assert large < 1.3 * small  # twice the rows, not twice the memory


def test_command_writes_and_refuses_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "t.parquet"
    ok = runner.invoke(
        app, ["health", "telemetry", "--packs", "5", "--years", "1", "--out", str(out), "--quiet"]
    )
    assert ok.exit_code == 0 and out.is_file()
    bad = [
        (["--packs", "0", "--years", "1"], "--packs"),
        (["--packs", "5", "--years", "-1"], "--years"),
        (["--packs", "5", "--years", "1", "--period", "hour"], "--period"),
        (["--packs", "5", "--years", "1", "--chemistry-mix", "NMC811=x"], "--chemistry-mix"),
        (["--packs", "5", "--years", "1", "--chemistry-mix", "NiMH=1"], "--chemistry-mix"),
    ]
    for args, option in bad:
        target = tmp_path / "never.parquet"
        result = runner.invoke(app, ["health", "telemetry", *args, "--out", str(target)])
        assert result.exit_code == 2, result.output
        assert option in result.output and "allowed" in result.output
        assert not target.exists() and not target.with_name(target.name + ".part").exists()
    missing = runner.invoke(
        app,
        [
            "health",
            "telemetry",
            "--packs",
            "5",
            "--years",
            "1",
            "--out",
            str(tmp_path / "no" / "t.parquet"),
        ],
    )
    assert missing.exit_code == 2 and "--out" in missing.output
