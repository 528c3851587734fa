"""``urbanmine network``: where and when to site collection hubs, pretreatment plants and
refineries, on a real solver (docs/network.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, StderrProgress, guarded, out, print_json, table
from urbanmine.errors import InputError

STAGES = 5
"""Stages reported on stderr: sites and sources, fleet, yields and costs, build, solve."""


def network_cmd(
    file: Path | None = typer.Argument(
        None,
        help="Network TOML ([[sources]], [[sites]], [transport], [options], [routes]) or a "
        "scenario with a [network] section (default: the built-in region).",
    ),
    region: str | None = typer.Option(
        None, "--region", help="Built-in region, europe or china (overrides the file's)."
    ),
    map_file: Path | None = typer.Option(
        None, "--map", help="Write an offline HTML map of the plan to this file."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for tidy tables (sites, flows, unprocessed, by year)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Plan a recycling network: sites opened per period, flows, cost per kWh and per tonne,
    transport share, emissions and what is left unprocessed."""
    _run(file, region, map_file, out_dir, as_json)


@guarded
def _run(
    file: Path | None,
    region: str | None,
    map_file: Path | None,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    from urbanmine.fleet.scenario import REGIONS
    from urbanmine.network.plan import plan
    from urbanmine.network.scenario import network_section, read_network
    from urbanmine.tables import check_out_dir, write_tables

    if region is not None and region not in REGIONS:
        raise InputError(f"--region: {region!r} is not a built-in region; use one of {REGIONS}")
    if out_dir is not None:
        check_out_dir(out_dir)
    if map_file is not None:
        _check_map(map_file)
    if file is not None and not file.is_file():
        raise InputError(f"{file}: no such network file")
    section = read_network(file) if file is not None else network_section(None)
    if region is not None and region != section.region:
        section = network_section({**section.model_dump(exclude_unset=True), "region": region})
    fleet = _fleet_section(file)
    with StderrProgress() as bar:
        done = 0

        def stage(what: str) -> None:
            nonlocal done
            done += 1
            bar.update(f"network: {what}", done, STAGES)

        result = plan(section, fleet, progress=stage).result
    if map_file is not None:
        from urbanmine.network.mapview import write_map

        write_map(result, result["region"], map_file)
    if out_dir is not None:
        written = write_tables(tables(result), out_dir)
        if not as_json:
            out.print(f"wrote {', '.join(written)} to {escape(str(out_dir))}", highlight=False)
    if as_json:
        print_json(result)
        return
    _summary(result)
    if map_file is not None:
        out.print(f"map: {escape(str(map_file))}", highlight=False)


def _check_map(path: Path) -> None:
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--map {path}: the map is an HTML file; give a name ending in .html")
    if path.exists() and path.is_dir():
        raise InputError(f"--map {path}: is a folder; give a file name ending in .html")
    if not path.parent.is_dir():
        raise InputError(f"--map {path}: the folder {path.parent} does not exist")


def _fleet_section(file: Path | None) -> Any:
    """The ``[fleet]`` section of a scenario file, when the file has one."""
    if file is None:
        return None
    import tomllib

    from urbanmine.fleet.scenario import fleet_section

    data = tomllib.loads(file.read_text(encoding="utf-8"))
    return fleet_section(data["fleet"]) if "fleet" in data else None


def tables(result: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """The plan as tidy tables: one row per site and year, flow, unprocessed lot, and year."""
    sites: dict[str, list[Any]] = {
        k: [] for k in ("site", "tier", "status", "lat", "lon", "year", "capacity_t", "intake_t")
    }
    sites["utilisation"] = []
    for s in result["sites"]:
        for y in map(str, result["years"]):
            for k, v in (
                ("site", s["name"]),
                ("tier", s["tier"]),
                ("status", s["status"]),
                ("lat", s["lat"]),
                ("lon", s["lon"]),
                ("year", int(y)),
                ("capacity_t", s["capacity_t"][y]),
                ("intake_t", s["intake_t"][y]),
                ("utilisation", s["utilisation"][y]),
            ):
                sites[k].append(v)
    flows = _columns(
        result["flows"],
        {"from": "from", "to": "to", "commodity": "commodity", "year": "year"}
        | {"t_per_year": "t", "km": "km"},
    )
    unprocessed = _columns(
        result["unprocessed"],
        {"node": "node", "commodity": "commodity", "year": "year"}
        | {"t_per_year": "t", "reason": "reason"},
    )
    years = {"year": list(result["years"])}
    for name, series in result["by_year"].items():
        years[f"{name}_per_year"] = [series[str(y)] for y in result["years"]]
    return {"sites": sites, "flows": flows, "unprocessed": unprocessed, "years": years}


def _columns(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, list[Any]]:
    """Columns named by ``names`` (column -> key of a row) of a list of rows."""
    return {column: [row[key] for row in rows] for column, key in names.items()}


def _summary(r: dict[str, Any]) -> None:
    state = "optimal" if r["optimal"] else f"{r['status']} (NOT proved optimal)"
    out.print(
        f"network {r['region']}: {state}, gap {r['gap']:.2%}, solved in "
        f"{r['solve_seconds']:.1f} s ({r['model']['variables']:,} variables, "
        f"{r['model']['integers']:,} integer)",
        highlight=False,
    )
    tiers = [
        t
        for t in ("collection", "pretreatment", "refining")
        if any(s["tier"] == t for s in r["sites"])
    ]
    t = table(
        "year",
        "supply kt",
        "left kt",
        *(f"{tier} kt (sites)" for tier in tiers),
        "transport M EUR",
        "GHG kt",
    )
    by = r["by_year"]
    for y in map(str, r["years"]):
        left = sum(u["t"] for u in r["unprocessed"] if str(u["year"]) == y)
        cells = []
        for tier in tiers:
            used = [s for s in r["sites"] if s["tier"] == tier and s["capacity_t"][y] > 0]
            cells.append(f"{sum(s['capacity_t'][y] for s in used) / 1e3:,.0f} ({len(used)})")
        t.add_row(
            y,
            f"{sum(s['supply_t'][y] for s in r['sources']) / 1e3:,.0f}",
            f"{left / 1e3:,.0f}",
            *cells,
            f"{by['transport_eur'][y] / 1e6:,.1f}",
            f"{(by['transport_ghg_t'][y] + by['plant_ghg_t'][y]) / 1e3:,.0f}",
        )
    out.print(t)
    opened = table("site", "tier", "status", "opened", f"capacity {r['years'][-1]} kt")
    last = str(r["years"][-1])
    for s in r["sites"]:
        if s["opened_year"] is not None and s["status"] not in ("operating",):
            opened.add_row(
                escape(s["name"]),
                s["tier"],
                s["status"],
                str(s["opened_year"]),
                f"{s['capacity_t'][last] / 1e3:,.1f}",
            )
    out.print(opened)
    out.print(
        f"cost {r['cost_eur'] / 1e9:,.2f} bn EUR over the horizon: {r['cost_per_t_eur']:,.0f} "
        f"EUR/t, {r['cost_per_kWh_eur']:,.2f} EUR/kWh; transport {r['transport_share']:.1%}; "
        f"GHG {r['ghg_t'] / 1e6:,.2f} Mt CO2e; unprocessed {r['unprocessed_t'] / 1e3:,.0f} kt",
        highlight=False,
    )
