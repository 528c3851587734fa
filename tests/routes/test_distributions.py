"""Monte Carlo distributions of the shipped routes: every bound cited, point runs at the cited
values, and the mean shift of asymmetric distributions reported as their formulas give it."""

import math
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from urbanmine.flowsheet.params import Parameter
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run

BOUNDS = {"uniform": ("low", "high"), "triangular": ("low", "high")}
"""Numbers of each shipped kind that must carry their own citation (``<key>_source``); a
triangle's mode must be the point value, which ``source`` cites."""


def _route_files() -> list[Path]:
    root = Path(str(resources.files("urbanmine.data").joinpath("routes")))
    return sorted(root.rglob("*.toml"))


def _distributions() -> list[tuple[str, str, dict]]:
    out = []
    for path in _route_files():
        with path.open("rb") as fh:
            params = tomllib.load(fh).get("parameters", {})
        for name, rec in params.items():
            if "distribution" in rec:
                out.append((f"{path.parent.name}/{path.name}:{name}", name, rec))
    return out


def _numbers_in(text: str) -> list[float]:
    """Every number written in ``text``, also read as a percentage (97 % -> 0.97)."""
    found = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]
    return found + [x / 100 for x in found]


def names_number(text: str, x: float) -> bool:
    return any(math.isclose(x, y, rel_tol=1e-9) for y in _numbers_in(text))


SHIPPED = _distributions()
WORK = r"EverBatt|doi:|ANL-|et al\.|\b(19|20)\d\d\b|^Convention: "
"""A cited work (an EverBatt cell, a DOI, an Argonne report, or authors and a year), or a bound
named a convention with its reason (tests/data/test_sources.py accepts the same)."""


def test_the_shipped_routes_have_distributions_to_check():
    # hydro and pyro of each EverBatt edition and the steel split of pretreatment (see the TOMLs)
    assert len(SHIPPED) >= 10


@pytest.mark.parametrize(("where", "name", "rec"), SHIPPED, ids=[w for w, *_ in SHIPPED])
def test_every_bound_of_a_shipped_distribution_is_cited(where, name, rec):
    dist = rec["distribution"]
    assert dist["kind"] in BOUNDS, f"{where}: no citation rule for {dist['kind']}"
    for key in BOUNDS[dist["kind"]]:
        source = dist.get(f"{key}_source", "")
        if key == "high" and dist[key] == 1.0 and "cannot exceed" in source:
            continue  # a share's physical limit needs no publication
        assert source, f"{where}: {key} = {dist[key]} has no {key}_source"
        assert names_number(source, dist[key]), f"{where}: {key}_source does not name {dist[key]}"
        assert re.search(WORK, source), f"{where}: {key}_source cites no work"
    assert dist["low"] <= rec["value"] <= dist["high"], f"{where}: point value outside the range"
    if dist["kind"] == "triangular":
        assert dist["mode"] == rec["value"], f"{where}: the triangle must peak at the point value"
    assert names_number(rec["source"], rec["value"]), f"{where}: source does not name the value"


def test_the_citation_check_fails_on_an_unsupported_bound():
    _, _, rec = SHIPPED[0]
    dist = dict(rec["distribution"], low=rec["distribution"]["low"] - 0.0123)
    assert not names_number(dist["low_source"], dist["low"])


# Overall recovery of the point values, cell to product, as the sources print or derive them:
# EverBatt 2023 (Dai et al., EverBatt 2023 workbook; preprocessing 0.95 of the active material
# to black mass, then CM recovery: hydro 0.95 x 0.98 = 0.931, direct 0.95 x 0.90 = 0.855, pyro
# 0.95 on the cell); EverBatt 2019 and 2020 (ANL-19/16 Table 12; Rec Par. column C/B/D):
# hydro Co, Ni, Mn 0.98 and Li 0.90, pyro Co, Ni 0.98 and Cu 0.90, direct 0.90.
CITED_RECOVERY = {
    ("everbatt2023", "hydro"): {"Ni": 0.931, "Co": 0.931, "Mn": 0.931, "Cu": 0.90},
    ("everbatt2023", "pyro"): {"Ni": 0.95, "Co": 0.95, "Cu": 0.95},
    ("everbatt2023", "direct"): {"Ni": 0.855, "Co": 0.855, "Mn": 0.855},
    ("everbatt2019", "hydro"): {"Ni": 0.98, "Co": 0.98, "Mn": 0.98, "Li": 0.90},
    ("everbatt2019", "pyro"): {"Ni": 0.98, "Co": 0.98, "Cu": 0.90},
    ("everbatt2019", "direct"): {"Ni": 0.90, "Co": 0.90, "Mn": 0.90},
    ("everbatt2020", "hydro"): {"Ni": 0.98, "Co": 0.98, "Mn": 0.98, "Li": 0.90},
    ("everbatt2020", "pyro"): {"Ni": 0.98, "Co": 0.98, "Cu": 0.90},
    ("everbatt2020", "direct"): {"Ni": 0.90, "Co": 0.90, "Mn": 0.90},
}


