"""``urbanmine run``: the main job, a scenario end to end (docs/scenario.md, "Run")."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, StderrProgress, guarded, out, print_json, table
from urbanmine.errors import InputError


def run_cmd(
    scenario: Path | None = typer.Argument(
        None, help="Scenario TOML (default: the built-in scenario of the region)."
    ),
    region: str | None = typer.Option(
        None, "--region", help="europe or china: the built-in scenario, or the file's region."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Output folder (default: out/<scenario name>/)."
    ),
    samples: int | None = typer.Option(
        None, "--samples", help="Monte Carlo samples (overrides the scenario's)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress and no summary on screen."),
    as_json: bool = JsonOpt,
) -> None:
    """The closed loop of a scenario: fleet, network, flowsheets, impacts, compliance; writes
    summary.json, tables and report.html."""
    _run(scenario, region, out_dir, samples, quiet, as_json)


@guarded
def _run(
    path: Path | None,
    region: str | None,
    out_dir: Path | None,
    samples: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from urbanmine.fleet.scenario import REGIONS
    from urbanmine.scenario import builtin
    from urbanmine.scenario.model import validate
    from urbanmine.scenario.run import STAGES, run_scenario

    if region is not None and region not in REGIONS:
        raise InputError(f"--region: {region!r} is not a built-in region; use one of {REGIONS}")
    if samples is not None and not 0 <= samples <= 100_000:
        raise InputError(f"--samples: {samples}; allowed: a whole number from 0 to 100000")
    if path is not None:
        if not path.is_file():
            raise InputError(f"{path}: no such scenario file")
        from urbanmine.scenario.model import read_toml

        raw = read_toml(path)
        where = str(path)
    else:
        raw = tomllib.loads(builtin.text(builtin.DEFAULT[region or "europe"]))
        where = f"built-in scenario {builtin.DEFAULT[region or 'europe']}"
    # overrides go where they belong; a malformed table is left for validation to name
    if region is not None and isinstance(raw.get("scenario"), dict):
        raw["scenario"]["region"] = region
        for section in ("fleet", "network"):
            if isinstance(raw.get(section), dict):
                raw[section].pop("region", None)
    if samples is not None and isinstance(raw.setdefault("uncertainty", {}), dict):
        raw["uncertainty"]["samples"] = samples
    scenario = validate(raw, where)
    target = out_dir or Path("out") / scenario.scenario.name
    _check_out(target)
    with StderrProgress() as bar:
        done = 0

        def stage(name: str) -> None:
            nonlocal done
            done += 1
            if not quiet:
                bar.update(f"run: {name}", done, len(STAGES))

        result = run_scenario(scenario, progress=stage)
    written = _write(result, target)
    if as_json:
        print_json(result.summary)
    elif not quiet:
        _print(result.summary)
        out.print(f"wrote {', '.join(written)} to {escape(str(target))}", highlight=False)
        out.print(f"report: {escape(str((target / 'report.html').resolve()))}", highlight=False)


def _check_out(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: is a file; give a folder (it is created if absent)")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)


def _write(result: Any, target: Path) -> list[str]:
    """summary.json, the tables and the report into a temporary folder beside ``target``, moved
    into place only once all are written."""
    from urbanmine.tables import write_tables

    staging = Path(tempfile.mkdtemp(prefix=".run-", dir=target.parent))
    try:
        from urbanmine.report.html import write_report

        started = time.perf_counter()
        write_tables(_tables(result), staging / "tables")
        write_report(result.summary, result.network, staging / "report.html")
        result.summary["stage_seconds"]["outputs"] = time.perf_counter() - started
        (staging / "summary.json").write_text(
            json.dumps(result.summary, indent=1, allow_nan=False), encoding="utf-8"
        )
        target.mkdir(exist_ok=True)
        written = sorted(p.name for p in staging.iterdir())
        for name in written:
            dest = target / name
            if dest.is_dir():
                shutil.rmtree(dest)
            os.replace(staging / name, dest)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


MAIN_FEED = "batteries"
"""The ``feed`` column's value for the fleet's batteries (the other feeds go by their names)."""


def _tables(result: Any) -> dict[str, dict[str, list[Any]]]:
    """One tidy table each, units in the column names; the ``feed`` column tells the fleet's
    batteries from the scenario's other feeds."""
    s = result.summary
    parts = [(MAIN_FEED, s)] + [(o["feed"], o) for o in s.get("other_feeds", [])]
    tables: dict[str, dict[str, list[Any]]] = {
        "feedstock": {"feed": [], "year": [], "feedstock_t": []},
        "products": {"feed": [], "product": [], "year": [], "t": []},
        "impacts": {"feed": [], "step": [], "t_co2e": []},
        "verdicts": {
            k: [str(v.get(k)) if v.get(k) is not None else None for v in s["compliance"]]
            for k in ("rule", "verdict", "on", "value", "threshold", "source")
        },
    }
    for feed, part in parts:
        _rows(tables["feedstock"], feed, {"": part["feedstock_t"]}, "feedstock_t")
        _rows(tables["products"], feed, part["products_t"], "t", "product")
        for step in part["key_carbon_steps"]:
            tables["impacts"]["feed"].append(feed)
            tables["impacts"]["step"].append(step["step"])
            tables["impacts"]["t_co2e"].append(step["t_co2e"])
    if result.network is not None:
        from urbanmine.commands.network import tables as network_tables

        net = network_tables(result.network)
        tables["sites"] = net["sites"]
        tables["flows"] = net["flows"]
    return tables


