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
    with open(out / "packs.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["series"] == "retired":
                retired[row["year"]] += float(row["GWh"])
    assert retired["2045"] == pytest.approx(europe["eol"]["GWh"]["2045"], rel=1e-9)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fleet-")]


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
