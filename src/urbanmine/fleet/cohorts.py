"""Inflow-driven dynamic stock model (cohort engine), vectorised over every dimension.

Conventions (the same as flodym 1.1.0's ``InflowDrivenDSM``; see :func:`inflow_driven`):

- Time is in whole years, equally spaced. ``inflow[t]`` is what enters the stock during year t; a
  **cohort** c is what entered during year c. ``stock[t]`` is what is in the stock at the end of
  year t and ``outflow[t]`` what left during year t, so stock[t] = stock[t-1] + inflow[t] -
  outflow[t] with stock[-1] = 0 (no stock before the first year).
- By-cohort arrays have the year axis first and the cohort axis second: ``stock_by_cohort[t, c]``
  is what remains of cohort c at the end of year t, ``outflow_by_cohort[t, c]`` what of cohort c
  left during year t (both 0 for c > t).
- ``inflow_at`` says where in its year a cohort enters: "middle" (flodym's default) makes a cohort
  0.5 years old at the end of its first year, so stock_by_cohort[t, c] = inflow[c] * S(t - c + 0.5);
  "end" (ODYM's convention) gives S(t - c); "start" gives S(t - c + 1). A cohort's outflow in
  year t is inflow[c] * (S(age at end of year t-1) - S(age at end of year t)), and in its own year
  inflow[c] * (1 - S(age at end of year c)).

Two paths, one result. When no lifetime parameter varies by cohort, stock and outflow are
convolutions of the inflow with the survival and leaving shares by age: exact direct sums (a BLAS
product on the sliding-window view of whichever of lifetime and inflow has fewer series, or
einsum), or an FFT when every series has its own lifetime over many years (see
:func:`_convolve`). Otherwise the survival matrix (years x cohorts x ...) is built in one
vectorised call and contracted with the inflow. By-cohort arrays (years x cohorts x ..., the
memory-hungry part) are computed only when asked for.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from urbanmine.errors import InputError
from urbanmine.fleet.lifetimes import InflowAt, Lifetime, age_offset

__all__ = ["CohortResult", "inflow_driven"]

#: From this many years on, a convolution with a lifetime per series is done by FFT (direct sum
#: below). Measured on the 2-core development machine: the direct sum and the FFT cost the same
#: at about 40-50 years (0.15 ms for 300 series at 40 years; 2.2 ms and 0.6 ms at 151 years).
FFT_FROM_YEARS = 64


@dataclass(eq=False)
class CohortResult:
    """Stock and outflow of an inflow-driven model; see :func:`inflow_driven` for the layout.

    ``stock`` and ``outflow`` have the shape of the result, ``([samples,] years, *dims)``. The
    by-cohort properties have ``([samples,] years, cohorts, *dims)`` and are computed (and kept) on
    first access: they hold years x cohorts numbers per series.
    """

    stock: np.ndarray
    outflow: np.ndarray
    #: True when a lifetime parameter varies by cohort (the general path was taken).
    cohort_varying: bool
    _inflow: np.ndarray = field(repr=False)  # (years, samples, *dims), as the engine holds it
    _survival: np.ndarray = field(repr=False)  # (years, cohorts, samples, *dims) or by age
    _sampled: bool = field(repr=False)

    @cached_property
    def survival(self) -> np.ndarray:
        """Share of cohort c left at the end of year t, ``([samples,] years, cohorts, *dims)``."""
        return self._external(self._matrix(), copy=True)

    @cached_property
    def stock_by_cohort(self) -> np.ndarray:
        """What remains of cohort c at the end of year t, ``([samples,] years, cohorts, *dims)``."""
        return self._external(self._matrix() * self._inflow[np.newaxis])

    @cached_property
    def outflow_by_cohort(self) -> np.ndarray:
        """What of cohort c left during year t, ``([samples,] years, cohorts, *dims)``."""
        return self._external(_leaving(self._matrix()) * self._inflow[np.newaxis])

    def _matrix(self) -> np.ndarray:
        """Survival by (year, cohort), internal layout; a Toeplitz view on the fast path."""
        if self.cohort_varying:
            return self._survival
        return _toeplitz(self._survival)

    def _external(self, by_cohort: np.ndarray, copy: bool = False) -> np.ndarray:
        """Internal (years, cohorts, samples, *dims) to ([samples,] years, cohorts, *dims)."""
        shape = (*by_cohort.shape[:2], *self._internal_series_shape)
        full = np.broadcast_to(by_cohort, shape)
        out = np.moveaxis(full, 2, 0) if self._sampled else full[:, :, 0]
        return np.array(out) if copy or not out.flags.writeable else out

    @property
    def _internal_series_shape(self) -> tuple[int, ...]:
        if self._sampled:
            return (self.stock.shape[0], *self.stock.shape[2:])
        return (1, *self.stock.shape[1:])


def inflow_driven(
    inflow: Any,
    lifetime: Lifetime,
    *,
    inflow_at: InflowAt = "middle",
    sampled: bool = False,
) -> CohortResult:
    """Stock and outflows of the products that entered as ``inflow``, leaving after ``lifetime``.

    Args:
        inflow: non-negative, finite array ``(years, *dims)``, or ``(samples, years, *dims)`` when
            ``sampled``; years are consecutive (one step per year), ``dims`` anything (countries,
            chemistries, segments ...).
        lifetime: a :mod:`urbanmine.fleet.lifetimes` distribution. Each parameter broadcasts,
            right-aligned as in numpy, against ``(samples, cohorts, *dims)``: a scalar is the
            same for every series; an axis of length 1 or the inflow's length on each of
            ``dims`` (right-aligned, so shape ``dims[-k:]`` works) varies by those dimensions; a cohort axis of length ``years`` varies by cohort; a leading samples
            axis (ndim = len(dims) + 2) varies by sample, which gives the result a samples axis
            even when the inflow has none.
        inflow_at: where in its year a cohort enters: "middle" (default; flodym 1.1.0's
            default), "end" (ODYM's convention) or "start". See the module docstring.
        sampled: the inflow's first axis is samples and its second is years.

    Returns:
        :class:`CohortResult`: ``stock[t]`` (end of year t) and ``outflow[t]`` (during year t),
        shaped ``([samples,] years, *dims)`` (the inflow's dims); and on demand ``stock_by_cohort[t, c]``, ``outflow_by_cohort[t, c]`` and
        ``survival[t, c]`` shaped ``([samples,] years, cohorts, *dims)``. The samples axis is
        there when the inflow is ``sampled`` or a parameter has one.

    Raises:
        InputError: negative, NaN or infinite inflow; an array with no year axis; an unknown
            ``inflow_at``; a parameter that does not broadcast (the message names it and the
            shapes).
    """
    offset = age_offset(inflow_at)
    flows = _check_inflow(inflow, sampled)  # (years, samples, *dims)
    params, has_samples, cohort_varying = _align_parameters(lifetime, flows.shape)
    sampled_out = sampled or has_samples
    if cohort_varying:
        survival = _survival_matrix(lifetime, params, flows, offset)
        stock = _contract(survival, flows)
        outflow = _contract(_leaving(survival), flows)
    else:
        survival = _survival_by_age(lifetime, params, flows, offset)
        stock, outflow = _convolve(survival, flows)
    if sampled_out:
        stock, outflow = np.moveaxis(stock, 1, 0), np.moveaxis(outflow, 1, 0)
    else:
        stock, outflow = stock[:, 0], outflow[:, 0]
    return CohortResult(
        stock=stock,
        outflow=outflow,
        cohort_varying=cohort_varying,
        _inflow=flows,
        _survival=survival,
        _sampled=sampled_out,
    )


def _check_inflow(inflow: Any, sampled: bool) -> np.ndarray:
    """The inflow as float (years, samples, *dims), checked; a samples axis of 1 when not sampled."""
    try:
        flows = np.asarray(inflow, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"inflow: got {type(inflow).__name__}; allowed: an array of non-negative numbers"
        ) from None
    axes = "(samples, years, ...)" if sampled else "(years, ...)"
    if flows.ndim < 1 + sampled or flows.shape[sampled] == 0:
        raise InputError(f"inflow: got shape {flows.shape}; allowed: an array {axes}, >= 1 year")
    bad = ~np.isfinite(flows) | (flows < 0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"inflow: {float(flows[where])!r} at index {where} of an array {axes}; "
            "allowed: finite numbers >= 0"
        )
    return np.moveaxis(flows, 1, 0) if sampled else flows[:, np.newaxis]


def _align_parameters(
    lifetime: Lifetime, flows_shape: tuple[int, ...]
) -> tuple[dict[str, np.ndarray], bool, bool]:
    """Parameters as (cohorts, samples, *dims) arrays; whether any has samples, or varies by cohort."""
    if not isinstance(lifetime, Lifetime):
        raise InputError(
            f"lifetime: got {type(lifetime).__name__}; allowed: Weibull, Normal, LogNormal, "
            "Logistic or Fixed from urbanmine.fleet"
        )
    n_years, n_samples, *dims = flows_shape
    target = (n_samples, n_years, *dims)  # parameters are written (samples, cohorts, *dims)
    params: dict[str, np.ndarray] = {}
    has_samples = cohort_varying = False
    for name, value in lifetime.parameters.items():
        where = f"lifetime {type(lifetime).__name__}: parameter {name!r} has shape {value.shape}"
        if value.ndim > len(target):
            raise InputError(
                f"{where}; allowed: at most {len(target)} axes (samples, cohorts, *dims) for an "
                f"inflow of {len(dims)} dims besides years"
            )
        full = value.reshape((1,) * (len(target) - value.ndim) + value.shape)
        ok = all(p in (1, t) for p, t in zip(full.shape[1:], target[1:], strict=True))
        if not ok or (n_samples > 1 and full.shape[0] not in (1, n_samples)):
            raise InputError(
                f"{where}, which does not broadcast against (samples, cohorts, *dims) = "
                f"{('S', *target[1:])}; allowed: 1 or the full length on every axis"
            )
        has_samples |= value.ndim == len(target)
        cohort_varying |= full.shape[1] > 1
        params[name] = np.swapaxes(full, 0, 1)
    samples = {p.shape[1] for p in params.values()} - {1}
    if len(samples) > 1:
        raise InputError(
            f"lifetime {type(lifetime).__name__}: parameters have different sample counts "
            f"{sorted(samples)}; allowed: one sample count (or 1)"
        )
    return params, has_samples, cohort_varying


def _survival_by_age(
    lifetime: Lifetime, params: dict[str, np.ndarray], flows: np.ndarray, offset: float
) -> np.ndarray:
    """S(age at the end of each year of life), (ages, samples, *dims) for the fast path."""
    n_years = flows.shape[0]
    ages = (np.arange(n_years) + offset).reshape((n_years,) + (1,) * (flows.ndim - 1))
    return dataclasses.replace(lifetime, **params).survival(ages)


def _survival_matrix(
    lifetime: Lifetime, params: dict[str, np.ndarray], flows: np.ndarray, offset: float
) -> np.ndarray:
    """survival[t, c, samples, *dims] = S(t - c + offset) with cohort c's parameters; 0 for c > t.

    Only the lower triangle is evaluated (the transcendental functions are the cost).
    """
    n_years = flows.shape[0]
    years, cohorts = np.tril_indices(n_years)
    ages = (years - cohorts + offset).reshape((-1,) + (1,) * (flows.ndim - 1))
    by_cohort = {k: v[cohorts] if v.shape[0] > 1 else v for k, v in params.items()}
    values = dataclasses.replace(lifetime, **by_cohort).survival(ages)
    survival = np.zeros((n_years, n_years, *values.shape[1:]))
    survival[years, cohorts] = values
    return survival


def _convolve(survival: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stock and outflow when the lifetime is the same for every cohort, from survival by age.

    stock[t] = sum_a S(a) inflow[t - a] and outflow[t] = sum_a leaving(a) inflow[t - a]. When
    the lifetime has fewer series than the inflow (e.g. by chemistry, the inflow by country and
    chemistry) or axes the inflow lacks (samples), the sliding-window (Toeplitz) view of the
    smaller of the two is contracted with the other by one BLAS matrix product: exact sums, and
    a copy of years x years x the smaller one's series. When both have the same series (every
    series its own lifetime) there is nothing to share: the direct sum (numpy's einsum on the
    view, no copy) costs years^2 per series, so from :data:`FFT_FROM_YEARS` years an FFT gives
    the stock in years x log(years), and the outflow follows from the balance, inflow[t] -
    (stock[t] - stock[t-1]) (the same sum, reordered). Both are then exact to ~1e-15 of each
    series' largest value, not of each element (one 1e-7 of the largest carries ~1e-8 relative
    error); the tiny negatives of rounding are set to 0.
    """
    kernel_series, flow_series = survival.shape[1:], flows.shape[1:]
    if kernel_series == flow_series and flows.shape[0] >= FFT_FROM_YEARS:
        from scipy import fft

        n_years = flows.shape[0]
        n = fft.next_fast_len(2 * n_years - 1, real=True)
        spectrum = fft.rfft(survival, n, axis=0) * fft.rfft(flows, n, axis=0)
        stock = fft.irfft(spectrum, n, axis=0)[:n_years]
        np.maximum(stock, 0.0, out=stock)
        outflow = flows - np.diff(stock, axis=0, prepend=0.0)
        return stock, np.maximum(outflow, 0.0, out=outflow)
    kernels = np.stack([survival, _leaving_by_age(survival)], axis=1)  # (ages, 2, samples, *dims)
    if math.prod(kernel_series) < math.prod(flow_series):
        out = _contract(_toeplitz(kernels), flows[:, np.newaxis])
    elif kernel_series != flow_series:
        out = _contract(_toeplitz(flows[:, np.newaxis]), kernels)
    else:
        out = np.einsum("ta...,ak...->tk...", _toeplitz(flows), kernels)
    return out[:, 0], out[:, 1]


def _leaving_by_age(survival: np.ndarray) -> np.ndarray:
    """Share leaving at each age step: 1 - S(first age), then S(previous) - S(this)."""
    return np.concatenate([1.0 - survival[:1], survival[:-1] - survival[1:]])


def _leaving(survival: np.ndarray) -> np.ndarray:
    """Share of cohort c leaving in year t from survival[t, c] (0 above the diagonal)."""
    previous = np.zeros_like(survival)
    previous[1:] = survival[:-1]
    n = survival.shape[0]
    diagonal = np.eye(n).reshape((n, n) + (1,) * (survival.ndim - 2))
    return previous + diagonal - survival


def _toeplitz(by_age: np.ndarray) -> np.ndarray:
    """Read-only view m[t, c, ...] = by_age[t - c, ...] for t >= c, else 0."""
    n = by_age.shape[0]
    padded = np.concatenate([np.zeros((n - 1, *by_age.shape[1:])), by_age])
    windows = sliding_window_view(padded, n, axis=0)  # windows[t, ..., j] = padded[t + j]
    return np.moveaxis(windows[..., ::-1], -1, 1)  # [t, c] = padded[t + n - 1 - c]


def _contract(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """out[t, *s] = sum_j matrix[t, j, *s] * vector[j, *s], broadcasting the series axes s.

    Series axes that only ``vector`` has (e.g. samples of the lifetime when ``matrix`` holds the
    inflow) make this a matrix product, done by BLAS on a copy of ``matrix``; otherwise numpy's
    einsum walks the (possibly strided) ``matrix`` without copying it.
    """
    n_series = matrix.ndim - 2
    sm, sv = matrix.shape[2:], vector.shape[1:]
    vector_only = [j for j in range(n_series) if sv[j] > 1 and sm[j] == 1]
    if not vector_only:
        return np.einsum("tj...,j...->t...", matrix, vector)
    batch = [j for j in range(n_series) if sm[j] > 1 and sv[j] > 1]
    matrix_only = [j for j in range(n_series) if sm[j] > 1 and sv[j] == 1]
    n_t, n_j = matrix.shape[:2]
    size = {j: max(sm[j], sv[j]) for j in range(n_series)}
    n_batch = math.prod(size[j] for j in batch)
    n_rows = math.prod(size[j] for j in vector_only)
    n_cols = n_t * math.prod(size[j] for j in matrix_only)
    neither = [j for j in range(n_series) if sm[j] == 1 and sv[j] == 1]
    # size-1 axes go last (before the summed axis), where the reshapes below drop them
    left = vector.transpose([1 + j for j in batch + vector_only + matrix_only + neither] + [0])
    right = matrix.transpose(
        [2 + j for j in batch] + [1, 0] + [2 + j for j in matrix_only + vector_only + neither]
    )
    product = left.reshape(n_batch, n_rows, n_j) @ right.reshape(n_batch, n_j, n_cols)
    # product axes: batch, vector-only, years, matrix-only; back to years then series in order
    before = batch + vector_only
    product = product.reshape([*(size[j] for j in before), n_t, *(size[j] for j in matrix_only)])
    position = {j: i for i, j in enumerate(before)}
    position |= {j: len(before) + 1 + i for i, j in enumerate(matrix_only)}
    product = product.transpose([len(before), *(position[j] for j in sorted(position))])
    return np.expand_dims(product, [1 + j for j in neither]) if neither else product
