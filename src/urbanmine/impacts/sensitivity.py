"""Global sensitivity: Sobol first- and total-order indices with SALib.

Quasi-random points on the unit cube (SALib's Sobol sequence, Saltelli's scheme without
second-order terms: N (D + 2) model runs for D inputs) are turned into parameter draws through
each parameter's inverse CDF, so any distribution a route gives (uniform, triangular, normal,
lognormal) is honoured; Sobol indices are unchanged by such a per-input transform. Indices are
estimated by ``SALib.analyze.sobol`` (Saltelli 2002; Saltelli et al. 2010, Comput. Phys.
Commun. 181, 259-270) with bootstrap confidence intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from urbanmine.errors import InputError
from urbanmine.flowsheet.params import Parameter
from urbanmine.materials.feeds import Feed
from urbanmine.routes.compose import ComposedRoute
from urbanmine.routes.memory import check_fits
from urbanmine.routes.run import CHUNK_BYTES, RouteResult, arrays_per_sample, run_composed

Model = Callable[[dict[str, np.ndarray]], Mapping[str, np.ndarray]]
"""Parameter arrays (one value per run) -> output arrays (one value per run)."""

Progress = Callable[[str, int, int], None]
"""Called with (what, done, total): ``model runs`` as the route's chunks finish, then ``Sobol
analysis`` output by output (the bootstrap of each output takes about as long as the runs)."""

EDGE = 1e-12
"""Unit-cube points are kept this far inside (0, 1) so unbounded inverse CDFs stay finite."""


def base_samples(n: int) -> int:
    """The power of two at or above ``n`` (Sobol sequences balance only at powers of two)."""
    if n < 2:
        raise InputError(f"--samples must be at least 2 for Sobol indices, got {n}")
    return 1 << (int(n) - 1).bit_length()


def sobol_indices(
    parameters: Mapping[str, Parameter],
    model: Model,
    samples: int,
    seed: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Sobol indices of every model output with respect to every uncertain parameter.

    ``samples`` is the base sample size N (rounded up to a power of two); the model is run
    N (D + 2) times in one vectorised call. Outputs that do not vary get no indices (listed under
    ``constant``).
    """
    names = sorted(n for n, p in parameters.items() if p.distribution is not None)
    if not names:
        raise InputError("no parameter has a distribution; Sobol indices need uncertain inputs")
    n = base_samples(samples)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    unit = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    unit = np.clip(unit, EDGE, 1.0 - EDGE)
    values = {name: parameters[name].ppf(unit[:, k]) for k, name in enumerate(names)}
    outputs = model(values)
    indices: dict[str, dict[str, dict[str, float]]] = {}
    constant = []
    for done, (out, y) in enumerate(sorted(outputs.items())):
        if progress is not None:
            progress("Sobol analysis", done, len(outputs))
        y = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(y)) or np.ptp(y) <= 1e-12 * max(float(np.abs(y).max()), 1e-300):
            constant.append(out)
            continue
        s = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        indices[out] = {
            key: {p: float(v) for p, v in zip(names, s[key], strict=True)}
            for key in ("S1", "ST", "S1_conf", "ST_conf")
        }
    return {
        "parameters": names,
        "base_samples": n,
        "model_runs": int(unit.shape[0]),
        "indices": indices,
        "constant": constant,
    }


ROUTE_OUTPUTS = ("recycling_efficiency", "recovery.", "inventory.")
"""Per-sample route metrics whose sensitivity is reported (prefixes)."""


def route_sobol(
    feed: Feed,
    composed: ComposedRoute,
    samples: int,
    seed: int | None = None,
    extra: Callable[[RouteResult], Mapping[str, np.ndarray]] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Sobol indices of a route's recycling efficiency, recoveries and inventory (and of
    whatever ``extra`` derives from each result, e.g. GHG and cost) for its uncertain parameters."""

    def model(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        runs = len(next(iter(values.values())))

        def step(done: int) -> None:
            if progress is not None:
                progress("model runs", done, runs)

        result = run_composed(feed, composed, progress=step, values=values)
        out = {k: v for k, v in result.per_sample.items() if k.startswith(ROUTE_OUTPUTS)}
        if extra is not None:
            out.update(extra(result))
        return out

    uncertain = sum(p.distribution is not None for p in composed.parameters.values())
    runs = base_samples(samples) * (uncertain + 2)
    what = f"--samples {samples} ({runs:,} runs: N (D + 2) with D = {uncertain} parameters)"
    check_fits(runs, arrays_per_sample(feed, composed, inputs=3 * uncertain), what, CHUNK_BYTES)
    return sobol_indices(composed.parameters, model, samples, seed, progress)
