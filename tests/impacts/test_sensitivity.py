"""Sobol indices: SALib through our wrapper against the Ishigami function's analytic indices."""

import numpy as np
import pytest

from urbanmine.errors import InputError
from urbanmine.flowsheet.params import Parameter
from urbanmine.impacts.sensitivity import base_samples, sobol_indices

A, B = 7.0, 0.1
"""Ishigami & Homma (1990) constants as used by Saltelli et al. (2008), Global Sensitivity
Analysis: The Primer, p. 179."""


def ishigami(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    x1, x2, x3 = v["x1"], v["x2"], v["x3"]
    return {"y": np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)}


def analytic_indices() -> tuple[list[float], list[float]]:
    """First- and total-order indices from the variance decomposition (Sobol' 1990)."""
    v1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * np.pi**8 / 225
    v = A**2 / 8 + B * np.pi**4 / 5 + B**2 * np.pi**8 / 18 + 0.5
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def uniform(name: str) -> Parameter:
    return Parameter(
        name, 0.0, "Ishigami input", distribution={"kind": "uniform", "low": -np.pi, "high": np.pi}
    )


def test_ishigami_indices_match_the_analytic_ones():
    params = {n: uniform(n) for n in ("x1", "x2", "x3")}
    out = sobol_indices(params, ishigami, 2**14, seed=7)
    s1, st = analytic_indices()
    assert out["model_runs"] == 2**14 * (3 + 2)
    got = out["indices"]["y"]
    for k, name in enumerate(("x1", "x2", "x3")):
        assert got["S1"][name] == pytest.approx(s1[k], abs=0.02)
        assert got["ST"][name] == pytest.approx(st[k], abs=0.02)


def test_inverse_cdf_maps_quantiles_to_each_distribution():
    u = np.array([0.05, 0.5, 0.95])
    tri = Parameter(
        "t", 1, "s", distribution={"kind": "triangular", "low": 0, "mode": 0, "high": 2}
    )
    # triangular with the mode at the low end: F(x) = 1 - (1 - x/2)^2
    np.testing.assert_allclose(tri.ppf(u), 2 * (1 - np.sqrt(1 - u)), rtol=1e-12)
    logn = Parameter("l", 1, "s", distribution={"kind": "lognormal", "median": 3.0, "sigma": 0.5})
    assert logn.ppf(np.array([0.5]))[0] == pytest.approx(3.0, rel=1e-12)
    clipped = Parameter(
        "n", 1, "s", distribution={"kind": "normal", "mean": 1, "sd": 1, "low": 0.5, "high": 1.2}
    )
    assert np.all((clipped.ppf(u) >= 0.5) & (clipped.ppf(u) <= 1.2))


def test_sample_counts_and_missing_distributions():
    assert base_samples(1000) == 1024 and base_samples(1024) == 1024
    with pytest.raises(InputError, match="at least 2"):
        base_samples(1)
    with pytest.raises(InputError, match="no parameter has a distribution"):
        sobol_indices({"x": Parameter("x", 1.0, "s")}, ishigami, 64)


def test_route_indices_follow_the_flowsheet_structure():
    # with the black-mass split fixed, lithium reaches its product only through the Li2CO3
    # precipitation in hydro, so its recovery varies with that one parameter and nothing else
    from urbanmine.impacts.sensitivity import route_sobol
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import compose_for

    feed = get_feed("NMC811-pack").scaled(mass_kg=1.0)
    out = route_sobol(feed, compose_for(feed, "pretreatment+hydro"), 128, seed=3)
    st = out["indices"]["recovery.Li"]["ST"]
    assert st["hydro/li_precipitation"] > 0.95
    assert max(v for k, v in st.items() if k != "hydro/li_precipitation") < 0.02
    assert out["model_runs"] == 128 * (len(out["parameters"]) + 2)
