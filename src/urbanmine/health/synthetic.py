"""Synthetic fleet telemetry: per-pack periodic BMS summaries following the telemetry schema.

Each block of packs is drawn (usage, climate, chemistry, cell spread: ``data/health/
synthetic.toml``), aged period by period with :func:`urbanmine.health.ageing.age` as numpy arrays
of shape (packs, periods), and written as one Parquet row group; memory stays bounded by the block
size however many rows are asked for. The same seed and arguments give the same data: block ``i``
draws from ``numpy.random.default_rng([seed, i])``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.health import ageing
from urbanmine.health.telemetry import COMM_LOSS
from urbanmine.materials.chemistry import CHEMISTRIES

PERIODS = {"month": "M", "week": "W", "day": "D"}
"""Reporting periods and their numpy datetime64 units."""
PER_YEAR = {"month": 12.0, "week": 365.25 / 7.0, "day": 365.25}
START = np.datetime64("2020-01-01", "D")
"""First reporting period of every pack (convention: packs enter service together)."""
BLOCK_ROWS = 1 << 20
"""Rows per row group: about 80 MB of columns in flight (convention: bounded memory)."""
SAFETY_BITS = np.array([1, 2, 4, 8], dtype=np.int32)


@dataclass(frozen=True)
class Written:
    """What :func:`generate` wrote: rows, row groups, periods per pack."""

    rows: int
    row_groups: int
    periods: int


def settings() -> dict[str, Any]:
    """The shipped ``synthetic.toml`` (every distribution with its reason)."""
    return load_toml("health", "synthetic.toml")


def default_mix() -> dict[str, float]:
    """Chemistry shares of the default fleet."""
    return {k: float(v) for k, v in settings()["mix"].items() if k != "source"}


def parse_mix(text: str) -> dict[str, float]:
    """``"NMC811=0.6,LFP=0.4"`` -> shares normalised to 1 (InputError naming the bad part)."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in CHEMISTRIES:
            raise InputError(
                f"--chemistry-mix: {name!r} is not a chemistry; allowed: {', '.join(CHEMISTRIES)}"
                " as NAME=SHARE pairs separated by commas, e.g. NMC811=0.6,LFP=0.4"
            )
        try:
            share = float(value)
        except ValueError:
            share = float("nan")
        if not np.isfinite(share) or share < 0:
            raise InputError(f"--chemistry-mix: share {value!r} of {name}; allowed: a number >= 0")
        mix[name] = share
    total = sum(mix.values())
    if total <= 0:
        raise InputError(f"--chemistry-mix: {text!r} has no positive share; allowed: shares > 0")
    return {k: v / total for k, v in mix.items()}


def periods_for(years: float, period: str) -> int:
    """Reporting periods per pack in ``years`` (at least one)."""
    if period not in PERIODS:
        raise InputError(f"--period: {period!r}; allowed: {', '.join(PERIODS)}")
    if not np.isfinite(years) or years <= 0 or years > 100:
        raise InputError(f"--years: {years:g}; allowed: a number of years in (0, 100]")
    return max(1, round(years * PER_YEAR[period]))