@pytest.mark.parametrize(("preset", "route"), sorted(CITED_RECOVERY))
def test_a_point_run_uses_the_cited_values_whatever_the_seed(preset, route):
    feed = get_feed("NMC622-cell", preset).scaled(mass_kg=1.0)
    for seed in (None, 0, 12345):
        d = run(feed, route, samples=1, seed=seed).to_dict()
        for el, expected in CITED_RECOVERY[preset, route].items():
            assert d["recovery"][el] == pytest.approx(expected, rel=1e-9), (seed, el)
        assert "asymmetric" not in d


@pytest.fixture(scope="module")
def hydro_mc():
    feed = get_feed("NMC622-cell").scaled(mass_kg=1.0)
    return run(feed, "hydro", samples=20_000, seed=2024)


def _hydro_distribution(name: str) -> tuple[float, dict]:
    path = next(p for p in _route_files() if p.name == "hydro.toml" and p.parent.name == "routes")
    with path.open("rb") as fh:
        rec = tomllib.load(fh)["parameters"][name]
    return rec["value"], rec["distribution"]


def test_monte_carlo_reports_the_mean_shift_of_each_asymmetric_distribution(hydro_mc):
    notes = {a["parameter"]: a for a in hydro_mc.to_dict()["asymmetric"]}
    for name in ("metal_recovery", "li_precipitation"):
        value, d = _hydro_distribution(name)
        mean = (d["low"] + d["mode"] + d["high"]) / 3  # mean of a triangular distribution
        note = notes[f"hydro/{name}"]
        assert note["value"] == value
        assert note["distribution_mean"] == pytest.approx(mean, rel=1e-12)
        assert note["relative_difference"] == pytest.approx((mean - value) / value, rel=1e-9)
        assert note["relative_difference"] < 0  # both ranges lie below the EverBatt value


def test_the_reported_shift_is_the_shift_of_the_sample_means(hydro_mc):
    # Ni reaches its product through the fixed black-mass split (0.95) and metal_recovery only,
    # so its mean recovery is 0.95 times the distribution mean, not 0.95 x 0.98
    value, d = _hydro_distribution("metal_recovery")
    mean = (d["low"] + d["mode"] + d["high"]) / 3
    sd = math.sqrt(
        (
            d["low"] ** 2
            + d["mode"] ** 2
            + d["high"] ** 2
            - d["low"] * d["mode"]
            - d["low"] * d["high"]
            - d["mode"] * d["high"]
        )
        / 18
    )  # triangular sd
    ni = hydro_mc.per_sample["recovery.Ni"]
    assert ni.mean() == pytest.approx(0.95 * mean, abs=4 * 0.95 * sd / math.sqrt(ni.size))
    assert abs(ni.mean() - 0.95 * value) > 10 * 0.95 * sd / math.sqrt(ni.size)


def test_distribution_means_follow_their_formulas():
    def p(**dist):
        return Parameter("x", 1.0, "test", distribution=dist)

    assert p(kind="uniform", low=0.5, high=2.0).mean() == 1.25
    assert p(kind="triangular", low=0.0, mode=0.0, high=3.0).mean() == 1.0
    # lognormal: median exp(sigma^2 / 2)
    assert p(kind="lognormal", median=2.0, sigma=0.5).mean() == pytest.approx(
        2.0 * math.exp(0.125), rel=1e-9
    )
    # a normal clipped at its mean: E[max(X, mu)] = mu + sd / sqrt(2 pi)
    assert p(kind="normal", mean=1.0, sd=0.2, low=1.0).mean() == pytest.approx(
        1.0 + 0.2 / math.sqrt(2 * math.pi), rel=1e-9
    )
    assert Parameter("x", 1.0, "test").mean() == 1.0


def test_symmetric_distributions_are_not_reported():
    from urbanmine.flowsheet.params import asymmetric

    sym = Parameter("s", 1.0, "t", distribution={"kind": "uniform", "low": 0.5, "high": 1.5})
    skew = Parameter("k", 1.0, "t", distribution={"kind": "uniform", "low": 0.5, "high": 1.1})
    notes = asymmetric({"s": sym, "k": skew, "none": Parameter("none", 2.0, "t")})
    assert [n["parameter"] for n in notes] == ["k"]
    assert notes[0]["relative_difference"] == pytest.approx(-0.2, rel=1e-12)  # 0.8 vs 1
    assert np.isfinite(notes[0]["distribution_mean"])
