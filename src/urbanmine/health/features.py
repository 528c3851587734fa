"""Severson et al. (2019) features from Q(V) discharge curves, vectorised over cells.

ΔQ_{late-early}(V) = Q_late(V) - Q_early(V) on the 1,000-point voltage grid (Ah). Its summary
statistics follow the paper's MATLAB conventions, as BatteryML (``batteryml/feature/severson.py``)
and beep (``DeltaQFastCharge``) reimplement them: variance with divisor n, skewness m3 / m2^1.5 and
kurtosis m4 / m2^2 (Pearson's, not the excess), m_k the k-th central moment; features are
log10 of their absolute values.

Models (battery-health.md §1.1, the paper's Supplementary Table 1 as selected in its Fig. 3):
- ``variance``: log10 |var ΔQ100-10(V)|.
- ``discharge``: log10 |min|, |var|, |skewness|, |kurtosis| of ΔQ100-10(V); discharge capacity
  at cycle 2; maximum discharge capacity (cycles 2-100) minus cycle 2's.
The data copy has no per-cycle summary, so the discharge capacity of a cycle is Q at 2.0 V, the
last grid point of its interpolated 4C discharge curve: the capacity at the end of the
constant-current step, without the constant-voltage hold to C/50 that the cycler's QDischarge
includes (a smaller number by a near-constant amount per cell).
Not in the data, so the ``full`` model is not reproduced: charge time (cycles 2-6), temperature
(integral, max, min over cycles 2-100) and internal resistance (minimum, cycle 2, change 100-2).
"""

from __future__ import annotations

import numpy as np

from urbanmine.data import load_toml
from urbanmine.health.cycles import CYCLES, CellSet

_TOML = load_toml("health", "severson2019.toml")
_NOMINAL_AH: float = _TOML["cell"]["nominal_capacity_Ah"]
_GLITCH_HIGH_AH: float = _TOML["features"]["glitch_factor"] * _NOMINAL_AH
_GLITCH_LOW_AH: float = _TOML["features"]["glitch_low_Ah"]

FEATURES: dict[str, tuple[str, ...]] = {
    "variance": ("log10_var_dQ100_10",),
    "discharge": (
        "log10_min_dQ100_10",
        "log10_var_dQ100_10",
        "log10_skew_dQ100_10",
        "log10_kurt_dQ100_10",
        "Qd_cycle2_Ah",
        "Qd_max_minus_cycle2_Ah",
    ),
}
"""Feature names of each regression model, in the order of the design matrix."""

NOT_IN_DATA = (
    "full model (not reproduced): mean charge time of cycles 2-6, time integral of temperature "
    "over cycles 2-100, minimum internal resistance and its change from cycle 2 to 100 are not in "
    "the data copy (Q(V) curves and cycle lives only)",
    "discharge model: discharge capacity is Q at 2.0 V of the interpolated 4C curve (end of the "
    "constant-current step), not the cycler's QDischarge with its constant-voltage hold",
)
"""Which paper features the columns do not allow, said in the output and docs."""


def delta_q(qdlin: np.ndarray, late: int, early: int) -> np.ndarray:
    """ΔQ_{late-early}(V) of every cell, cells x voltage points (Ah)."""
    return qdlin[:, _index(late), :] - qdlin[:, _index(early), :]


def _index(cycle: int) -> int:
    return cycle - int(CYCLES[0])


def dq_stats(dq: np.ndarray) -> dict[str, np.ndarray]:
    """Minimum, mean, variance (divisor n), skewness m3/m2^1.5 and Pearson kurtosis m4/m2^2 of
    each row of ``dq`` (cells x voltage points). A flat row (zero variance) gives NaN skewness
    and kurtosis, and its log10 features are not finite: the model refuses them as bad input."""
    mean = dq.mean(axis=1)
    dev = dq - mean[:, None]
    m2 = np.mean(dev**2, axis=1)
    m3 = np.mean(dev**3, axis=1)
    m4 = np.mean(dev**4, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "min": dq.min(axis=1),
            "mean": mean,
            "var": m2,
            "skew": m3 / m2**1.5,
            "kurt": m4 / m2**2,
        }


def discharge_capacity(qdlin: np.ndarray) -> np.ndarray:
    """Discharge capacity per cell and cycle (Ah): Q at the last voltage point (2.0 V); NaN for a
    cycle whose curve is a recording glitch (data/health/severson2019.toml [features])."""
    glitch = (qdlin > _GLITCH_HIGH_AH).any(axis=2) | (qdlin < _GLITCH_LOW_AH).any(axis=2)
    return np.where(glitch, np.nan, qdlin[:, :, -1])


def feature_table(cells: CellSet) -> dict[str, np.ndarray]:
    """Every feature of ``FEATURES`` (and the ΔQ mean), one value per cell."""
    stats = dq_stats(delta_q(cells.qdlin, 100, 10))
    qd = discharge_capacity(cells.qdlin)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = {f"log10_{k}_dQ100_10": np.log10(np.abs(v)) for k, v in stats.items()}
    table["Qd_cycle2_Ah"] = qd[:, _index(2)]
    table["Qd_max_minus_cycle2_Ah"] = np.nanmax(qd, axis=1) - qd[:, _index(2)]
    return table


def design_matrix(cells: CellSet, model: str) -> np.ndarray:
    """Cells x features of ``model`` (``variance`` or ``discharge``)."""
    table = feature_table(cells)
    return np.column_stack([table[name] for name in FEATURES[model]])


def classifier_feature(cells: CellSet) -> np.ndarray:
    """log10 |var ΔQ5-4(V)| per cell: the paper's variance classifier (first five cycles)."""
    with np.errstate(divide="ignore"):
        return np.log10(np.abs(dq_stats(delta_q(cells.qdlin, 5, 4))["var"]))[:, None]
