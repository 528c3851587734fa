"""Per-pack health features and the second-life triage decision, written once as Ibis expressions
that run unchanged on DuckDB and on PySpark (``urbanmine.health.engine``); fleet statistics.

Input: the telemetry table (one row per pack per reporting period; columns in
docs/health-triage.md). Features per pack, over all its rows (the "window" is the file given):

- ``soh_share``: state of health of the latest reporting period (mean over that period's rows):
  ``soh`` when given, else ``capacity_Ah / nominal_capacity_Ah``;
- ``soh_trend_per_yr``: least-squares slope of SOH against time (share per year; empty with one
  period);
- ``resistance_ratio``: mean DC resistance of the latest period over that of the first
  (baseline) period;
- ``cycle_count`` (latest, the largest), ``temp_min_C`` / ``temp_max_C`` (extremes over all rows);
- ``safety_flags``: the safety bits (rule file's ``safety.flags_mask``) seen in any row, OR-ed;
- coverage: ``rows``, ``span_days`` (first to last reading) and ``stale_days`` (last reading to
  the newest reading in the whole file, the data set's as-of time).

The portable core uses group_by / aggregate / join only, no window functions
(battery-health.md §3.1: Polars has no window translation; DuckDB and Spark have).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from urbanmine.health.triage_rules import DECISIONS, RULES, TriageRules

DAY_S = 86_400.0
YEAR_S = 365.25 * DAY_S
"""Julian year in seconds: the unit of the SOH trend."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""SOH quantiles reported per chemistry (linear interpolation, numpy's default)."""
REQUIRED = (
    "pack_id",
    "chemistry",
    "time",
    "cycle_count",
    "capacity_Ah",
    "nominal_capacity_Ah",
    "resistance_mohm",
    "temp_min_C",
    "temp_max_C",
    "fault_flags",
)
"""Telemetry columns the triage reads (``soh`` is optional; ``temp_mean_C`` is not used)."""
PACK_COLUMNS = (
    "pack_id",
    "chemistry",
    "decision",
    "rule_id",
    "soh_share",
    "resistance_ratio",
    "safety_flags",
    "rows",
    "stale_days",
    "span_days",
    "soh_trend_per_yr",
    "cycle_count",
    "capacity_latest_Ah",
    "nominal_capacity_Ah",
    "resistance_baseline_mohm",
    "resistance_latest_mohm",
    "temp_min_C",
    "temp_max_C",
    "last_time",
)


def _bits(mask: int) -> list[int]:
    """The single-bit values set in ``mask``."""
    return [1 << i for i in range(mask.bit_length()) if mask >> i & 1]


def pack_features(t: Any, flags_mask: int) -> Any:
    """One row per pack with the features above (an Ibis expression over telemetry ``t``)."""
    import ibis

    measured = t.capacity_Ah / t.nominal_capacity_Ah
    soh = ibis.coalesce(t.soh, measured) if "soh" in t.columns else measured
    rows = t.mutate(soh_=soh.cast("float64"), x_s=t.time.epoch_seconds().cast("float64"))
    ends = rows.group_by("pack_id").aggregate(
        chemistry=rows.chemistry.min(),
        first_s=rows.x_s.min(),
        last_s=rows.x_s.max(),
        last_time=rows.time.max(),
    )
    joined = rows.join(ends, "pack_id")
    u = (joined.x_s - joined.first_s) / YEAR_S
    y = joined.soh_
    flags = {f"bit_{b}": ((joined.fault_flags & b) != 0).any() for b in _bits(flags_mask)}
    whole = joined.group_by("pack_id").aggregate(
        rows=joined.count(),
        su=u.sum(),
        sy=y.sum(),
        suu=(u * u).sum(),
        suy=(u * y).sum(),
        cycle_count=joined.cycle_count.max(),
        temp_min_C=joined.temp_min_C.min(),
        temp_max_C=joined.temp_max_C.max(),
        **flags,
    )
    latest = (
        joined.filter(joined.x_s == joined.last_s)
        .group_by("pack_id")
        .aggregate(
            soh_share=joined.soh_.mean(),
            capacity_latest_Ah=joined.capacity_Ah.mean(),
            nominal_capacity_Ah=joined.nominal_capacity_Ah.mean(),
            resistance_latest_mohm=joined.resistance_mohm.mean(),
        )
    )
    baseline = (
        joined.filter(joined.x_s == joined.first_s)
        .group_by("pack_id")
        .aggregate(resistance_baseline_mohm=joined.resistance_mohm.mean())
    )
    as_of = rows.aggregate(as_of_s=rows.x_s.max())
    p = ends.join(whole, "pack_id").join(latest, "pack_id").join(baseline, "pack_id")
    p = p.cross_join(as_of)
    n = p.rows.cast("float64")
    denominator = n * p.suu - p.su * p.su
    safety = ibis.literal(0)
    for b in _bits(flags_mask):
        safety = safety + p[f"bit_{b}"].ifelse(b, 0)
    return p.mutate(
        resistance_ratio=p.resistance_latest_mohm / p.resistance_baseline_mohm,
        safety_flags=safety.cast("int64"),
        stale_days=(p.as_of_s - p.last_s) / DAY_S,
        span_days=(p.last_s - p.first_s) / DAY_S,
        soh_trend_per_yr=(denominator > 0).ifelse(
            (n * p.suy - p.su * p.sy) / denominator, ibis.null("float64")
        ),
    )


