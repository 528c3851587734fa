"""Semi-empirical calendar + cycle ageing of Li-ion cells, vectorised over packs and periods.

Two sourced parameter sets (``data/health/ageing.toml``, a source per value):

- ``schmalstieg2014`` (NMC/graphite; Schmalstieg et al., J. Power Sources 257 (2014) 325):
  calendar capacity loss ``alpha_cap * t^0.75`` with ``alpha_cap = (a V + b) 1e6 exp(c / T)``
  (t in days, V the open-circuit voltage at the mean SOC, T in K), cycle capacity loss
  ``beta_cap * sqrt(Q)`` with ``beta_cap = a (V - v0)^2 + b + d DOD`` (Q the charge throughput
  in Ah of the 2.05 Ah cell); resistance: ``alpha_res t^0.75`` and ``beta_res Q``.
- ``naumann2018_2020`` (LFP/graphite; Naumann et al., J. Energy Storage 17 (2018) 153 and
  J. Power Sources 451 (2020) 227666): calendar capacity loss ``k_T k_SOC sqrt(t)`` (t in s,
  Arrhenius ``k_T``), cycle loss ``k_C k_DOD sqrt(FEC)`` per cent; resistance linear in t and FEC.

Stress that changes from period to period (seasons, usage) is accumulated exactly for these power
laws: for ``q = k t^p`` at constant ``k``, ``q^(1/p) = k^(1/p) t``, so with a varying ``k`` the
state is ``q = (sum_i k_i^(1/p) dt_i)^p`` (the "virtual time" method of BLAST-Lite and SimSES
written as a cumulative sum). Loss therefore never decreases with more time or cycles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from urbanmine.data import load_toml

Array = npt.NDArray[np.float64]
SECONDS_PER_DAY = 86_400.0
KELVIN = 273.15


class Ageing(NamedTuple):
    """Cumulative ageing along the last axis (shares): capacity lost since new, and resistance
    gained since new (relative to the resistance when new)."""

    capacity_loss: Array
    resistance_gain: Array


def parameters() -> dict[str, Any]:
    """The shipped ``ageing.toml`` (models and the chemistry -> model map)."""
    return load_toml("health", "ageing.toml")


def model_for(chemistry: str) -> str:
    """Name of the parameter set that ages ``chemistry`` (an urbanmine chemistry name)."""
    return str(parameters()["chemistries"][chemistry])


def age(
    model: str,
    dt_days: npt.ArrayLike,
    temp_C: npt.ArrayLike,
    soc: npt.ArrayLike,
    dod: npt.ArrayLike,
    efc: npt.ArrayLike,
    c_rate: npt.ArrayLike = 0.5,
) -> Ageing:
    """Cumulative ageing after each period, along the last axis of the broadcast inputs.

    Per period: ``dt_days`` its length (d), ``temp_C`` the mean cell temperature (degC), ``soc``
    the mean state of charge (0..1), ``dod`` the depth of discharge of its cycles (0..1),
    ``efc`` the equivalent full cycles done in it, ``c_rate`` the mean C-rate (1/h; used by the
    LFP cycle terms only).
    """
    p = parameters()["models"][model]
    args = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (dt_days, temp_C, soc, dod, efc, c_rate))
    )
    dt, t_c, s, d, n, c = args
    kelvin = t_c + KELVIN
    if model == "schmalstieg2014":
        return _schmalstieg(p, dt, kelvin, s, d, n)
    if model == "naumann2018_2020":
        return _naumann(p, dt, kelvin, s, d, n, c)
    raise KeyError(f"unknown ageing model {model!r}")


def _power_sum(rate: Array, step: Array, p: float) -> Array:
    """``(cumsum(rate^(1/p) * step))^p``: a power law ``rate * x^p`` with a rate that varies."""
    return np.cumsum(np.maximum(rate, 0.0) ** (1.0 / p) * step, axis=-1) ** p


def _schmalstieg(
    p: dict[str, Any], dt: Array, kelvin: Array, soc: Array, dod: Array, efc: Array
) -> Ageing:
    volts = np.interp(soc, p["ocv_soc"], p["ocv_V"])
    throughput_Ah = efc * p["throughput_per_efc"] * p["cell_capacity_Ah"]
    a_cap = (
        (p["cal_cap_a_per_V"] * volts + p["cal_cap_b"])
        * p["cal_cap_scale"]
        * np.exp(p["cal_cap_c_K"] / kelvin)
    )
    a_res = (
        (p["cal_res_a_per_V"] * volts + p["cal_res_b"])
        * p["cal_res_scale"]
        * np.exp(p["cal_res_c_K"] / kelvin)
    )
    b_cap = (
        p["cyc_cap_a_per_V2"] * (volts - p["cyc_cap_v0_V"]) ** 2
        + p["cyc_cap_b"]
        + p["cyc_cap_d"] * dod
    )
    b_res = (
        p["cyc_res_a_per_V2"] * (volts - p["cyc_res_v0_V"]) ** 2
        + p["cyc_res_b"]
        + p["cyc_res_d"] * dod
    )
    loss = _power_sum(a_cap, dt, p["cal_p"]) + _power_sum(b_cap, throughput_Ah, 0.5)
    gain = _power_sum(a_res, dt, p["cal_p"]) + np.cumsum(
        np.maximum(b_res, 0.0) * throughput_Ah, axis=-1
    )
    return Ageing(loss, gain)


def _naumann(
    p: dict[str, Any], dt: Array, kelvin: Array, soc: Array, dod: Array, efc: Array, c_rate: Array
) -> Ageing:
    inv = 1.0 / kelvin - 1.0 / p["t_ref_K"]
    r_gas = p["gas_constant_J_per_molK"]
    k_cap = p["cal_cap_k_ref"] * np.exp(-p["cal_cap_ea_J_per_mol"] / r_gas * inv)
    k_cap = k_cap * (p["cal_cap_soc_c"] * (soc - 0.5) ** 3 + p["cal_cap_soc_d"])
    k_res = p["cal_res_k_ref"] * np.exp(-p["cal_res_ea_J_per_mol"] / r_gas * inv)
    k_res = k_res * (p["cal_res_soc_c"] * (soc - 0.5) ** 2 + p["cal_res_soc_d"])
    c_cap = (p["cyc_cap_a"] * c_rate + p["cyc_cap_b"]) * (
        p["cyc_cap_c"] * (dod - 0.6) ** 3 + p["cyc_cap_d"]
    )
    c_res = (p["cyc_res_a"] * c_rate + p["cyc_res_b"]) * (
        p["cyc_res_c"] * (dod - 0.5) ** 3 + p["cyc_res_d"]
    )
    seconds = dt * SECONDS_PER_DAY
    loss = _power_sum(k_cap, seconds, 0.5) + _power_sum(c_cap, efc, 0.5) / 100.0
    gain = np.cumsum(np.maximum(k_res, 0.0) * seconds, axis=-1)
    gain = gain + np.cumsum(np.maximum(c_res, 0.0) * efc, axis=-1) / 100.0
    return Ageing(loss, gain)
