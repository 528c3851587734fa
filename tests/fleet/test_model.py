"""The coupled fleet model: conservation of vehicles, packs, GWh and element tonnes (any
lifetimes and shares, Hypothesis), hand-computed flows with fixed lifetimes, the sampler against
scipy, and the engine as the independent reference for the survival product."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from urbanmine.errors import InputError
from urbanmine.fleet.cohorts import inflow_driven
from urbanmine.fleet.lifetimes import Logistic, Weibull
from urbanmine.fleet.model import KWH_PER_GWH, SERIES, Draws, run, triangular
from urbanmine.fleet.scenario import FleetInputs, Lifetime, fleet_section, load

TOL = 1e-9


@pytest.fixture(scope="module")
def small() -> FleetInputs:
    return load(fleet_section({"countries": ["DE", "FR"], "years": {"start": 2015, "end": 2035}}))


def _with(inputs: FleetInputs, **kw: object) -> FleetInputs:
    return dataclasses.replace(inputs, **kw)  # type: ignore[arg-type]


def _both(inputs: FleetInputs, kind: str, spec: Lifetime) -> dict[str, dict[str, Lifetime]]:
    other = "battery" if kind == "vehicle" else "vehicle"
    return {kind: dict.fromkeys(inputs.segments, spec), other: inputs.lifetimes[other]}


def _close(a: np.ndarray, b: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL * scale)


lifetimes = st.one_of(
    st.builds(
        lambda m, s: Lifetime(distribution="logistic", mean=m, sd=s),
        st.floats(2, 25),
        st.floats(0.5, 8),
    ),
    st.builds(
        lambda k, lam: Lifetime(distribution="weibull", shape=k, scale=lam),
        st.floats(0.8, 6),
        st.floats(2, 25),
    ),
    st.builds(lambda m: Lifetime(distribution="fixed", mean=m), st.integers(1, 20)),
)
shares = st.floats(0, 1)


@settings(max_examples=25, deadline=None)
@given(vehicle=lifetimes, battery=lifetimes, storage=lifetimes, c=shares, e=shares, sl=shares)
def test_everything_is_conserved(
    small: FleetInputs,
    vehicle: Lifetime,
    battery: Lifetime,
    storage: Lifetime,
    c: float,
    e: float,
    sl: float,
) -> None:
    n = len(small.years)
    inputs = _with(
        small,
        lifetimes={
            "vehicle": dict.fromkeys(small.segments, vehicle),
            "battery": dict.fromkeys(small.segments, battery),
        },
        stationary=storage,
        collection=np.full(n, c),
        exports=np.full(n, e),
        second_life=np.full(n, sl),
    )
    r = run(inputs)
    cum = lambda a: np.cumsum(a, axis=1)  # noqa: E731
    # vehicles sold = on the road + retired, every country and segment
    _close(cum(r.vehicles_sold), r.vehicles_in_use + cum(r.vehicles_retired))
    # one pack in every vehicle on the road
    _close(r.packs["in_use"].sum(axis=-1), r.vehicles_in_use.sum(axis=-1))
    for unit in (r.packs, r.GWh):
        # packs sold + replacements = in use + retired
        _close(cum(unit["sold"] + unit["replaced"]), unit["in_use"] + cum(unit["retired"]))
        # retired = exported + uncollected + second life + direct recycling
        fates = ("exported", "uncollected", "second_life_in", "recycled_direct")
        _close(unit["retired"], sum(unit[f] for f in fates))
        # second life in = returned + still in storage
        _close(
            cum(unit["second_life_in"]), cum(unit["second_life_out"]) + unit["second_life_stock"]
        )
    # element tonnes: in = out + stock
    el = r.element_tonnes
    _close(
        cum(el(r.GWh["sold"] + r.GWh["replaced"])),
        el(r.GWh["in_use"]) + cum(el(r.GWh["retired"])),
    )
    _close(r.demand_GWh, (r.GWh["sold"] + r.GWh["replaced"]).sum(axis=2))
    _close(r.scrap_GWh, small.scrap[None, :, None] * r.demand_GWh)
    _close(
        r.feedstock_GWh,
        (r.GWh["recycled_direct"] + r.GWh["second_life_out"]).sum(axis=2) + r.scrap_GWh,
    )


def test_fixed_lifetimes_by_hand(small: FleetInputs) -> None:
    """1000 cars sold in 2016 only: the pack fails in its 5th year (age 4.5 at the end of 2020,
    cohorts enter mid-year) and is replaced once; the car leaves in 2026 with the replacement;
    half the collected packs spend 3 years in storage; 20 % of retiring cars are exported (never
    a failed pack)."""
    n = len(small.years)
    inflow = np.zeros_like(small.inflow)
    inflow[1, 0, 0] = 1000.0  # 2016, DE, bev_car
    fixed = lambda y: Lifetime(distribution="fixed", mean=y)  # noqa: E731
    inputs = _with(
        small,
        inflow=inflow,
        lifetimes={
            "vehicle": dict.fromkeys(small.segments, fixed(10)),
            "battery": dict.fromkeys(small.segments, fixed(4)),
        },
        stationary=fixed(3),
        collection=np.full(n, 0.5),
        exports=np.full(n, 0.2),
        second_life=np.full(n, 0.5),
    )
    r = run(inputs)
    at = lambda a, year: float(a[0, small.years.index(year)].sum())  # noqa: E731
    assert at(r.packs["replaced"], 2020) == pytest.approx(1000)
    assert r.packs["replaced"].sum() == pytest.approx(1000)
    assert at(r.packs["retired"], 2020) == pytest.approx(1000)  # failed, not exported
    assert at(r.packs["exported"], 2020) == 0
    assert at(r.packs["retired"], 2026) == pytest.approx(1000)  # the replacement, with the car
    assert at(r.packs["exported"], 2026) == pytest.approx(200)
    assert at(r.packs["uncollected"], 2026) == pytest.approx(400)  # half of the 800 left
    assert at(r.packs["second_life_in"], 2026) == pytest.approx(200)
    assert at(r.packs["second_life_out"], 2020 + 3) == pytest.approx(250)  # half of half of 1000
    assert at(r.packs["retired"], 2025) == 0
    # GWh: the 2016 pack size and chemistry mix, for originals and replacements alike
    gwh = 1000 * small.pack_kwh[1, 0] / KWH_PER_GWH
    np.testing.assert_allclose(r.GWh["replaced"][0, 5, 0], gwh * small.chemistry[1])
    np.testing.assert_allclose(r.GWh["retired"][0, 11].sum(), gwh)


def test_survival_product_matches_engine(small: FleetInputs) -> None:
    """An immortal vehicle: packs retire as the battery lifetime alone (the engine's outflow);
    an immortal battery: packs retire with their vehicles."""
    immortal = Lifetime(distribution="fixed", mean=200)
    weib = Lifetime(distribution="weibull", shape=3.5, scale=9.75)
    r = run(
        _with(
            small,
            lifetimes=_both(small, "vehicle", immortal)
            | {"battery": dict.fromkeys(small.segments, weib)},
        )
    )
    expected = inflow_driven(small.inflow, Weibull(shape=3.5, scale=9.75)).outflow
    _close(r.packs["retired"][0].sum(axis=-1), expected.sum(axis=-1))
    _close(r.packs["replaced"][0].sum(axis=-1), expected.sum(axis=-1))

    logi = Lifetime(distribution="logistic", mean=17, sd=4)
    r = run(
        _with(
            small,
            lifetimes=_both(small, "battery", immortal)
            | {"vehicle": dict.fromkeys(small.segments, logi)},
        )
    )
    expected = inflow_driven(small.inflow, Logistic(mean=17, std=4)).outflow
    _close(r.packs["retired"][0].sum(axis=-1), expected.sum(axis=-1))
    assert r.packs["replaced"].sum() == 0


def test_max_age_ends_every_survivor(small: FleetInputs) -> None:
    """A logistic lifetime with max_age 5: nothing of a cohort is on the road at age 5.5."""
    spec = Lifetime(distribution="logistic", mean=17, sd=4, max_age=5)
    inflow = np.zeros_like(small.inflow)
    inflow[0] = small.inflow[0]
    r = run(_with(small, inflow=inflow, lifetimes=_both(small, "vehicle", spec)))
    assert r.vehicles_in_use[0, 4].sum() > 0
    assert r.vehicles_in_use[0, 5].sum() == 0


def test_triangular_matches_scipy() -> None:
    u = np.linspace(0, 1, 101)
    for low, mode, high in ((0.5, 0.65, 0.95), (8.0, 15.0, 15.0), (0.0, 0.0, 0.15)):
        expected = stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
        np.testing.assert_allclose(triangular(u, low, mode, high), expected, atol=1e-12)
    # a central value outside the range widens it; a zero-width range gives the central value
    assert triangular(np.array([1.0]), 0.5, 0.99, 0.95)[0] == pytest.approx(0.99)
    assert triangular(np.array([0.3]), 2.0, 2.0, 2.0)[0] == 2.0


def test_samples(small: FleetInputs) -> None:
    r = run(small, samples=40, seed=1)
    again = run(small, samples=40, seed=1)
    np.testing.assert_array_equal(r.GWh["retired"], again.GWh["retired"])
    assert r.GWh["retired"].shape[0] == 40
    cum = lambda a: np.cumsum(a, axis=1)  # noqa: E731
    _close(cum(r.packs["sold"] + r.packs["replaced"]), r.packs["in_use"] + cum(r.packs["retired"]))
    # each sample's collection share, read back from its flows, lies in the data's range
    domestic = (r.packs["retired"] - r.packs["exported"]).sum(axis=(2, 3))
    collected = 1 - r.packs["uncollected"].sum(axis=(2, 3)) / domestic
    low, high = small.bounds["collection"]
    assert (collected[:, -1] >= low - 1e-12).all() and (collected[:, -1] <= high + 1e-12).all()
    assert np.ptp(collected[:, -1]) > 0.1
    # sales move after 2024 only, within the projection ranges
    sold = r.vehicles_sold.sum(axis=(2, 3))
    np.testing.assert_allclose(
        sold[:, :10], np.broadcast_to(small.inflow.sum(axis=(1, 2))[:10], (40, 10))
    )
    assert np.ptp(sold[:, -1]) > 0


def test_bad_samples(small: FleetInputs) -> None:
    with pytest.raises(InputError, match="samples: -1"):
        run(small, samples=-1)


def test_no_replacement_when_the_vehicle_leaves_the_same_year(small: FleetInputs) -> None:
    """Vehicle and pack both last 10 years: the pack leaves with its vehicle, nothing is
    replaced, and every pack sold retires exactly 10 years later."""
    ten = Lifetime(distribution="fixed", mean=10)
    r = run(
        _with(
            small,
            lifetimes={
                "vehicle": dict.fromkeys(small.segments, ten),
                "battery": dict.fromkeys(small.segments, ten),
            },
        )
    )
    assert r.packs["replaced"].sum() == 0
    sold = r.packs["sold"].sum(axis=(0, 2, 3))
    np.testing.assert_allclose(r.packs["retired"].sum(axis=(0, 2, 3))[10:], sold[:-10])


def _reference(inputs: FleetInputs, d: Draws) -> dict[str, dict[str, np.ndarray]]:
    """Every pack series the straightforward way, from the run's draws: the full (samples, years,
    cohorts, segments, countries, chemistries) flows by einsum, each sample's own chemistry mix
    and pack kWh, then the shares year by year, and storage as a sum over entry years."""
    n_y = len(inputs.years)
    sv, sb = d.vehicle, d.battery
    prev = lambda s: np.concatenate([np.zeros_like(s[:, :1]), s[:, :-1]], axis=1)  # noqa: E731
    own_year = np.eye(n_y)[None, :, :, None]
    sv_prev, sb_prev = prev(sv) + own_year, prev(sb) + own_year
    failed = sv * (sb_prev - sb)
    with_vehicle = sv_prev - sv
    per_vehicle = {
        "sold": np.broadcast_to(own_year, sv.shape),
        "in_use": sv,
        "retired": with_vehicle + failed,
        "replaced": failed,
        "with_vehicle": with_vehicle,
    }
    vehicles = inputs.inflow[None] * d.sales_scale[..., None, :]  # (S, C, N, G)
    units = {"packs": np.ones_like(d.pack_kwh), "GWh": d.pack_kwh / KWH_PER_GWH}
    out: dict[str, dict[str, np.ndarray]] = {}
    for unit, per_pack in units.items():
        carried = np.einsum("scng,scg,sck->scgnk", vehicles, per_pack, d.chemistry)
        f = {k: np.einsum("stcg,scgnk->stnk", v, carried) for k, v in per_vehicle.items()}
        y = lambda a: a[:, :, None, None]  # noqa: E731
        f["exported"] = y(d.exports) * f.pop("with_vehicle")
        domestic = f["retired"] - f["exported"]
        f["uncollected"] = y(1 - d.collection) * domestic
        f["second_life_in"] = y(d.second_life * d.collection) * domestic
        f["recycled_direct"] = y((1 - d.second_life) * d.collection) * domestic
        stock = np.einsum("stu,sunk->stnk", d.stationary, f["second_life_in"])
        f["second_life_stock"] = stock
        returned = np.cumsum(f["second_life_in"], axis=1) - stock  # by the end of year t
        f["second_life_out"] = np.diff(returned, axis=1, prepend=0.0)
        out[unit] = f
    return out


def test_sampled_flows_equal_the_straightforward_computation(small: FleetInputs) -> None:
    """The optimised sampled path (coefficients, low-rank chemistry, sums without the full
    array) against :func:`_reference` on the same draws, with pack size and chemistry sampled."""
    r = run(small, samples=6, seed=3)
    assert r.draws.lfp is not None and np.ptp(r.draws.pack_kwh[:, -1, 0]) > 0
    expected = _reference(small, r.draws)
    for unit, series in (("packs", r.packs), ("GWh", r.GWh)):
        for name in SERIES:
            want = expected[unit][name]
            _close(series[name], want)
            _close(r.flows.by_chemistry(name, unit), want.sum(axis=2))
            _close(r.flows.by_country(name, unit), want.sum(axis=3))
    gwh = expected["GWh"]
    _close(r.demand_GWh, (gwh["sold"] + gwh["replaced"]).sum(axis=2))
    feed = (gwh["recycled_direct"] + gwh["second_life_out"]).sum(axis=2) + r.scrap_GWh
    _close(r.feedstock_GWh, feed)


def test_pack_size_and_chemistry_are_sampled_within_their_ranges(small: FleetInputs) -> None:
    r = run(small, samples=200, seed=2)
    d, years = r.draws, np.array(small.years)
    lfp = small.chemistries.index("LFP")
    np.testing.assert_allclose(d.chemistry.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert (d.chemistry >= 0).all()
    # up to the last data year (2024) the mix and the BEV pack are the central ones
    past = years <= 2024
    np.testing.assert_allclose(
        d.chemistry[:, past],
        np.broadcast_to(small.chemistry[past], (200, past.sum(), len(small.chemistries))),
    )
    bev, phev = small.segments.index("bev_car"), small.segments.index("phev_car")
    np.testing.assert_allclose(
        d.pack_kwh[:, past, bev], np.broadcast_to(small.pack_kwh[past, bev], (200, past.sum()))
    )
    # from 2030 the LFP share lies in the data's range and spreads over it
    low, high = small.bounds["chemistry.lfp"]
    after = d.chemistry[:, years == 2030, lfp]
    assert after.min() >= low and after.max() <= high and np.ptp(after) > 0.5 * (high - low)
    # the other chemistries keep their central proportions
    others = np.delete(d.chemistry[:, -1], lfp, axis=-1)
    central = np.delete(small.chemistry[-1], lfp)
    np.testing.assert_allclose(
        others / others.sum(axis=-1, keepdims=True),
        np.broadcast_to(central / central.sum(), others.shape),
    )
    # PHEV packs within their kWh range every year; BEV packs in 2035 within the projection's
    # low/high as ratios to its baseline (72.1 kWh), applied to the 2024 value
    p_low, p_high = small.bounds["pack_kwh.phev_car"]
    assert d.pack_kwh[..., phev].min() >= p_low and d.pack_kwh[..., phev].max() <= p_high
    low_2035, high_2035 = (b[1] / 72.1 for b in small.bounds["pack_kwh.projection"])
    held = small.pack_kwh[years == 2024, bev]
    bev_2035 = d.pack_kwh[:, years == 2035, bev] / held
    assert bev_2035.min() >= low_2035 and bev_2035.max() <= high_2035
    assert np.ptp(bev_2035) > 0.5 * (high_2035 - low_2035)
