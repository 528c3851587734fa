"""The shipped regional fleet data (``urbanmine/data/fleet/*.toml``): shapes, sums, sources, and
consistency with the IEA aggregates and stock it is published with."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from urbanmine.fleet.scenario import REGIONS, load, region_data

KEY = re.compile(r"^[a-z0-9_]+$")


def _sources(node: Any) -> list[str]:
    """Every ``source``/``*_source`` value (lists flattened), at any depth."""
    if isinstance(node, dict):
        found: list[str] = []
        for k, v in node.items():
            if k == "source" or k.endswith("_source"):
                found += v if isinstance(v, list) else [v]
            elif k != "sources":
                found += _sources(v)
        return found
    if isinstance(node, list):
        return [s for v in node for s in _sources(v)]
    return []


@pytest.mark.parametrize("region", REGIONS)
def test_every_source_key_exists(region: str) -> None:
    data = region_data(region)
    keys = [s for s in _sources(data) if KEY.match(s)]
    assert keys, "the data cite their [sources] by key"
    assert not [k for k in keys if k not in data["sources"]]


@pytest.mark.parametrize("region", REGIONS)
def test_sales_are_non_negative_and_complete(region: str) -> None:
    data = region_data(region)
    for segment in data["meta"]["segments"]:
        rows = np.array(list(data["sales"][segment].values()))
        assert rows.shape[1] == len(data["sales"]["years"])
        assert (rows >= 0).all()


@pytest.mark.parametrize("region", REGIONS)
def test_engine_arrays_have_labelled_shapes_and_shares_sum_to_one(region: str) -> None:
    fleet = load(None) if region == "europe" else load(_china())
    n = len(fleet.years)
    assert fleet.inflow.shape == (n, len(fleet.countries), len(fleet.segments))
    assert fleet.chemistry.shape == (n, len(fleet.chemistries))
    assert fleet.pack_kwh.shape == (n, len(fleet.segments))
    np.testing.assert_allclose(fleet.chemistry.sum(axis=1), 1.0, atol=1e-12)
    assert (fleet.inflow >= 0).all() and (fleet.pack_kwh > 0).all()
    for series in (fleet.second_life, fleet.collection, fleet.exports, fleet.scrap):
        assert series.shape == (n,) and ((series >= 0) & (series <= 1)).all()


def _china():
    from urbanmine.fleet.scenario import fleet_section

    return fleet_section({"region": "china"})


def test_europe_has_eu27_efta_uk_without_malta_liechtenstein_turkiye() -> None:
    countries = load().countries
    assert len(countries) == 30
    assert {"DE", "FR", "GB", "NO", "CH", "IS"} <= set(countries)
    assert not {"MT", "LI", "TR"} & set(countries)


@pytest.mark.parametrize(("segment", "eu27_2024"), [("bev_car", 1500), ("phev_car", 770)])
def test_eu27_country_sales_add_up_to_the_iea_eu27_total(segment: str, eu27_2024: float) -> None:
    """IEA GEVO 2025 (Global EV Data Explorer): EU27 2015-2024 aggregates. IEA rounds each
    figure to 2 significant figures (2024: BEV 1.5 M, PHEV 0.77 M), so the sum of rounded countries may differ from the rounded
    total by half a unit of the total's last figure plus half a unit of each country's."""
    data = region_data("europe")
    members = data["sales_check"]["eu27_members"]
    rows = np.array([data["sales"][segment][c] for c in members])
    total = np.array(data["sales_check"][f"eu27_{segment}"])

    def half_unit(x: np.ndarray) -> np.ndarray:
        digits = np.floor(np.log10(np.where(x > 0, x, 1.0)))
        return np.where(x > 0, 0.5 * 10.0 ** (digits - 1), 0.05)

    slack = half_unit(total) + half_unit(rows).sum(axis=0)
    assert (np.abs(rows.sum(axis=0) - total) <= slack).all()
    assert rows.sum(axis=0)[-1] == pytest.approx(eu27_2024, abs=float(slack[-1]))


def _survivors(data: dict[str, Any], segment: str, countries: list[str]) -> float:
    """Cars sold 2015-2024 still on the road at end-2024 (thousand), with the shipped vehicle
    lifetime (logistic; a car sold in year v is 2024 - v + 0.5 years old at end-2024)."""
    spec = data["lifetime"]["vehicle"]["default"]
    scale = spec["sd"] * math.sqrt(3) / math.pi
    age = 2024 - np.array(data["sales"]["years"]) + 0.5
    survival = 1 / (1 + np.exp((age - spec["mean"]) / scale))
    sales = np.array([data["sales"][segment][c] for c in countries])
    return float((sales * survival).sum())


@pytest.mark.parametrize("segment", ["bev_car", "phev_car"])
def test_stock_2024_matches_surviving_sales(segment: str) -> None:
    """IEA end-2024 stock against sales 2015-2024 less retirements with the shipped lifetime.
    Tolerance 15%: the stock also holds cars sold before 2015 (not in the sales series) and
    used cars traded across borders, and both series are rounded to 2 significant figures.
    Checked over the 15 countries the IEA gives stock for, and over the EU27."""
    data = region_data("europe")
    stock = data["stock_2024"][segment]
    assert _survivors(data, segment, list(stock)) == pytest.approx(sum(stock.values()), rel=0.15)
    members = data["sales_check"]["eu27_members"]
    eu27 = data["stock_2024"]["eu27"][segment]
    assert _survivors(data, segment, members) == pytest.approx(eu27, rel=0.15)


def test_china_stock_2024_matches_surviving_sales() -> None:
    data = region_data("china")
    for segment in ("bev_car", "phev_car"):
        stock = data["stock_2024"][segment]["CN"]
        assert _survivors(data, segment, ["CN"]) == pytest.approx(stock, rel=0.15)


def test_china_keeps_published_retirement_forecasts_as_anchors_only() -> None:
    forecasts = region_data("china")["forecasts"]
    assert len(forecasts) == 17
    assert all(f["kind"] in ("annual", "cumulative") and f["caveat"] for f in forecasts)


def test_china_province_split_conserves_the_national_inflow() -> None:
    from urbanmine.fleet.scenario import fleet_section

    national = load(fleet_section({"region": "china"}))
    provinces = load(fleet_section({"region": "china", "spatial": "province"}))
    assert len(provinces.countries) == 31
    np.testing.assert_allclose(provinces.inflow.sum(axis=1), national.inflow[:, 0, :])
