"""The ageing model against the published equations and physical properties.

Expected values are the papers' equations evaluated by hand here, with the coefficients typed
from the papers (Schmalstieg et al. 2014 eqs. for alpha_cap and beta_cap; Naumann et al. 2018
calendar and 2020 cycle models), independently of the shipped TOML.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmine.health.ageing import age, model_for

MODELS = ("schmalstieg2014", "naumann2018_2020")


def test_schmalstieg_calendar_at_the_papers_test_condition() -> None:
    # 50 degC storage at 50 % SOC (3.697 V on the paper's OCV curve), 500 days:
    # alpha_cap = (7.543 V - 23.75) 1e6 exp(-6976 / T), loss = alpha_cap t^0.75 (t in days)
    volts, kelvin, days = 3.697, 323.15, 500.0
    alpha = (7.543 * volts - 23.75) * 1e6 * math.exp(-6976 / kelvin)
    got = age("schmalstieg2014", [days], 50.0, 0.5, 0.0, [0.0]).capacity_loss[-1]
    assert math.isclose(got, alpha * days**0.75, rel_tol=1e-9)


def test_schmalstieg_cycle_at_full_depth() -> None:
    # beta_cap = 7.348e-3 (V - 3.667)^2 + 7.6e-4 + 4.081e-3 DOD; loss = beta_cap sqrt(Q),
    # Q = 2 x 2.05 Ah per equivalent full cycle; 1000 cycles at 100 % DOD, no storage time
    volts, cycles = 3.697, 1000.0
    beta = 7.348e-3 * (volts - 3.667) ** 2 + 7.6e-4 + 4.081e-3 * 1.0
    got = age("schmalstieg2014", [0.0], 35.0, 0.5, 1.0, [cycles]).capacity_loss[-1]
    assert math.isclose(got, beta * math.sqrt(cycles * 2 * 2.05), rel_tol=1e-9)


def test_naumann_calendar_and_cycle() -> None:
    # calendar: 1.2571e-5 * (2.8575 (SOC-0.5)^3 + 0.60225) sqrt(t_s) at 25 degC (k_T = k_ref)
    year_s = 365.0 * 86400.0
    cal = 1.2571e-5 * 0.60225 * math.sqrt(year_s)
    got = age("naumann2018_2020", [365.0], 25.0, 0.5, 0.8, [0.0], 1.0).capacity_loss[-1]
    assert math.isclose(got, cal, rel_tol=1e-4)  # T_ref 298.15 K vs 25 degC: exact
    # cycle: (0.0630 C + 0.0971)(4.0253 (DOD-0.6)^3 + 1.0923) sqrt(FEC) per cent, 1C, DOD 1
    cyc = (0.0630 + 0.0971) * (4.0253 * 0.4**3 + 1.0923) * math.sqrt(1000.0) / 100.0
    got = age("naumann2018_2020", [0.0], 25.0, 0.5, 1.0, [1000.0], 1.0).capacity_loss[-1]
    assert math.isclose(got, cyc, rel_tol=1e-9)


def test_arrhenius_factor_of_the_nmc_calendar_term() -> None:
    # exp(c/T) with c = -6976 K: the 35/25 degC ratio is exp(6976 (1/298.15 - 1/308.15))
    hot = age("schmalstieg2014", [100.0], 35.0, 0.5, 0.0, [0.0]).capacity_loss[-1]
    cold = age("schmalstieg2014", [100.0], 25.0, 0.5, 0.0, [0.0]).capacity_loss[-1]
    assert math.isclose(hot / cold, math.exp(6976 * (1 / 298.15 - 1 / 308.15)), rel_tol=1e-9)


def test_many_periods_equal_one_period_at_constant_stress() -> None:
    # the cumulative power-law sum is exact: 120 months of 30 days = one 3600-day period
    for model in MODELS:
        many = age(model, np.full(120, 30.0), 20.0, 0.6, 0.3, np.full(120, 9.0))
        one = age(model, [3600.0], 20.0, 0.6, 0.3, [1080.0])
        assert math.isclose(many.capacity_loss[-1], one.capacity_loss[-1], rel_tol=1e-9)
        assert math.isclose(many.resistance_gain[-1], one.resistance_gain[-1], rel_tol=1e-9)


def test_every_chemistry_has_a_model() -> None:
    from urbanmine.materials.chemistry import CHEMISTRIES

    assert {model_for(c) for c in CHEMISTRIES} == set(MODELS)
    assert model_for("LFP") == "naumann2018_2020"


temps = st.floats(-20.0, 60.0)
socs = st.floats(0.05, 0.95)
dods = st.floats(0.05, 1.0)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), t=temps, dt=st.floats(0.5, 30.0), soc=socs, dod=dods)
def test_warmer_never_ages_less(model: str, t: float, dt: float, soc: float, dod: float) -> None:
    days = np.full(24, 30.0)
    cold = age(model, days, t, soc, dod, days * 0.3)
    warm = age(model, days, t + dt, soc, dod, days * 0.3)
    assert warm.capacity_loss[-1] > cold.capacity_loss[-1]
    assert warm.resistance_gain[-1] > cold.resistance_gain[-1]


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    t=temps,
    soc=socs,
    dod=dods,
    efc=st.lists(st.floats(0.0, 50.0), min_size=2, max_size=24),
    extra=st.floats(0.1, 100.0),
)
def test_more_cycles_never_raise_soh(
    model: str, t: float, soc: float, dod: float, efc: list[float], extra: float
) -> None:
    days = np.full(len(efc), 30.0)
    base = age(model, days, t, soc, dod, np.array(efc))
    more = age(model, days, t, soc, dod, np.array(efc) + extra)
    assert np.all(more.capacity_loss >= base.capacity_loss)
    assert np.all(more.resistance_gain >= base.resistance_gain)
    assert np.all(np.diff(base.capacity_loss) >= 0)  # SOH never rises with time either
