"""The cohort engine side by side with flodym 1.1.0: time, peak memory and agreement.

    nice .venv/bin/python bench/fleet.py

Cases (random but plausible inputs, fixed seed):

- Europe: 31 countries x 6 chemistries x 2 segments (BEV, PHEV), 1990-2060 (71 years). Sales per
  country follow a logistic uptake (midpoint 2022-2032, saturation 20k-1M cars a year), split by
  Dirichlet chemistry and segment shares; Weibull lifetimes with shape 3-4.5 and scale 12-18 years
  by chemistry and segment (the range of the Weibull fits in Busch et al.'s EoL-LIB model and
  the Chinese city model's shape 3.5).
- Europe, lifetimes by cohort: the same with the scale drifting +/- 15 % over the cohorts (the
  engine's general path: survival matrix years x cohorts x series).
- 300 series x 151 years, each series its own Weibull (shape 2-5, scale 8-20).
- Europe with 1,000 samples: shape and scale drawn per sample, chemistry and segment (normal,
  10 % and 15 % spread) -> a (1000, 71, 31, 6, 2) result. Not run through flodym (it has no
  samples axis; a loop of 1,000 flodym runs is estimated from the one-run time).

Each engine is timed on its own (best of ``--repeats`` runs; flodym: building the lifetime model
and the ``InflowDrivenDSM`` and ``compute()``; ours: ``inflow_driven``), then run once more under
tracemalloc for its peak memory above what was allocated before the call (numpy reports its
buffers to tracemalloc). Ours computes stock and outflow; flodym always builds its four years x
cohorts arrays, so its peak is also given for ours with the by-cohort arrays asked for. The
agreement is the largest |ours - flodym| / max|flodym| over stock and outflow (and, for the
cohort-varying case, the by-cohort arrays).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import flodym as fd
import numpy as np

from urbanmine.fleet import Weibull, inflow_driven

YEARS = np.arange(1990, 2061)
N_COUNTRIES, N_CHEMISTRIES, N_SEGMENTS = 31, 6, 2


def best_time(run: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(run: Callable[[], Any]) -> float:
    """Peak traced memory of one run above the memory traced before it, in MB."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    result = run()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    del result
    return peak / 1e6


def europe_inflow(rng: np.random.Generator) -> np.ndarray:
    """Cars sold (years x countries x chemistries x segments)."""
    market = rng.uniform(2e4, 1e6, N_COUNTRIES)
    midpoint = rng.uniform(2022, 2032, N_COUNTRIES)
    uptake = 1 / (1 + np.exp(-(YEARS[:, None] - midpoint) / 3.0))  # (years, countries)
    chemistry = rng.dirichlet(np.ones(N_CHEMISTRIES), N_COUNTRIES)  # (countries, chemistries)
    segment = rng.dirichlet([3.0, 1.0], N_COUNTRIES)  # (countries, segments)
    return np.einsum("tr,rc,rs->trcs", uptake * market, chemistry, segment)


