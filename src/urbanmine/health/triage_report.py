"""What ``urbanmine health triage`` writes: tidy tables (units in the column names), the summary
and the fleet model's second-life share (a ``[fleet.second_life]`` TOML snippet)."""

from __future__ import annotations

from typing import Any

from urbanmine.errors import InputError
from urbanmine.health.triage import TriageResult, fleet_statistics
from urbanmine.tables import Columns


def summary(result: TriageResult, telemetry: str, engine: str, rules_file: str) -> dict[str, Any]:
    """Counts per decision, fleet statistics per chemistry and what produced them."""
    fleet = fleet_statistics(result)
    return {
        "telemetry": telemetry,
        "engine": engine,
        "rules": {
            "file": rules_file,
            "version": result.rules.meta.version,
            "date": result.rules.meta.date,
        },
        "packs": fleet["all"]["packs"],
        "counts": fleet["all"]["counts"],
        "shares": fleet["all"]["shares"],
        "by_chemistry": {k: v for k, v in fleet.items() if k != "all"},
        "soh_quantiles": fleet["all"]["soh_quantiles"],
    }


def tables(result: TriageResult, data: dict[str, Any]) -> dict[str, Columns]:
    """``triage_packs`` (one row per pack), ``triage_fleet`` (packs and share per chemistry and
    decision, chemistry ``all`` for the fleet) and ``triage_soh_quantiles``."""
    groups = {"all": {k: data[k] for k in ("packs", "counts", "shares", "soh_quantiles")}}
    groups |= data["by_chemistry"]
    fleet: Columns = {"chemistry": [], "decision": [], "packs": [], "share": []}
    quantiles: Columns = {"chemistry": [], "quantile": [], "soh_share": []}
    for chemistry, stats in groups.items():
        for decision, packs in stats["counts"].items():
            fleet["chemistry"].append(chemistry)
            fleet["decision"].append(decision)
            fleet["packs"].append(packs)
            fleet["share"].append(stats["shares"][decision])
        for name, value in stats["soh_quantiles"].items():
            quantiles["chemistry"].append(chemistry)
            quantiles["quantile"].append(int(name[1:]) / 100)
            quantiles["soh_share"].append(value)
    return {
        "triage_packs": result.packs.to_pydict(),
        "triage_fleet": fleet,
        "triage_soh_quantiles": quantiles,
    }


def second_life_toml(data: dict[str, Any], telemetry: str) -> str:
    """The repurpose share as the fleet model's ``[fleet.second_life] share``: packs repurposed
    over packs with a decision (reuse, repurpose or recycle; packs with insufficient data left
    out). The fleet model takes one share for every chemistry, so the fleet-level share is the
    value and the shares by chemistry are comments."""
    lines = [
        f"# Second-life (repurpose) share from `urbanmine health triage {telemetry}`,",
        f"# rules {data['rules']['version']} ({data['rules']['date']}): packs repurposed for "
        "stationary storage / packs with a decision",
        "# (reuse, repurpose or recycle; packs with insufficient data are left out).",
    ]
    decided = _decided(data["counts"])
    if decided == 0:
        raise InputError(
            "--second-life-share: no pack has a decision (all have insufficient data); "
            "no share to write"
        )
    for chemistry, stats in data["by_chemistry"].items():
        n = _decided(stats["counts"])
        share = stats["counts"]["repurpose"] / n if n else None
        shown = (
            "no pack decided"
            if share is None
            else f"{share:.6g} ({stats['counts']['repurpose']} of {n})"
        )
        lines.append(f"# {chemistry}: {shown}")
    share = data["counts"]["repurpose"] / decided
    lines += ["[fleet.second_life]", f"share = {share!r}", ""]
    return "\n".join(lines)


def _decided(counts: dict[str, int]) -> int:
    return counts["reuse"] + counts["repurpose"] + counts["recycle"]
