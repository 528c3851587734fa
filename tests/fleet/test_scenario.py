"""The ``[fleet]`` scenario section: overrides reach the engine arrays, bad input is one clear
InputError naming the field path, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from urbanmine.errors import InputError
from urbanmine.fleet.scenario import fleet_section, load, read_scenario


def test_default_is_europe_2015_2050() -> None:
    fleet = load()
    assert fleet.region == "europe" and fleet.years[0] == 2015 and fleet.years[-1] == 2050


def test_scenario_file_overrides_reach_the_arrays(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        """
[fleet]
region = "europe"
years = { start = 2020, end = 2040 }
countries = ["DE", "FR"]
samples = 100
collection = { "2030" = 0.8, "2040" = 1.0 }
scrap = 0.05
pack_kwh = { bev_car = { "2030" = 80.0 } }
chemistry = { "2030" = { LFP = 0.4, NMC811 = 0.6 } }
sales = { bev_car = { DE = { "2030" = 1000.0 } } }

[fleet.lifetime.battery.default]
distribution = "weibull"
shape = 4.0
scale = 16.0

[network]
ignored = "read by another pillar"
""",
        encoding="utf-8",
    )
    fleet = load(read_scenario(path))
    y = fleet.years.index(2030)
    assert fleet.countries == ["DE", "FR"] and fleet.samples == 100
    assert fleet.collection[y] == 0.8 and fleet.collection[y + 5] == pytest.approx(0.9)
    assert fleet.collection[0] == load().collection[0]  # before the first anchor: built in
    assert (fleet.scrap == 0.05).all()
    assert fleet.pack_kwh[y:, 0] == pytest.approx(80.0)
    lfp = fleet.chemistries.index("LFP")
    assert fleet.chemistry[-1, lfp] == pytest.approx(0.4)
    assert fleet.inflow[y, 0, 0] == pytest.approx(1_000_000.0)
    assert fleet.lifetimes["battery"]["bev_car"].parameters() == {"shape": 4.0, "scale": 16.0}


def test_projection_scale_multiplies_projected_sales_only() -> None:
    base = load()
    scaled = load(fleet_section({"projection_scale": {"bev_car": 2.0}}))
    y24 = base.years.index(2024)
    np.testing.assert_array_equal(scaled.inflow[: y24 + 1], base.inflow[: y24 + 1])
    np.testing.assert_allclose(scaled.inflow[y24 + 1 :, :, 0], 2 * base.inflow[y24 + 1 :, :, 0])


BAD = [
    ({"region": "mars"}, "fleet.region"),
    ({"countries": ["XX"]}, "fleet.countries: ['XX'] not in the europe data"),
    ({"sales": {"bev_car": {"XX": {"2030": 1.0}}}}, "fleet.sales.bev_car.XX: unknown country"),
    ({"sales": {"bev_car": {"DE": {"2030": -1.0}}}}, "fleet.sales.bev_car.DE: {'2030': -1.0}"),
    ({"sales": {"bev_van": {"DE": {"2030": 1.0}}}}, "fleet.sales.bev_van: unknown segment"),
    ({"sales": {"bev_car": {"DE": {"soon": 1.0}}}}, "fleet.sales.bev_car.DE: 'soon' is not a year"),
    (
        {"lifetime": {"battery": {"default": {"distribution": "weibull"}}}},
        "fleet.lifetime.battery.default: distribution 'weibull' takes exactly shape,",
    ),
    (
        {"lifetime": {"battery": {"default": {"distribution": "normal", "mean": 10, "shape": 2}}}},
        "given: mean, shape",
    ),
    ({"lifetime": {"battery": {"bus": {"distribution": "fixed", "mean": 5}}}}, "unknown segment"),
    (
        {"chemistry": {"2030": {"LFP": 0.5, "NMC811": 0.4}}},
        "fleet.chemistry.2030: shares {'LFP': 0.5, 'NMC811': 0.4} sum to 0.9; need",
    ),
    ({"chemistry": {"2030": {"NaIon": 1.0}}}, "fleet.chemistry.2030: unknown chemistry ['NaIon']"),
    ({"colection": 0.5}, "fleet.colection: Extra inputs are not permitted"),
    ({"years": {"start": 2040, "end": 2030}}, "end 2030 is before start 2040"),
    (
        {"years": {"start": 1990}},
        "fleet.years.start: Input should be greater than or equal to 2015",
    ),
    ({"collection": 1.5}, "fleet.collection: 1.5 gives shares outside 0..1"),
    ({"pack_kwh": {"bev_car": 0.0}}, "fleet.pack_kwh.bev_car: 0.0 is not positive"),
    ({"spatial": "province"}, "fleet.spatial: 'province' needs a region with a sourced"),
    ({"projection_scale": {"bev_car": -1.0}}, "fleet.projection_scale.bev_car: -1.0 is negative"),
    ({"samples": -5}, "fleet.samples: Input should be greater than or equal to 0"),
]


@pytest.mark.parametrize(("raw", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_is_one_clear_message(raw: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(fleet_section(raw))
    assert message in str(caught.value)


def test_shares_within_tolerance_are_accepted() -> None:
    fleet = load(fleet_section({"chemistry": {"2030": {"LFP": 0.5, "NMC811": 0.5 + 5e-7}}}))
    assert fleet.chemistry[-1].sum() == pytest.approx(1.0, abs=1e-6)


def test_unreadable_scenario_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[fleet\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.toml: cannot read"):
        read_scenario(path)