def generate(
    out: Path,
    packs: int,
    years: float,
    *,
    period: str = "month",
    seed: int = 0,
    mix: Mapping[str, float] | None = None,
    block_rows: int = BLOCK_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Write ``packs`` x periods telemetry rows to the Parquet file ``out`` (replaced whole: the
    rows go to ``out.part`` first and are renamed at the end, so a failure leaves no file)."""
    import pyarrow.parquet as pq

    from urbanmine.health.telemetry import schema

    if packs < 1:
        raise InputError(f"--packs: {packs}; allowed: a whole number >= 1")
    n_periods = periods_for(years, period)
    mix = dict(default_mix() if mix is None else mix)
    unit = PERIODS[period]
    edges = np.arange(START.astype(f"datetime64[{unit}]"), n_periods + 1).astype("datetime64[D]")
    if unit == "W":  # numpy weeks start on Thursday 1970-01-01: anchor them on START instead
        edges = START + 7 * np.arange(n_periods + 1)
    block = max(1, min(packs, block_rows // n_periods))
    total = packs * n_periods
    part = out.with_name(out.name + ".part")
    done = groups = 0
    try:
        with pq.ParquetWriter(
            part, _write_schema(schema()), compression="zstd", store_schema=False
        ) as w:
            for index, first in enumerate(range(0, packs, block)):
                size = min(block, packs - first)
                rng = np.random.default_rng([seed, index])
                w.write_table(_block(rng, first, size, edges, mix), row_group_size=size * n_periods)
                done += size * n_periods
                groups += 1
                if progress is not None:
                    progress(done, total)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return Written(rows=total, row_groups=groups, periods=n_periods)


def _write_schema(base: Any) -> Any:
    """The schema with string columns dictionary-encoded in memory (one string per pack, not per
    row); without the Arrow schema stored in the file they read back as plain strings."""
    import pyarrow as pa

    dict_type = pa.dictionary(pa.int32(), pa.string())
    fields = [base.field(n) for n in base.names if n != "soh"]
    return pa.schema([f.with_type(dict_type) if f.type == pa.string() else f for f in fields])


def _block(
    rng: np.random.Generator,
    first: int,
    size: int,
    edges: npt.NDArray[np.datetime64],
    mix: Mapping[str, float],
) -> Any:
    """One row group: ``size`` packs (global indices from ``first``) over every period."""
    import pyarrow as pa

    from urbanmine.health.telemetry import schema

    cfg = settings()
    use, pack, bms, faults = cfg["usage"], cfg["pack"], cfg["bms"], cfg["faults"]
    n = len(edges) - 1
    names = list(mix)
    chem = rng.choice(len(names), size=size, p=np.array([mix[k] for k in names]))
    is_lfp = np.array([k == "LFP" for k in names])[chem]

    # per pack (column vectors broadcast over periods)
    t_mean = rng.normal(use["ambient_mean_C"]["mean"], use["ambient_mean_C"]["sd"], size)
    t_amp = rng.uniform(use["ambient_amplitude_C"]["low"], use["ambient_amplitude_C"]["high"], size)
    km_day = use["daily_km"]["median"] * rng.lognormal(0.0, use["daily_km"]["sigma"], size)
    kwh = rng.uniform(use["pack_kWh"]["low"], use["pack_kWh"]["high"], size)
    volts = np.where(is_lfp, use["pack_voltage_V"]["LFP"], use["pack_voltage_V"]["NMC"])
    nominal_Ah = kwh * 1000.0 / volts
    soc = rng.uniform(use["mean_soc"]["low"], use["mean_soc"]["high"], size)
    every = rng.choice(np.array(use["charge_every_days"]["values"], dtype=float), size)
    efc_day = km_day * use["consumption_kWh_per_km"]["value"] / kwh
    dod = np.clip(efc_day * every, 0.01, 1.0)
    cap0 = rng.normal(
        pack["initial_capacity_share"]["mean"], pack["initial_capacity_share"]["sd"], size
    )
    fade = rng.lognormal(0.0, pack["fade_multiplier_sigma"]["value"], size)
    r0 = np.where(is_lfp, pack["resistance_mohm"]["LFP"], pack["resistance_mohm"]["NMC"])
    r0 = r0 * (1.0 + pack["resistance_mohm"]["sd_share"] * rng.standard_normal(size))

    # per period
    dt = np.diff(edges).astype(float)
    mid_doy = (edges[:-1] - edges[:-1].astype("datetime64[Y]")).astype(float) + dt / 2
    season = np.cos(2.0 * np.pi * (mid_doy - 196.0) / 365.25)  # warmest mid-July (north)
    temp = (t_mean + use["cell_above_ambient_C"]["value"])[:, None] + t_amp[:, None] * season
    usage = rng.lognormal(0.0, use["usage_period_sigma"]["value"], (size, n))
    efc = efc_day[:, None] * dt * usage

    loss = np.empty((size, n))
    gain = np.empty((size, n))
    for model in ("schmalstieg2014", "naumann2018_2020"):
        rows = np.array([ageing.model_for(k) == model for k in names])[chem]
        if rows.any():
            a = ageing.age(
                model,
                dt,
                temp[rows],
                soc[rows, None],
                dod[rows, None],
                efc[rows],
                use["c_rate"]["value"],
            )
            loss[rows], gain[rows] = a.capacity_loss, a.resistance_gain
    true_share = np.clip(cap0[:, None] - fade[:, None] * loss, 0.0, None)
    capacity = (
        nominal_Ah[:, None]
        * true_share
        * (1.0 + bms["capacity_noise_share"]["value"] * rng.standard_normal((size, n)))
    )
    resistance = r0[:, None] * (1.0 + fade[:, None] * gain)
    resistance = resistance * (
        1.0 + bms["resistance_noise_share"]["value"] * rng.standard_normal((size, n))
    )
    t_min = temp - rng.exponential(bms["temp_spread_C"]["below"], (size, n))
    t_max = temp + rng.exponential(bms["temp_spread_C"]["above"], (size, n))

    flags = _faults(rng, size, n, dt, faults)
    ids = np.char.add("P", np.char.zfill(np.arange(first, first + size).astype(str), 10))
    pack_idx = np.repeat(np.arange(size, dtype=np.int32), n)
    chem_names = pa.array(names, pa.string())
    times = np.broadcast_to(edges[:-1].astype("datetime64[us]"), (size, n)).ravel()
    columns = {
        "pack_id": pa.DictionaryArray.from_arrays(pa.array(pack_idx), pa.array(ids, pa.string())),
        "chemistry": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(chem.astype(np.int32), n)), chem_names
        ),
        "time": pa.array(times, pa.timestamp("us", tz="UTC")),
        "cycle_count": np.floor(np.cumsum(efc, axis=1)).astype(np.int64).ravel(),
        "capacity_Ah": capacity.ravel(),
        "nominal_capacity_Ah": np.repeat(nominal_Ah, n),
        "resistance_mohm": resistance.ravel(),
        "temp_min_C": t_min.ravel(),
        "temp_mean_C": temp.ravel(),
        "temp_max_C": t_max.ravel(),
        "fault_flags": flags.ravel(),
    }
    return pa.table(columns, schema=_write_schema(schema()))


def _faults(
    rng: np.random.Generator, size: int, n: int, dt: npt.NDArray[np.float64], faults: dict[str, Any]
) -> npt.NDArray[np.int32]:
    """Latched safety flags (an exponential time to event per pack) and random comm losses."""
    years_end = np.cumsum(dt) / 365.25
    event_year = rng.exponential(1.0 / faults["safety_per_pack_year"]["value"], size)
    bit = rng.choice(SAFETY_BITS, size)
    flags = np.where(years_end[None, :] > event_year[:, None], bit[:, None], 0).astype(np.int32)
    lost = rng.random((size, n)) < faults["comm_loss_per_period"]["value"]
    return flags | np.where(lost, COMM_LOSS, 0).astype(np.int32)