def flodym_run(inflow: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> fd.InflowDrivenDSM:
    """flodym's InflowDrivenDSM with a Weibull lifetime; parameters broadcast to the inflow."""
    letters = "abcdefg"[: inflow.ndim - 1]
    dims = fd.DimensionSet(
        dim_list=[fd.Dimension(name="time", letter="t", items=list(range(inflow.shape[0])))]
        + [
            fd.Dimension(name=f"dim{letter}", letter=letter, items=list(range(n)))
            for letter, n in zip(letters, inflow.shape[1:], strict=True)
        ]
    )
    lifetime = fd.WeibullLifetime(
        dims=dims,
        weibull_shape=np.broadcast_to(shape, inflow.shape),
        weibull_scale=np.broadcast_to(scale, inflow.shape),
    )
    dsm = fd.InflowDrivenDSM(
        dims=dims, lifetime_model=lifetime, inflow=fd.StockArray(dims=dims, values=inflow)
    )
    dsm.compute()
    return dsm


def ours_run(inflow: np.ndarray, shape: np.ndarray, scale: np.ndarray, by_cohort: bool = False):
    """Our engine; with ``by_cohort`` also the two by-cohort arrays."""
    result = inflow_driven(inflow, Weibull(shape=shape, scale=scale))
    if by_cohort:
        _ = result.stock_by_cohort, result.outflow_by_cohort
    return result


def difference(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Largest |ours - reference| / max|reference| over the pairs."""
    return max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in pairs)


def side_by_side(name: str, inflow, shape, scale, repeats: int, cohorts: bool = False) -> None:
    """Time, peak memory and agreement of both engines on one case; one line per figure."""
    ours = ours_run(inflow, shape, scale)
    theirs = flodym_run(inflow, shape, scale)
    pairs = [(ours.stock, theirs.stock.values), (ours.outflow, theirs.outflow.values)]
    if cohorts:
        pairs += [
            (ours.stock_by_cohort, theirs.get_stock_by_cohort()),
            (ours.outflow_by_cohort, theirs.get_outflow_by_cohort()),
        ]
    diff = difference(pairs)
    del ours, theirs
    t_ours = best_time(lambda: ours_run(inflow, shape, scale), repeats)
    t_flodym = best_time(lambda: flodym_run(inflow, shape, scale), repeats)
    m_ours = peak_mb(lambda: ours_run(inflow, shape, scale))
    m_cohort = peak_mb(lambda: ours_run(inflow, shape, scale, by_cohort=True))
    m_flodym = peak_mb(lambda: flodym_run(inflow, shape, scale))
    print(f"{name}: inflow {inflow.shape}, lifetime parameters {np.shape(scale)}")
    print(f"  time   ours {t_ours * 1e3:9.2f} ms   flodym {t_flodym * 1e3:9.2f} ms   "
          f"speed-up {t_flodym / t_ours:7.1f}x")  # fmt: skip
    print(f"  peak   ours {m_ours:9.2f} MB   flodym {m_flodym:9.2f} MB   "
          f"ratio 1/{m_flodym / m_ours:.1f}   (ours with by-cohort arrays {m_cohort:.2f} MB)")  # fmt: skip
    print(f"  max relative difference {diff:.1e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per engine (best is kept)")
    ap.add_argument("--samples", type=int, default=1000, help="samples of the Monte Carlo case")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(2026)

    inflow = europe_inflow(rng)
    shape = rng.uniform(3.0, 4.5, (N_CHEMISTRIES, N_SEGMENTS))
    scale = rng.uniform(12.0, 18.0, (N_CHEMISTRIES, N_SEGMENTS))
    side_by_side("Europe", inflow, shape, scale, args.repeats)

    drift = np.linspace(0.85, 1.15, len(YEARS))[:, None, None, None]
    side_by_side(
        "Europe, lifetimes by cohort", inflow, shape, scale * drift, args.repeats, cohorts=True
    )

    series = rng.uniform(0.0, 1e5, (151, 300))
    side_by_side(
        "300 series x 151 years",
        series,
        rng.uniform(2.0, 5.0, 300),
        rng.uniform(8.0, 20.0, 300),
        args.repeats,
    )

    n = args.samples
    shape_s = shape * rng.normal(1.0, 0.10, (n, 1, 1, N_CHEMISTRIES, N_SEGMENTS))
    scale_s = scale * rng.normal(1.0, 0.15, (n, 1, 1, N_CHEMISTRIES, N_SEGMENTS))
    result = ours_run(inflow, shape_s, scale_s)
    checks = [0, n - 1]
    diff = difference(
        [
            pair
            for s in checks
            for dsm in [flodym_run(inflow, shape_s[s, 0, 0], scale_s[s, 0, 0])]
            for pair in (
                (result.stock[s], dsm.stock.values),
                (result.outflow[s], dsm.outflow.values),
            )
        ]
    )
    del result
    t_ours = best_time(lambda: ours_run(inflow, shape_s, scale_s), args.repeats)
    m_ours = peak_mb(lambda: ours_run(inflow, shape_s, scale_s))
    t_one = best_time(lambda: flodym_run(inflow, shape, scale), 1)
    print(f"Europe with {n} samples of the lifetime parameters: result (stock, outflow) "
          f"{(n, *inflow.shape)}")  # fmt: skip
    print(
        f"  time   ours {t_ours * 1e3:9.1f} ms   (flodym, one run per sample: ~{n * t_one:.0f} s)"
    )
    print(f"  peak   ours {m_ours:9.1f} MB   (the two results alone: "
          f"{2 * n * inflow.size * 8 / 1e6:.0f} MB)")  # fmt: skip
    print(f"  max relative difference to flodym on samples {checks}: {diff:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
