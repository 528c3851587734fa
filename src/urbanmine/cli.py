"""Command line: ``urbanmine feeds|routes|flowsheet|run``; ``--json`` for machine-readable output.

Exit codes: 0 success, 2 bad input (one message naming what is wrong and what is allowed),
1 unexpected error.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from urbanmine.commands.common import JsonOpt, err, guarded, out, print_json
from urbanmine.commands.compliance import code_app, comply
from urbanmine.commands.factors import factors_app
from urbanmine.commands.impacts import (
    LOCATION_HELP,
    closed_loop_cmd,
    footprint_cmd,
    sensitivity_cmd,
)
from urbanmine.commands.passport import passport_app
from urbanmine.commands.registry import registry_app, serve_cmd
from urbanmine.errors import InputError
from urbanmine.materials.feeds import DEFAULT_PRESET, FORMS, feed_names, get_feed, presets
from urbanmine.routes.compose import load_route, route_names
from urbanmine.routes.run import RouteResult, run

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
feeds_app = typer.Typer(no_args_is_help=True, help="Battery feeds from bills of materials.")
routes_app = typer.Typer(no_args_is_help=True, help="Recycling routes (TOML data).")
app.add_typer(feeds_app, name="feeds")
app.add_typer(routes_app, name="routes")
app.command("sensitivity")(sensitivity_cmd)
app.command("closed-loop")(closed_loop_cmd)
app.command("footprint")(footprint_cmd)
app.command("comply")(comply)
app.add_typer(code_app, name="code")
app.add_typer(passport_app, name="passport")
app.add_typer(factors_app, name="factors")
app.add_typer(registry_app, name="registry")
app.command("serve")(serve_cmd)

PresetOpt = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source.")


@feeds_app.command("list")
@guarded
def feeds_list(as_json: bool = JsonOpt) -> None:
    """List feed names (CHEMISTRY-FORM) and presets."""
    if as_json:
        print_json({"feeds": feed_names(), "forms": list(FORMS), "presets": presets()})
        return
    table = Table("feed", "forms")
    chems = sorted({n.rsplit("-", 1)[0] for n in feed_names()})
    for c in chems:
        table.add_row(c, ", ".join(f"{c}-{f}" for f in FORMS))
    out.print(table)
    out.print(f"presets: {', '.join(presets())} (default {DEFAULT_PRESET})")


@feeds_app.command("show")
@guarded
def feeds_show(
    feed: str,
    kwh: float | None = typer.Option(None, "--kwh", help="Scale to this capacity (kWh)."),
    mass_kg: float | None = typer.Option(None, "--mass-kg", help="Scale to this mass (kg)."),
    preset: str = PresetOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Species and element masses of a feed."""
    f = get_feed(feed, preset).scaled(mass_kg=mass_kg, kwh=kwh)
    data = {
        "name": f.name,
        "preset": f.preset,
        "mass_kg": f.mass_kg,
        "capacity_kWh": f.capacity_kWh,
        "species_kg": dict(f.species_kg),
        "elements_kg": f.elements_kg(),
        "source": f.source,
    }
    if as_json:
        print_json(data)
        return
    table = Table(
        "species",
        "kg",
        title=f"{f.name} ({f.preset}): {f.mass_kg:.4g} kg, {f.capacity_kWh:.4g} kWh",
    )
    for k, v in sorted(f.species_kg.items(), key=lambda kv: -kv[1]):
        table.add_row(k, f"{v:.6g}")
    out.print(table)


@routes_app.command("list")
@guarded
def routes_list(preset: str = PresetOpt, as_json: bool = JsonOpt) -> None:
    """List the shipped routes."""
    specs = [load_route(n, preset) for n in route_names()]
    if as_json:
        print_json([{"name": s.name, "title": s.title, "intake": s.intake} for s in specs])
        return
    table = Table("route", "takes", "title")
    for s in specs:
        table.add_row(s.name, s.intake, s.title)
    out.print(table)


@routes_app.command("show")
@guarded
def routes_show(route: str, preset: str = PresetOpt, as_json: bool = JsonOpt) -> None:
    """Units, links and parameters (with sources) of one route."""
    spec = load_route(route, preset)
    data = {
        "name": spec.name,
        "title": spec.title,
        "source": spec.source,
        "file": spec.path,
        "intake": spec.intake,
        "accepts": list(spec.accepts),
        "units": [
            {
                "name": u.name,
                "kind": u.kind,
                "label": u.label,
                "inlets": list(u.inlets),
                "outlets": list(u.outlets),
                "source": u.source,
                "reactions": [r.equation for r in u.reactions],
            }
            for u in spec.units
        ],
        "sinks": dict(spec.sinks),
        "handoff": {k: list(v) for k, v in spec.handoff.items()},
        "parameters": {
            p.name: {
                "value": p.value,
                "unit": p.unit,
                "source": p.source,
                **({"distribution": dict(p.distribution)} if p.distribution else {}),
            }
            for p in spec.parameters.values()
        },
    }
    if as_json:
        print_json(data)
        return
    out.print(f"[bold]{spec.name}[/]: {spec.title}\nsource: {spec.source}\n")
    units = Table("unit", "kind", "inlets -> outlets", "source")
    for u in spec.units:
        units.add_row(u.name, u.kind, f"{', '.join(u.inlets)} -> {', '.join(u.outlets)}", u.source)
    out.print(units)
    params = Table("parameter", "value", "unit", "source")
    for p in spec.parameters.values():
        params.add_row(p.name, f"{p.value:g}", p.unit, p.source)
    out.print(params)


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


@app.command("flowsheet")
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


@app.command("run")
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


if __name__ == "__main__":
    app()