def _rows(
    table: dict[str, list[Any]],
    feed: str,
    series: dict[str, dict[str, float]],
    value: str,
    name: str | None = None,
) -> None:
    """Append each ``series[key][year]`` as a row (feed, [name,] year, value)."""
    for key, by_year in series.items():
        for y, v in by_year.items():
            table["feed"].append(feed)
            if name is not None:
                table[name].append(key)
            table["year"].append(int(y))
            table[value].append(v)


def _print(s: dict[str, Any]) -> None:
    years = [y for y in (2025, 2030, 2035, 2040, 2045, 2050) if str(y) in s["feedstock_t"]]
    t = table("year", "feedstock kt", "pretreatment capacity kt", "collection", title=s["title"])
    for y in map(str, years):
        rate = s["collection_rate"].get(y)
        t.add_row(
            y,
            f"{s['feedstock_t'][y] / 1e3:,.0f}",
            f"{s['capacity_t'].get(y, 0.0) / 1e3:,.0f}" if s["capacity_t"].get(y) else "-",
            f"{rate:.0%}" if rate is not None else "-",
        )
    out.print(t)
    rec = ", ".join(
        f"{el} {v:.0%}" for el, v in s["recovery"].items() if el in ("Li", "Ni", "Co", "Mn", "Cu")
    )
    ghg = s["ghg"]
    out.print(
        f"recovery: {rec}; recycling efficiency {s['recycling_efficiency']:.1%}\n"
        f"GHG {ghg['burden_t_co2e'] / 1e6:,.1f} Mt CO2e emitted, {ghg['avoided_t_co2e'] / 1e6:,.1f} Mt "
        f"avoided against mined material (net {ghg['total_t_co2e'] / 1e6:,.1f} Mt)\n"
        f"cost {s['cost']['total_eur'] / 1e9:,.1f} bn EUR: {s['cost']['per_t_eur']:,.0f} EUR/t, "
        f"{s['cost']['per_kWh_eur']:,.2f} EUR/kWh",
        highlight=False,
    )
    failing = [v for v in s["compliance"] if v["verdict"] == "fail"]
    out.print(
        f"compliance: {sum(v['verdict'] == 'pass' for v in s['compliance'])} pass, "
        f"{len(failing)} fail"
        + (
            ": " + ", ".join(escape(f"{v['rule']} on {v['on']}") for v in failing[:6])
            if failing
            else ""
        ),
        highlight=False,
    )
