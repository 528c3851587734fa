"""``urbanmine health fit|predict``: JSON shape, the table, and bad input (exit 2 naming the
file, column, option or environment variable)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from urbanmine.cli import app
from urbanmine.errors import InputError
from urbanmine.health.cycles import CYCLES, DATA_ENV, VOLTAGE_POINTS, read_cell, resolve_data_dir

from .severson_data import severson_cells


def _run(*argv: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(argv))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def data_dir() -> Path:
    severson_cells()  # skips without the data copy
    return resolve_data_dir(None)


@pytest.fixture(scope="module")
def fit_json(data_dir: Path) -> dict:
    code, out, err = _run("health", "fit", "--data", str(data_dir), "--json")
    assert code == 0, err
    return json.loads(out)


def test_fit_json_has_the_contract_keys(fit_json: dict) -> None:
    assert {"model", "features", "alpha", "l1_ratio", "splits", "classifier", "notes"} <= set(
        fit_json
    )
    assert fit_json["model"] == "variance"
    assert set(fit_json["splits"]) == {
        "train",
        "primary_test",
        "primary_test_excl",
        "secondary_test",
    }
    for s in fit_json["splits"].values():
        assert set(s) == {"rmse_cycles", "mape_pct", "paper_rmse_cycles", "paper_mape_pct", "cells"}
    assert set(fit_json["classifier"]["splits"]) == {"train", "primary_test", "secondary_test"}
    assert any("temperature" in n for n in fit_json["notes"])  # the features not in the data


def _cell_file(path: Path, q: np.ndarray) -> Path:
    np.savetxt(path, q.T, delimiter=",", fmt="%.6f")
    return path


def test_predict_gives_an_interval_around_the_prediction(data_dir: Path, tmp_path: Path) -> None:
    cells = severson_cells()
    i = cells.ids.index("test2/cell1")
    own = _cell_file(tmp_path / "mine.csv", cells.qdlin[i])
    code, out, err = _run("health", "predict", "test2/cell1", str(own), "--json")
    assert code == 0, err
    rows = json.loads(out)["cells"]
    assert [r["cell"] for r in rows] == ["test2/cell1", str(own)]
    for r in rows:
        assert r["low_cycles"] < r["predicted_cycles"] < r["high_cycles"]
    # The same curves written to a file predict the same life (to the file's 6 decimals).
    assert rows[1]["predicted_cycles"] == pytest.approx(rows[0]["predicted_cycles"], rel=1e-3)
    assert rows[0]["observed_cycles"] == cells.cycle_life[i]
    assert rows[1]["observed_cycles"] is None


def test_fit_table_prints_ours_beside_the_paper(data_dir: Path) -> None:
    code, out, _ = _run("health", "fit", "--data", str(data_dir), "--model", "discharge")
    assert code == 0
    assert "secondary_test" in out and "173" in out  # Table 1: discharge, secondary test RMSE


GOOD = np.tile(np.linspace(0, 1.05, VOLTAGE_POINTS), (CYCLES.size, 1))


@pytest.mark.parametrize(
    ("write", "needle"),
    [
        (lambda p: p.write_text(""), "the file is empty"),
        (lambda p: _cell_file(p, GOOD[:-1]), "98 columns; expected 99"),
        (lambda p: _cell_file(p, GOOD[:, :-1]), "999 rows; expected 1000"),
        (
            lambda p: p.write_text(
                "\n".join(",".join(["0.5"] * 98 + ["x" if r == 3 else "0.5"]) for r in range(1000))
            ),
            "column 99 (cycle 100) is not numeric",
        ),
        (
            lambda p: p.write_text(
                "\n".join(
                    ",".join(["0.5"] * 9 + ["" if r == 7 else "0.5"] + ["0.5"] * 89)
                    for r in range(1000)
                )
            ),
            "column 10 (cycle 11) has a missing or non-finite value at row 8",
        ),
    ],
)
def test_malformed_cell_files_are_refused_naming_file_and_column(
    tmp_path: Path, write: object, needle: str
) -> None:
    bad = tmp_path / "cell7.csv"
    write(bad)  # type: ignore[operator]
    with pytest.raises(InputError) as exc:
        read_cell(bad)
    assert str(bad) in str(exc.value) and needle in str(exc.value), exc.value


def test_predict_with_a_malformed_file_exits_2_with_its_name(
    data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "cell3.csv"
    _cell_file(bad, GOOD[:-1])
    code, out, err = _run("health", "predict", str(bad), "--data", str(data_dir))
    assert code == 2 and out == ""
    assert str(bad) in " ".join(err.split()) and "98 columns" in err


def test_a_missing_data_folder_names_the_option_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _run("health", "fit", "--data", str(tmp_path / "nope"))
    assert code == 2
    assert "--data" in err and DATA_ENV in err
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "gone"))
    code, _, err = _run("health", "fit")
    assert code == 2
    assert f"{DATA_ENV} {tmp_path / 'gone'}" in " ".join(err.split())


def test_an_unknown_model_or_cell_exits_2(data_dir: Path) -> None:
    code, _, err = _run("health", "fit", "--model", "full", "--data", str(data_dir))
    assert code == 2 and "--model" in err and "variance" in err
    code, _, err = _run("health", "predict", "test9/cell1", "--data", str(data_dir))
    assert code == 2 and "test9/cell1" in err and "not a cell id" in err
