"""The default scenarios against published end-of-life forecasts (docs/fleet.md, "Against
published forecasts"). The expected values are the published figures (cited in
``bench/fleet_forecasts.py`` and ``data/fleet/china.toml``), not our output: every comparable
figure must lie within [lowest / SPREAD, highest x SPREAD] of the published figures of the same
quantity, region and year, except the figures listed in OUTSIDE, whose disagreement is explained
in the docs and asserted here so that the explanation stays true."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import fleet_forecasts as ff

from urbanmine.fleet.scenario import region_data

OUTSIDE = {
    # CABIA's early "annual" series sums to 428 kt over 2017-2020, twice CATARC's cumulative
    # 200 kt to 2020 (which ours matches, 1.13); the same 780 kt is annual in one quote and
    # cumulative in the other. Ours is 0.30-0.35 of it.
    ("CCTV citing CABIA", 2017),
    ("CCTV citing CABIA", 2018),
    ("CCTV citing CABIA", 2019),
    # Cumulative counts to the mid-2020s: ours retires more early, mostly buses, vans and trucks
    # (battery Weibull scale 6.5 y, large packs sold from 2015); with the car battery lifetime for
    # them the cumulative tonnage to 2023 falls from 645 to 419 kt.
    ("CATARC (Nov 2020 statement)", 2025),
    ("Wang Zhenpo, CIECPA (WPBC 2022)", 2026),
    ("Meng, Tian et al. city model, baseline scenario (tonnes)", 2020),
    ("Meng, Tian et al. city model, baseline scenario (tonnes)", 2023),
}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    europe = ff.compare(ff.EUROPE, ff.run_region("europe"))
    china = ff.compare(ff.china(region_data("china")), ff.run_region("china"))
    return europe + china


def test_comparable_figures_lie_in_the_band_of_the_published_forecasts(
    rows: list[dict[str, Any]],
) -> None:
    bands = ff.bands(rows)
    checked = 0
    for r in rows:
        if not r["comparable"]:
            continue
        low, high = bands[r["quantity"], r["kind"], r["unit"], r["year"]]
        inside = low <= r["ours"] <= high
        where = f"{r['publisher']} {r['year']}: ours {r['ours']:.1f}, band {low:.1f}-{high:.1f}"
        assert inside != ((r["publisher"], r["year"]) in OUTSIDE), where
        checked += 1
    assert checked >= 25  # Europe 6, China 21


def test_every_listed_disagreement_is_a_comparable_row(rows: list[dict[str, Any]]) -> None:
    listed = {(r["publisher"], r["year"]) for r in rows if r["comparable"]}
    assert listed >= OUTSIDE
