"""``urbanmine routes``: the shipped recycling routes (TOML data), their units and parameters; a
template to start a route file from and a check of one (docs/routes.md describes every key)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from urbanmine.commands.common import JsonOpt, guarded, out, print_json, table
from urbanmine.commands.feeds import PresetOpt

if TYPE_CHECKING:
    from urbanmine.flowsheet.params import Parameter

routes_app = typer.Typer(no_args_is_help=True, help="Recycling routes (TOML data).")


@routes_app.command("list")
@guarded
def routes_list(preset: str = PresetOpt, as_json: bool = JsonOpt) -> None:
    """List the shipped routes."""
    from urbanmine.routes.compose import load_route, route_names

    specs = [load_route(n, preset) for n in route_names()]
    if as_json:
        print_json([{"name": s.name, "title": s.title, "intake": s.intake} for s in specs])
        return
    t = table("route", "takes", "title")
    for s in specs:
        t.add_row(s.name, s.intake, s.title)
    out.print(t)


@routes_app.command("show")
@guarded
def routes_show(route: str, preset: str = PresetOpt, as_json: bool = JsonOpt) -> None:
    """Units, links and parameters (with sources) of one route."""
    from urbanmine.routes.compose import load_route

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
                "atom_mappings": {
                    r.equation: {el: list(ps) for el, ps in r.origin_first.items()}
                    for r in u.reactions
                    if r.origin_first
                },
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
                "assumption": p.assumption,
                **(
                    {"distribution": dict(p.distribution), "distribution_mean": p.mean()}
                    if p.distribution
                    else {}
                ),
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
        params.add_row(p.name + (" *" if p.assumption else ""), f"{p.value:g}", p.unit, p.source)
    out.print(params)
    if any(p.assumption for p in spec.parameters.values()):
        out.print("* assumption of the route's author, not a cited number (see its source)")
    _print_distributions(list(spec.parameters.values()))


def _print_distributions(params: list[Parameter]) -> None:
    """Monte Carlo distributions: each number with its citation, and the mean against the
    point value that a single run uses."""
    uncertain = [p for p in params if p.distribution]
    if not uncertain:
        out.print("no Monte Carlo distributions: every run uses the point values")
        return
    table = Table("parameter", "distribution", "mean (vs point value)", "sources of the numbers")
    for p in uncertain:
        assert p.distribution is not None
        numbers = p.numbers()
        shape = ", ".join(f"{k} {v:g}" for k, (v, _) in numbers.items())
        mean = p.mean()
        shift = f" ({(mean - p.value) / p.value:+.2%})" if p.value and mean != p.value else ""
        cited = "\n".join(
            f"{k} {v:g}: {src or '(no source given)'}" for k, (v, src) in numbers.items()
        )
        table.add_row(p.name, f"{p.distribution['kind']} {shape}", f"{mean:.6g}{shift}", cited)
    out.print(table)


@routes_app.command("template")
@guarded
def routes_template() -> None:
    """Print a small, complete, valid route file to start from (black mass in; comments explain
    each key): urbanmine routes template > my_route.toml"""
    from urbanmine.data import data_text

    sys.stdout.write(data_text("templates", "route.toml"))


@routes_app.command("check")
@guarded
def routes_check(
    file: Annotated[Path, typer.Argument(help="Route file (TOML) to validate.")],
    as_json: bool = JsonOpt,
) -> None:
    """Validate a route file: exit 0 with a summary of its units, streams and parameters, or
    exit 2 with one message naming what is wrong."""
    from urbanmine.routes.check import check_route_file

    d = check_route_file(file)
    if as_json:
        print_json(d)
        return
    params = d["parameters"]
    fates = ", ".join(f"{s} ({fate})" for s, fate in d["sinks"].items())
    out.print(f"{escape(d['file'])}: route {escape(d['name'])!r} is valid", highlight=False)
    out.print(f"  {escape(d['title'])}", highlight=False)
    out.print(
        f"  takes {escape(d['intake'])}"
        + (
            f"; feed forms: {', '.join(d['accepts'])}"
            if d["accepts"]
            else "; no feed form directly"
        )
        + (f"; hands off: {', '.join(d['handoff'])}" if d["handoff"] else ""),
        highlight=False,
    )
    out.print(
        f"  {len(d['units'])} units, {len(d['streams'])} streams, {len(d['sinks'])} sinks: "
        f"{escape(fates)}",
        highlight=False,
    )
    out.print(
        f"  {params['count']} parameters, {len(params['with_distribution'])} with a distribution"
        + (f" ({', '.join(params['with_distribution'])})" if params["with_distribution"] else "")
        + f"; {len(d['species'])} species named",
        highlight=False,
    )
    units = table("unit", "kind", "inlets -> outlets")
    for u in d["units"]:
        units.add_row(
            u["name"], u["kind"], f"{', '.join(u['inlets'])} -> {', '.join(u['outlets'])}"
        )
    out.print(units)