def decide(features: Any, rules: TriageRules) -> Any:
    """The features with ``rule_id`` (the first rule of ``RULES`` that holds) and ``decision``."""
    import ibis

    f = features
    reuse, repurpose, least = rules.reuse, rules.repurpose, rules.minimum_data
    unknown = f.soh_share.isnull() | f.resistance_ratio.isnull() | f.resistance_ratio.isnan()
    rule_id = ibis.cases(
        (f.safety_flags != 0, "safety_flag"),
        (
            (f.rows < least.min_rows) | (f.stale_days > least.max_stale_days) | unknown,
            "minimum_data",
        ),
        (
            (f.soh_share >= reuse.min_soh) & (f.resistance_ratio <= reuse.max_resistance_ratio),
            "reuse",
        ),
        (
            (f.soh_share >= repurpose.min_soh)
            & (f.resistance_ratio <= repurpose.max_resistance_ratio),
            "repurpose",
        ),
        else_="below_repurpose",
    )
    f = f.mutate(rule_id=rule_id)
    decision = ibis.cases(*((f.rule_id == r, d) for r, (d, _) in RULES.items()))
    return f.mutate(decision=decision).select(*PACK_COLUMNS).order_by("pack_id")


def decision_counts(decided: Any) -> Any:
    """Packs per chemistry and decision (an Ibis expression)."""
    return (
        decided.group_by("chemistry", "decision")
        .aggregate(packs=decided.count())
        .order_by("chemistry", "decision")
    )


@dataclass(frozen=True)
class TriageResult:
    """Per-pack decisions (pyarrow Table, ``PACK_COLUMNS``), packs per chemistry and decision
    (pyarrow Table: chemistry, decision, packs) and the rules that made them."""

    packs: Any
    counts: Any
    rules: TriageRules


def triage(t: Any, rules: TriageRules) -> TriageResult:
    """Run the triage expression on telemetry table ``t`` (any Ibis backend)."""
    import pyarrow as pa

    # materialised once in the backend: the packs and their counts both read it
    decided = decide(pack_features(t, rules.safety.flags_mask), rules).cache()
    packs = decided.to_pyarrow()
    i = packs.schema.get_field_index("last_time")
    unit = packs.schema.field(i).type.unit
    # Spark hands timestamps back without a zone (its session zone is UTC, engine.SPARK_CONF)
    packs = packs.set_column(i, "last_time", packs.column(i).cast(pa.timestamp(unit, tz="UTC")))
    return TriageResult(packs, decision_counts(decided).to_pyarrow(), rules)


def fleet_statistics(result: TriageResult) -> dict[str, Any]:
    """Counts and shares of packs per decision, overall and per chemistry, and SOH quantiles
    (of packs with a state of health) per chemistry; shares are of all packs of that group."""
    import numpy as np

    counts = result.counts.to_pydict()
    chem = np.asarray(counts["chemistry"], dtype=object)
    dec = np.asarray(counts["decision"], dtype=object)
    packs = np.asarray(counts["packs"], dtype=np.int64)
    groups = {"all": np.ones(chem.shape, bool)} | {c: chem == c for c in sorted(set(chem))}
    soh_col = np.asarray(result.packs.column("soh_share").to_numpy(zero_copy_only=False), float)
    soh_chem = np.asarray(result.packs.column("chemistry").to_pylist(), dtype=object)
    out: dict[str, Any] = {}
    for name, mask in groups.items():
        total = int(packs[mask].sum())
        by = {d: int(packs[mask & (dec == d)].sum()) for d in DECISIONS}
        values = soh_col[(soh_chem == name) if name != "all" else slice(None)]
        values = values[np.isfinite(values)]
        quantiles = (
            np.quantile(values, QUANTILES).tolist() if values.size else [None] * len(QUANTILES)
        )
        out[name] = {
            "packs": total,
            "counts": by,
            "shares": {d: (by[d] / total if total else 0.0) for d in DECISIONS},
            "soh_quantiles": dict(
                zip((f"q{round(q * 100):02d}" for q in QUANTILES), quantiles, strict=True)
            ),
        }
    return out
