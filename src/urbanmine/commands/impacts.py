"""``urbanmine sensitivity``: Sobol indices of a route's results for its uncertain parameters."""

from __future__ import annotations

import typer
from rich.table import Table

from urbanmine.commands.common import JsonOpt, guarded, out, print_json
from urbanmine.materials.feeds import DEFAULT_PRESET, get_feed
from urbanmine.routes.run import compose_for


@guarded
def sensitivity_cmd(
    feed: str,
    route: str = typer.Option(..., "--route", help="Route name(s) joined by '+', or a .toml file."),
    samples: int = typer.Option(
        1024, "--samples", help="Base samples N (power of two); the route runs N (D + 2) times."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source."),
    as_json: bool = JsonOpt,
) -> None:
    """Sobol first- and total-order indices of recovery, efficiency and inventory per parameter."""
    from urbanmine.impacts.sensitivity import route_sobol  # SALib: slow import, only here

    f = get_feed(feed, preset).scaled(mass_kg=1.0)
    result = route_sobol(f, compose_for(f, route), samples, seed)
    data = {"feed": f.name, "route": route, "mass_kg": 1.0, **result}
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{f.name}[/] through [bold]{route}[/]: {len(result['parameters'])} uncertain "
        f"parameters, {result['model_runs']} runs"
    )
    table = Table("output", "largest total-order indices (ST)")
    for name, idx in result["indices"].items():
        top = sorted(idx["ST"].items(), key=lambda kv: -kv[1])[:3]
        table.add_row(name, ", ".join(f"{p} {v:.2f}" for p, v in top))
    out.print(table)
