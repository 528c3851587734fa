"""``urbanmine flowsheet`` (a feed through a route, with impacts, costs and verdicts on request)
and ``urbanmine run`` (the main job)."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from urbanmine.commands.common import JsonOpt, err, guarded, out, print_json
from urbanmine.commands.feeds import PresetOpt
from urbanmine.commands.impacts import LOCATION_HELP
from urbanmine.errors import InputError
from urbanmine.materials.feeds import DEFAULT_PRESET, get_feed
from urbanmine.routes.run import RouteResult, run


def _run_with_progress(
    feed_name: str,
    route: str,
    mass_kg: float | None,
    kwh: float | None,
    preset: str,
    samples: int,
    seed: int | None,
    quiet: bool,
) -> RouteResult:
    if samples < 1:
        raise InputError(f"--samples must be at least 1, got {samples}")
    feed = get_feed(feed_name, preset)
    feed = feed.scaled(
        mass_kg=mass_kg if (mass_kg is not None or kwh is not None) else 1.0, kwh=kwh
    )
    if samples < 20_000 or quiet:
        return run(feed, route, samples, seed)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("samples", total=samples)
        return run(
            feed, route, samples, seed, progress=lambda done: bar.update(task, completed=done)
        )


def _print_result(d: dict[str, Any]) -> None:
    f = d["feed"]
    out.print(
        f"[bold]{f['name']}[/] {f['mass_kg']:.6g} kg ({f['capacity_kWh']:.4g} kWh) "
        f"through [bold]{d['route']}[/]"
    )
    table = Table("output", "fate", "kg", "main species")
    for o in d["outputs"]:
        main = ", ".join(
            f"{k} {v:.4g}" for k, v in sorted(o["species_kg"].items(), key=lambda kv: -kv[1])[:3]
        )
        table.add_row(o["name"], o["fate"], f"{o['mass_kg']:.6g}", main)
    out.print(table)
    rec = Table("element", "recovery")
    for el, v in d["recovery"].items():
        if el in ("Li", "Ni", "Co", "Mn", "Cu", "Al", "Fe", "C"):
            rec.add_row(el, f"{v:.1%}")
    out.print(rec)
    inv = d["inventory"]
    out.print(
        f"recycling efficiency {d['recycling_efficiency']:.1%}; electricity "
        f"{inv['electricity_kWh']:.4g} kWh, natural gas {inv['natural_gas_MJ']:.4g} MJ, "
        f"diesel {inv['diesel_MJ']:.4g} MJ, water {inv['water_kg']:.4g} kg"
    )
    out.print("reagents: " + ", ".join(f"{k} {v:.4g} kg" for k, v in inv["reagents_kg"].items()))
    out.print(f"element balance: max relative error {d['balance']['max_relative_error']:.2g}")
    _print_asymmetric(d)


def _print_asymmetric(d: dict[str, Any]) -> None:
    """Say which asymmetric distributions move the Monte Carlo means off the point values."""
    shifted = d.get("asymmetric")
    if not shifted:
        return
    out.print(
        f"means of {d['samples']} samples differ from a run at the cited point values: "
        "these parameters' distributions have a mean other than their point value"
    )
    for a in shifted:
        rel = a["relative_difference"]
        out.print(
            f"  {a['parameter']}: point value {a['value']:.6g}, distribution mean "
            f"{a['distribution_mean']:.6g}" + (f" ({rel:+.2%})" if rel is not None else "")
        )


@guarded
def flowsheet_cmd(
    feed: str,
    route: str = typer.Option(..., "--route", help="Route name(s) joined by '+', or a .toml file."),
    mass_kg: float | None = typer.Option(None, "--mass-kg", help="Feed mass, kg (default 1)."),
    kwh: float | None = typer.Option(None, "--kwh", help="Feed capacity, kWh."),
    preset: str = PresetOpt,
    samples: int = typer.Option(1, "--samples", help="Monte Carlo samples."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    impacts: bool = typer.Option(False, "--impacts", help="Add GHG, energy, water."),
    economics: bool = typer.Option(False, "--economics", help="Add cost, revenue, profit."),
    location: str = typer.Option("US", "--location", help=LOCATION_HELP),
    capacity_t: float = typer.Option(10_000, "--capacity-t", help="Plant capacity, t feed/yr."),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="Life-cycle factor set."),
    allocation: str = typer.Option("none", "--allocation", help="none, mass, economic, ..."),
    comply: bool = typer.Option(False, "--comply", help="Add compliance verdicts (needs --on)."),
    on: str | None = typer.Option(None, "--on", help="Date of the compliance check, YYYY-MM-DD."),
    as_json: bool = JsonOpt,
) -> None:
    """Run a feed through a route: outputs element by element, recovery, inventory, balance;
    optionally impacts, economics and compliance verdicts."""
    if comply and on is None:
        raise InputError("--comply needs --on DATE (YYYY-MM-DD)")
    result = _run_with_progress(feed, route, mass_kg, kwh, preset, samples, seed, as_json)
    d = result.to_dict()
    if impacts:
        from urbanmine.impacts.lca import assess

        lca = assess(result, factor_set, location, allocation, seed=seed)
        d["impacts"] = lca.to_dict()
    if economics:
        from urbanmine.impacts.tea import costs

        d["economics"] = costs(result, location, capacity_t, preset, seed=seed).to_dict()
    if comply and on is not None:
        from urbanmine.commands.compliance import parse_date
        from urbanmine.compliance import check_flowsheet_result

        verdicts = check_flowsheet_result(d, parse_date(on))
        d["compliance"] = {"on": on, "verdicts": [v.to_json() for v in verdicts]}
    if as_json:
        print_json(d)
    else:
        _print_result(d)


@guarded
def run_cmd(as_json: bool = JsonOpt) -> None:
    """The main job: 1 t of NMC811 packs through dismantling, pretreatment, hydro and precursor."""
    result = _run_with_progress(
        "NMC811-pack", "pretreatment+hydro+precursor", 1000.0, None, DEFAULT_PRESET, 1, None, True
    )
    d = result.to_dict()
    if as_json:
        print_json(d)
    else:
        _print_result(d)
