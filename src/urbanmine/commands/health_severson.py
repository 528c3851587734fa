"""``urbanmine health fit`` and ``urbanmine health predict``: the Severson et al. (2019) cycle-life
models on the 124-cell data, errors beside the paper's Table 1 (docs/health-severson.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from urbanmine.commands.common import JsonOpt, guarded, out, print_json, table
from urbanmine.errors import InputError

DataOpt = typer.Option(
    None,
    "--data",
    help="Severson data folder (train/, test1/, test2/, cycle_lives/); default: "
    "$URBANMINE_SEVERSON_DATA, else ../shared/data/severson2019/data beside the project.",
)
ModelOpt = typer.Option("variance", "--model", help="variance or discharge.")


@guarded
def fit_cmd(data: Path | None = DataOpt, model: str = ModelOpt, as_json: bool = JsonOpt) -> None:
    """Fit a cycle-life model on the training cells; print its errors per split beside the
    paper's Table 1 and the short/long classifier beside Table 2."""
    report = _fit(data, model)[0]
    if as_json:
        print_json(report)
        return
    t = table(
        "split",
        "cells",
        "RMSE (cycles)",
        "paper",
        "MAPE (%)",
        "paper",
        title=(
            f"{report['model']} model (alpha {report['alpha']:.3g}, l1_ratio {report['l1_ratio']})"
        ),
    )
    for name, s in report["splits"].items():
        t.add_row(
            name,
            str(s["cells"]),
            f"{s['rmse_cycles']:.0f}",
            str(s["paper_rmse_cycles"]),
            f"{s['mape_pct']:.1f}",
            str(s["paper_mape_pct"]),
        )
    out.print(t)
    c = report["classifier"]
    t = table(
        "split",
        "cells",
        "short-lived",
        "accuracy (%)",
        "paper",
        title=(f"{c['model']}: cycle life < {c['threshold_cycles']} from cycles 4-5"),
    )
    for name, s in c["splits"].items():
        t.add_row(
            name,
            str(s["cells"]),
            str(s["short_lived"]),
            f"{s['accuracy_pct']:.1f}",
            str(s["paper_accuracy_pct"]),
        )
    out.print(t)
    for note in [*report["notes"], c["note"], f"paper: {report['source']}"]:
        out.print(f"- {note}", highlight=False, markup=False)


@guarded
def predict_cmd(
    cells: list[str] = typer.Argument(
        ..., help="Severson-layout CSV files, folders of them, or cell ids such as test1/cell5."
    ),
    data: Path | None = DataOpt,
    model: str = ModelOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Predicted cycle life with a 90 % interval per cell (model fitted on the training cells)."""
    import numpy as np

    from urbanmine.health.cycles import SPLITS, read_cells, resolve_data_dir
    from urbanmine.health.features import design_matrix

    _check_model(model)
    folder = resolve_data_dir(data)
    known = [c for c in cells if c.split("/")[0] in SPLITS and (folder / f"{c}.csv").is_file()]
    paths = [Path(c) for c in cells if c not in known]
    for p in paths:
        if not p.exists():
            raise InputError(
                f"{p}: no such file or folder, and not a cell id of the dataset; allowed: "
                "Severson-layout CSV files, folders of them, or ids such as test1/cell5"
            )
    given = read_cells(paths) if paths else None  # bad files are refused before the fit
    _, dataset, life_model = _fit(folder, model)
    groups = [dataset.select(np.isin(dataset.ids, known)), given]
    rows: list[dict[str, Any]] = []
    for group in groups:
        if group is None or not group.ids:
            continue
        life, low, high = life_model.predict(design_matrix(group, model))
        for i, cell in enumerate(group.ids):
            observed = group.cycle_life[i]
            rows.append(
                {
                    "cell": cell,
                    "predicted_cycles": round(float(life[i]), 1),
                    "low_cycles": round(float(low[i]), 1),
                    "high_cycles": round(float(high[i]), 1),
                    "observed_cycles": None if np.isnan(observed) else float(observed),
                    "training_cell": str(group.split[i]) == "train",
                }
            )
    result = {"model": model, "interval": "90 %", "cells": rows}
    if as_json:
        print_json(result)
        return
    t = table("cell", "predicted cycle life", "90 % interval", "observed")
    for r in rows:
        seen = "" if r["observed_cycles"] is None else f"{r['observed_cycles']:.0f}"
        if r["training_cell"]:
            seen += " (training cell)"
        t.add_row(
            r["cell"],
            f"{r['predicted_cycles']:.0f}",
            f"{r['low_cycles']:.0f}-{r['high_cycles']:.0f}",
            seen,
        )
    out.print(t)


def _fit(data: Path | None, model: str) -> tuple[dict[str, Any], Any, Any]:
    """Load the data folder and fit ``model``: (report, cells, fitted model)."""
    from urbanmine.health.cycles import load_severson, resolve_data_dir
    from urbanmine.health.lifemodel import fit_report

    _check_model(model)
    cells = load_severson(resolve_data_dir(data))  # a resolved folder is returned as given
    life_model, report = fit_report(cells, model)
    return report, cells, life_model


def _check_model(model: str) -> None:
    from urbanmine.health.features import FEATURES

    if model not in FEATURES:
        raise InputError(f"--model: {model!r} is not a model; allowed: {', '.join(FEATURES)}")
