"""The loop's Monte Carlo samples: with nothing drawn every sample is the central loop (the
engine is linear in its feed, and the per-sample counting is the compliance module's); fleet
draws meet the loop sample by sample; route draws stay physical (recovery within 0-1, the
element-capped upper bound at or above the law's counting); factors are drawn only when asked."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from urbanmine.scenario.loop import loop, spread
from urbanmine.scenario.uncertainty import flowsheet_seed, intervals

ROUTE = "pretreatment+hydro+precursor"
ARGS = ("everbatt2023", "greet2022", "EU27", "system_expansion")
YEARS = [2030, 2031, 2032]
FEED = {
    "NMC811-pack": np.array([100.0, 250.0, 0.0]),
    "LFP-pack": np.array([40.0, 90.0, 10.0]),
    "NMC622-scrap": np.array([12.0, 0.0, 3.0]),
}


@pytest.mark.parametrize("counting", ["battery_origin", "element_capped"])
def test_point_samples_are_the_central_loop(counting: str) -> None:
    central = loop(FEED, YEARS, ROUTE, *ARGS, counting)
    s = spread(FEED, ROUTE, *ARGS, counting, 4, 0, [])
    for row in range(4):
        np.testing.assert_allclose(s.ghg_t[row], central.ghg_t, rtol=1e-9)
        np.testing.assert_allclose(s.avoided_t[row], central.avoided_t, rtol=1e-9)
    np.testing.assert_allclose(s.cost_eur, central.cost_eur.sum(), rtol=1e-9)
    counted_in = sum(f["input_kg"] for f in central.facts)
    counted_out = sum(f["recycled_output_kg"] for f in central.facts)
    np.testing.assert_allclose(s.recycling_efficiency, counted_out / counted_in, rtol=1e-9)
    for el, share in central.recovery().items():
        np.testing.assert_allclose(s.recovery[el], share, rtol=1e-9, err_msg=el)


def test_fleet_draws_meet_the_loop_sample_by_sample() -> None:
    """Sample s of a drawn feedstock through the central route is the loop of that feedstock."""
    rng = np.random.default_rng(3)
    drawn = {key: t * rng.uniform(0.5, 1.5, (3, 1)) for key, t in FEED.items()}
    s = spread(drawn, ROUTE, *ARGS, "battery_origin", 3, 0, [])
    for row in range(3):
        one = loop({k: v[row] for k, v in drawn.items()}, YEARS, ROUTE, *ARGS)
        np.testing.assert_allclose(s.ghg_t[row], one.ghg_t, rtol=1e-9)
        np.testing.assert_allclose(s.feed_t[row], one.feed_t, rtol=1e-12)
        np.testing.assert_allclose(s.recovery["Ni"][row], one.recovery()["Ni"], rtol=1e-9)


def test_route_draws_stay_physical() -> None:
    seed = flowsheet_seed(0)
    law = spread(FEED, ROUTE, *ARGS, "battery_origin", 400, seed, ["routes"])
    capped = spread(FEED, ROUTE, *ARGS, "element_capped", 400, seed, ["routes"])
    assert law.drawn["routes"] and not law.drawn["prices"]
    for el, share in law.recovery.items():
        assert np.all((share >= 0) & (share <= 1 + 1e-12)), el
        assert np.all(capped.recovery[el] >= share - 1e-12), el  # an upper bound, same draws
    assert np.all((law.recycling_efficiency > 0) & (law.recycling_efficiency < 1))
    q = intervals(law, ("Li", "Co"))
    assert q["recovery.Li"]["p05"] < q["recovery.Li"]["p50"] < q["recovery.Li"]["p95"]
    again = spread(FEED, ROUTE, *ARGS, "battery_origin", 400, seed, ["routes"])
    np.testing.assert_array_equal(again.ghg_t, law.ghg_t)  # reproducible by seed


def _uncertain_factors(tmp_path: Path) -> str:
    """GREET 2022 with a ±50 % uniform multiplier on sodium hydroxide (a hydro reagent)."""
    src = resources.files("urbanmine.data").joinpath("factors", "greet2022.toml").read_text()
    marker = "[materials.sodium_hydroxide]\n"
    assert marker in src
    path = tmp_path / "uncertain.toml"
    path.write_text(
        src.replace(
            marker,
            marker + 'uncertainty = { kind = "uniform", low = 0.5, high = 1.5, source = "t" }\n',
        )
    )
    return str(path)


def test_factors_are_drawn_only_when_asked(tmp_path: Path) -> None:
    factors = _uncertain_factors(tmp_path)
    args = (ARGS[0], factors, *ARGS[2:], "battery_origin", 200, 5)
    drawn = spread(FEED, ROUTE, *args, ["factors"])
    kept = spread(FEED, ROUTE, *args, ["routes"])
    assert drawn.drawn["factors"] == ["sodium_hydroxide"] and kept.drawn["factors"] == []
    assert np.std(drawn.ghg_t.sum(axis=1)) > 0
    assert np.ptp(drawn.recovery["Li"]) == 0  # the route stayed at its point values
    assert np.ptp(kept.recovery["Li"]) > 0
