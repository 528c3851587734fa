"""``urbanmine fleet``: JSON, the summary table, --out tables, and every bad input (exit 2)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbanmine.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def europe() -> dict:
    r = runner.invoke(app, ["fleet", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_json_adds_up(europe: dict) -> None:
    assert europe["region"] == "europe"
    assert europe["years"] == list(range(2015, 2051))
    for y in ("2030", "2050"):
        # retired packs = the sum of their fates; to recyclers = direct + returned + scrap
        fates = sum(europe["fates"][f]["GWh"][y] for f in europe["fates"])
        assert fates == pytest.approx(europe["eol"]["GWh"][y], rel=1e-12)
        feed = (
            europe["fates"]["recycled_direct"]["GWh"][y]
            + europe["second_life"]["returned"]["GWh"][y]
            + europe["scrap"]["GWh"][y]
        )
        assert feed == pytest.approx(europe["feedstock"]["GWh"][y], rel=1e-12)
        by_country = sum(c["GWh"][y] for c in europe["by_country"].values())
        by_chem = sum(c["GWh"][y] for c in europe["by_chemistry"].values())
        assert by_country == pytest.approx(europe["eol"]["GWh"][y], rel=1e-12)
        assert by_chem == pytest.approx(europe["eol"]["GWh"][y], rel=1e-12)
        d = europe["demand"]
        assert d["new_GWh"][y] + d["replacement_GWh"][y] == pytest.approx(d["GWh"][y], rel=1e-12)
    assert set(europe["recycled_content"]) >= {"Li", "Ni", "Co"}
    assert {v["year"] for v in europe["verdicts"]} == {2031, 2036}
    q = europe["quantiles"]["eol_GWh"]["2040"]
    assert q["p05"] == q["p50"] == q["p95"]  # central values only


def test_text_summary() -> None:
    r = runner.invoke(app, ["fleet"])
    assert r.exit_code == 0, r.output
    for y in ("2025", "2030", "2035", "2040", "2050"):
        assert y in r.stdout
    assert "recycled Li" in r.stdout and "Art. 8" in r.stdout


def test_scenario_file_region_and_samples(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[fleet]\nyears = { start = 2015, end = 2040 }\ncollection = 0.9\n")
    r = runner.invoke(app, ["fleet", str(f), "--region", "china", "--samples", "20", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["region"] == "china" and data["years"][-1] == 2040 and data["samples"] == 20
    q = data["quantiles"]["eol_GWh"]["2040"]
    assert q["p05"] < q["p50"] < q["p95"]


def test_out_tables(tmp_path: Path, europe: dict) -> None:
    out = tmp_path / "tables"
    r = runner.invoke(app, ["fleet", "--out", str(out)])
    assert r.exit_code == 0, r.output
    names = {p.name for p in out.iterdir()}
    assert {"packs.csv", "vehicles.csv", "regional.csv", "elements.csv"} <= names
    assert "recycled_content.csv" in names and "verdicts.csv" in names
    retired: dict[str, float] = defaultdict(float)
    lithium: dict[str, float] = defaultdict(float)
    with open(out / "packs.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["series"] == "retired":
                retired[row["year"]] += float(row["GWh"])
                lithium[row["year"]] += float(row["Li_t"])
    assert retired["2045"] == pytest.approx(europe["eol"]["GWh"]["2045"], rel=1e-9)
    # element tonnes per year, country and chemistry add up to the JSON's regional figure
    assert lithium["2045"] == pytest.approx(europe["eol"]["elements_t"]["Li"]["2045"], rel=1e-9)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fleet-")]
    _parquet_matches(out, europe)


def _parquet_matches(out: Path, data: dict) -> None:
    """Every table's Parquet twin reads back (pyarrow) equal to its CSV, cell by cell, and its
    totals equal the JSON of the same run."""
    import pyarrow.parquet as pq

    tables = {}
    for path in sorted(out.glob("*.csv")):
        table = pq.read_table(path.with_suffix(".parquet"))
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            assert table.column_names == reader.fieldnames, path.name
        parquet_rows = table.to_pylist()
        assert len(parquet_rows) == len(rows) > 0, path.name
        for text_row, row in zip(rows, parquet_rows, strict=True):
            for key, value in row.items():
                text = text_row[key]
                if value is None:
                    assert text == "", (path.name, key, text)
                elif isinstance(value, str):
                    assert value == text, (path.name, key)
                elif isinstance(value, int):
                    assert value == int(text), (path.name, key)
                else:  # float64: the CSV's repr reads back bit for bit
                    assert value == float(text) or (value != value and text == "nan"), (key, text)
        tables[path.stem] = table
    assert tables["packs"].schema.field("year").type == "int64"
    assert tables["verdicts"].schema.field("period").type == "string"  # no value: not Arrow null
    retired: dict[str, float] = defaultdict(float)
    for row in tables["packs"].to_pylist():
        if row["series"] == "retired":
            retired[str(row["year"])] += row["GWh"]
    for y, gwh in data["eol"]["GWh"].items():
        assert retired[y] == pytest.approx(gwh, rel=1e-9, abs=1e-12), y
    elements = tables["elements"].to_pylist()
    eol = {(str(r["year"]), r["element"]): r["t"] for r in elements if r["series"] == "eol"}
    assert eol == {
        (y, e): t for e, by_year in data["eol"]["elements_t"].items() for y, t in by_year.items()
    }
    content = {
        (str(r["year"]), r["element"]): r["p50"] for r in tables["recycled_content"].to_pylist()
    }
    for e, by_year in data["quantiles"]["recycled_content"].items():
        for y, q in by_year.items():
            assert content[y, e] == q["p50"]
    verdicts = tables["verdicts"].to_pylist()
    assert [(v["year"], v["rule"], v["verdict"], v["value"]) for v in verdicts] == [
        (v["year"], v["rule"], v["verdict"], v["value"]) for v in data["verdicts"]
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--region", "mars"], "--region"),
        (["nowhere.toml"], "nowhere.toml"),
        (["--samples", "-1"], "--samples"),
    ],
)
def test_bad_input(args: list[str], says: str) -> None:
    r = runner.invoke(app, ["fleet", *args])
    assert r.exit_code == 2
    assert says in r.stderr


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[fleet\nregion = ")
    r = runner.invoke(app, ["fleet", str(broken)])
    assert r.exit_code == 2 and "broken.toml" in r.stderr
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[fleet]\nregion = "mars"\n')
    r = runner.invoke(app, ["fleet", str(wrong)])
    assert r.exit_code == 2 and "fleet.region" in r.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    r = runner.invoke(app, ["fleet", "--out", str(a_file)])
    assert r.exit_code == 2 and "is a file" in r.stderr
    assert a_file.read_text() == "x"
