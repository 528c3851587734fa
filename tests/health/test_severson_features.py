"""ΔQ(V) features against independent computations: closed forms on hand-built curves and
scipy.stats on the same curves; the glitch mask of the per-cycle discharge capacity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from urbanmine.health.cycles import CYCLES, VOLTAGE_POINTS, VOLTAGE_V, CellSet
from urbanmine.health.features import (
    classifier_feature,
    delta_q,
    discharge_capacity,
    dq_stats,
    feature_table,
)

N = VOLTAGE_POINTS


def _cells(curve_of_cycle: dict[int, np.ndarray], base: np.ndarray) -> CellSet:
    """One cell whose Q(V) is ``base`` at every cycle except those given."""
    q = np.tile(base, (CYCLES.size, 1))
    for cycle, curve in curve_of_cycle.items():
        q[cycle - 2] = curve
    return CellSet(["hand/cell1"], np.array(["given"]), q[None], np.array([np.nan]))


# A plausible discharge curve: Q rises from 0 at 3.6 V to 1.05 Ah at 2.0 V.
BASE = 1.05 * (3.6 - VOLTAGE_V) / 1.6


def test_linear_delta_q_has_the_closed_form_min_mean_and_variance() -> None:
    # ΔQ100-10(V) = -k u with u = 0..1 on the N grid points: min -k, mean -k/2, and the variance
    # (divisor N) of an evenly spaced grid on [0, 1] is (N + 1) / (12 (N - 1)).
    k = 0.02
    u = np.linspace(0.0, 1.0, N)
    cells = _cells({100: BASE - k * u}, BASE)
    dq = delta_q(cells.qdlin, 100, 10)
    np.testing.assert_allclose(dq[0], -k * u, atol=1e-15)
    s = dq_stats(dq)
    assert s["min"][0] == pytest.approx(-k)
    assert s["mean"][0] == pytest.approx(-k / 2)
    assert s["var"][0] == pytest.approx(k**2 * (N + 1) / (12 * (N - 1)))
    table = feature_table(cells)
    assert table["log10_var_dQ100_10"][0] == pytest.approx(
        np.log10(k**2 * (N + 1) / (12 * (N - 1)))
    )
    assert table["log10_min_dQ100_10"][0] == pytest.approx(np.log10(k))


def test_skewness_and_kurtosis_match_scipy_on_an_asymmetric_delta_q() -> None:
    # A localised loss near 3.3 V (a Gaussian dip) plus a tail: skewed and heavy-tailed.
    dip = -0.03 * np.exp(-(((VOLTAGE_V - 3.3) / 0.05) ** 2)) - 0.002 * (3.6 - VOLTAGE_V)
    cells = _cells({100: BASE + dip}, BASE)
    s = dq_stats(delta_q(cells.qdlin, 100, 10))
    assert s["skew"][0] == pytest.approx(stats.skew(dip, bias=True), rel=1e-9)
    assert s["kurt"][0] == pytest.approx(stats.kurtosis(dip, fisher=False, bias=True), rel=1e-9)
    assert s["var"][0] == pytest.approx(np.var(dip), rel=1e-12)


def test_stats_are_vectorised_over_cells() -> None:
    rng = np.random.default_rng(7)
    dq = rng.gamma(2.0, 0.01, size=(5, N)) * -1
    s = dq_stats(dq)
    for i in range(5):
        assert s["skew"][i] == pytest.approx(stats.skew(dq[i]), rel=1e-9)
        assert s["kurt"][i] == pytest.approx(stats.kurtosis(dq[i], fisher=False), rel=1e-9)


def test_classifier_feature_uses_cycles_5_and_4() -> None:
    k = 0.004
    u = np.linspace(0.0, 1.0, N)
    # Cycle 100 and 10 differ too, to show the classifier ignores them.
    cells = _cells({5: BASE - k * u, 100: BASE - 10 * k * u}, BASE)
    got = classifier_feature(cells)[0, 0]
    assert got == pytest.approx(np.log10(k**2 * (N + 1) / (12 * (N - 1))))


def test_discharge_capacity_is_q_at_2_volts_and_leaves_out_a_glitch_cycle() -> None:
    glitch = BASE.copy()
    glitch[300] = 30.9  # a recording glitch as in the data copy (cycle 12 of several cells)
    higher = BASE + 0.01  # cycle 50 holds the most charge
    cells = _cells({12: glitch, 50: higher}, BASE)
    qd = discharge_capacity(cells.qdlin)
    assert np.isnan(qd[0, 12 - 2])
    assert qd[0, 0] == pytest.approx(1.05)
    table = feature_table(cells)
    assert table["Qd_cycle2_Ah"][0] == pytest.approx(1.05)
    assert table["Qd_max_minus_cycle2_Ah"][0] == pytest.approx(0.01)
