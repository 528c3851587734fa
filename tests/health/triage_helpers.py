"""Hand-built telemetry for the triage tests: one row per pack and 30-day period."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2025-01-01", tz="UTC")
NOMINAL_AH = 50.0


def pack(
    pid: str,
    soh: list[float],
    r_mohm: list[float] | None = None,
    chemistry: str = "NMC811",
    flags: list[int] | None = None,
    start_days: float = 0.0,
) -> pd.DataFrame:
    """A pack's periods: capacity = soh x 50 Ah, resistance as given (default flat 1 mOhm)."""
    n = len(soh)
    return pd.DataFrame(
        {
            "pack_id": pid,
            "chemistry": chemistry,
            "time": [T0 + pd.Timedelta(days=start_days + 30 * i) for i in range(n)],
            "cycle_count": np.arange(n, dtype="int64") * 25,
            "capacity_Ah": np.asarray(soh) * NOMINAL_AH,
            "nominal_capacity_Ah": NOMINAL_AH,
            "resistance_mohm": r_mohm or [1.0] * n,
            "temp_min_C": -5.0 - np.arange(n),
            "temp_mean_C": 20.0,
            "temp_max_C": 35.0 + np.arange(n),
            "fault_flags": np.asarray(flags or [0] * n, dtype="int32"),
        }
    )


def telemetry(*packs: pd.DataFrame) -> pd.DataFrame:
    df = pd.concat(packs, ignore_index=True)
    df["time"] = df["time"].astype("datetime64[us, UTC]")
    return df


def run(df: pd.DataFrame, rules: Any = None, kind: str = "duckdb") -> Any:
    from urbanmine.health.engine import opened
    from urbanmine.health.triage import triage
    from urbanmine.health.triage_rules import load_rules

    with opened(kind) as con:
        return triage(con.create_table("telemetry", df, overwrite=True), rules or load_rules())


def by_pack(result: Any) -> dict[str, dict[str, Any]]:
    return {row["pack_id"]: row for row in result.packs.to_pylist()}
