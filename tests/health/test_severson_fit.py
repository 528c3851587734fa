"""The fit on the 124 cells against the paper's published errors (Severson et al. 2019, Nature
Energy 4, 383-391, Table 1 and Table 2, doi:10.1038/s41560-019-0356-8), and the honesty rules:
nothing is tuned on a test split; the hyper-parameter search is ElasticNetCV's."""

from __future__ import annotations

import numpy as np
import pytest

from urbanmine.health import lifemodel
from urbanmine.health.cycles import CellSet
from urbanmine.health.features import design_matrix
from urbanmine.health.lifemodel import fit_report

from .severson_data import severson_cells

# Table 1 of the paper, typed from the paper (not from our TOML or our output).
TABLE1 = {
    "variance": {
        "train": (103, 14.1),
        "primary_test": (138, 14.7),
        "primary_test_excl": (138, 13.2),
        "secondary_test": (196, 11.4),
    },
    "discharge": {
        "train": (76, 9.8),
        "primary_test": (91, 13.0),
        "primary_test_excl": (86, 10.1),
        "secondary_test": (173, 8.6),
    },
}
TABLE2_VARIANCE = {"train": 82.1, "primary_test": 78.6, "secondary_test": 97.5}

TOLERANCE = {"variance": (0.03, 0.3), "discharge": (0.25, 4.0)}
"""Allowed distance from Table 1: relative RMSE and absolute MAPE (percentage points). The
variance model is the paper's single feature on the same curves: within 3 % and 0.3 pp. The
discharge model's capacity features are a proxy (Q at 2.0 V, not the cycler's QDischarge) and
its CV error has two near-equal minima: within 25 % and 4 pp (docs/health-severson.md)."""


@pytest.fixture(scope="module")
def cells() -> CellSet:
    return severson_cells()


@pytest.fixture(scope="module")
def fits(cells: CellSet) -> dict[str, tuple[lifemodel.LifeModel, dict]]:
    return {m: fit_report(cells, m) for m in TABLE1}


@pytest.fixture(scope="module")
def reports(fits: dict[str, tuple[lifemodel.LifeModel, dict]]) -> dict[str, dict]:
    return {m: fit[1] for m, fit in fits.items()}


@pytest.mark.parametrize("model", list(TABLE1))
def test_errors_are_within_tolerance_of_table_1(reports: dict[str, dict], model: str) -> None:
    rel, pp = TOLERANCE[model]
    for split, (rmse, mape) in TABLE1[model].items():
        got = reports[model]["splits"][split]
        assert got["rmse_cycles"] == pytest.approx(rmse, rel=rel), (model, split, got)
        assert got["mape_pct"] == pytest.approx(mape, abs=pp), (model, split, got)


def test_split_sizes_are_the_papers(reports: dict[str, dict]) -> None:
    # 41 train / 43 primary test / 40 secondary test (paper, Results); 42 without the outlier.
    cells = {k: v["cells"] for k, v in reports["variance"]["splits"].items()}
    assert cells == {"train": 41, "primary_test": 43, "primary_test_excl": 42, "secondary_test": 40}


def test_variance_classifier_is_within_6_points_of_table_2(reports: dict[str, dict]) -> None:
    splits = reports["variance"]["classifier"]["splits"]
    for split, acc in TABLE2_VARIANCE.items():
        assert splits[split]["accuracy_pct"] == pytest.approx(acc, abs=6.0), split


def _scrambled(cells: CellSet) -> CellSet:
    """The same cells with the test splits' cycle lives replaced by random lives."""
    rng = np.random.default_rng(1)
    life = cells.cycle_life.copy()
    test = cells.split != "train"
    life[test] = rng.permutation(life[test]) * rng.uniform(0.3, 3.0, test.sum())
    return CellSet(cells.ids, cells.split, cells.qdlin, life)


@pytest.mark.parametrize("model", list(TABLE1))
def test_test_split_labels_do_not_touch_the_fit(
    cells: CellSet, fits: dict[str, tuple[lifemodel.LifeModel, dict]], model: str
) -> None:
    fitted, report = fits[model]
    other, other_report = fit_report(_scrambled(cells), model)
    assert (other.alpha, other.l1_ratio) == (fitted.alpha, fitted.l1_ratio)
    np.testing.assert_array_equal(other.coef, fitted.coef)
    assert other.residual_quantiles == fitted.residual_quantiles
    assert other_report["classifier"]["C"] == report["classifier"]["C"]
    assert other_report["splits"]["train"] == report["splits"]["train"]
    assert other_report["splits"]["secondary_test"] != report["splits"]["secondary_test"]


@pytest.mark.parametrize("model", list(TABLE1))
def test_hyperparameters_are_the_ones_elasticnetcv_chooses(cells: CellSet, model: str) -> None:
    from sklearn.linear_model import ElasticNetCV

    train = cells.split == "train"
    x = design_matrix(cells, model)[train]
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    y = np.log10(cells.cycle_life[train])
    folds = list(lifemodel._cv().split(z))[:8]  # two repeats keep the reference fast
    ours = lifemodel.choose_hyperparameters(z, y, folds)
    ref = ElasticNetCV(
        l1_ratio=list(lifemodel.L1_RATIOS),
        alphas=lifemodel.N_ALPHAS,
        cv=folds,
        max_iter=lifemodel.MAX_ITER,
    ).fit(z, y)
    assert ours[1] == ref.l1_ratio_
    assert ours[0] == pytest.approx(ref.alpha_, rel=1e-9)


def test_interval_covers_most_test_cells(
    cells: CellSet, fits: dict[str, tuple[lifemodel.LifeModel, dict]]
) -> None:
    # A 90 % interval from training residuals: on the 83 unseen cells (outlier excluded) most
    # observed lives fall inside it (at least 75 %: the secondary test is a later batch).
    fitted = fits["variance"][0]
    test = (cells.split != "train") & np.array([i != lifemodel.OUTLIER for i in cells.ids])
    _, low, high = fitted.predict(design_matrix(cells, "variance")[test])
    life = cells.cycle_life[test]
    inside = np.mean((life >= low) & (life <= high))
    assert inside >= 0.75, inside
