"""``urbanmine flowsheet``: a feed through a route, with impacts, costs and verdicts on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from urbanmine.commands.common import (
    CountingOpt,
    ElvOpt,
    JsonOpt,
    NegativeListOpt,
    SeedOpt,
    StderrProgress,
    WeeeCategoryOpt,
    guarded,
    positive,
    print_json,
    refuse_unused,
)
from urbanmine.commands.feeds import PresetOpt
from urbanmine.commands.impacts import LOCATION_HELP
from urbanmine.commands.result_text import print_result
from urbanmine.errors import InputError

if TYPE_CHECKING:
    from urbanmine.routes.run import RouteResult


def _run_with_progress(
    feed_name: str,
    route: str,
    mass_kg: float | None,
    kwh: float | None,
    preset: str,
    samples: int,
    seed: int | None,
) -> RouteResult:
    """The run, with a progress bar on stderr if it lasts (``StderrProgress``; --json too)."""
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import run

    feed = get_feed(feed_name, preset)
    feed = feed.scaled(
        mass_kg=mass_kg if (mass_kg is not None or kwh is not None) else 1.0, kwh=kwh
    )
    with StderrProgress() as bar:
        return run(
            feed, route, samples, seed, progress=lambda done: bar.update("samples", done, samples)
        )


@guarded
def flowsheet_cmd(
    ctx: typer.Context,
    feed: str,
    route: str = typer.Option(..., "--route", help="Route name(s) joined by '+', or a .toml file."),
    mass_kg: float | None = typer.Option(
        None, "--mass-kg", callback=positive, help="Feed mass, kg (default 1)."
    ),
    kwh: float | None = typer.Option(None, "--kwh", callback=positive, help="Feed capacity, kWh."),
    preset: str = PresetOpt,
    samples: int = typer.Option(1, "--samples", min=1, help="Monte Carlo samples."),
    seed: int | None = SeedOpt,
    impacts: bool = typer.Option(False, "--impacts", help="Add GHG, energy, water."),
    economics: bool = typer.Option(False, "--economics", help="Add cost, revenue, profit."),
    location: str = typer.Option("US", "--location", help=LOCATION_HELP),
    capacity_t: float = typer.Option(
        10_000, "--capacity-t", callback=positive, help="Plant capacity, t feed/yr."
    ),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="Life-cycle factor set."),
    allocation: str = typer.Option("none", "--allocation", help="none, mass, economic, ..."),
    comply: bool = typer.Option(False, "--comply", help="Add compliance verdicts (needs --on)."),
    on: str | None = typer.Option(None, "--on", help="Date of the compliance check, YYYY-MM-DD."),
    counting: str = CountingOpt,
    exclude_negative_list: bool = NegativeListOpt,
    weee_category: int | None = WeeeCategoryOpt,
    elv: bool = ElvOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Run a feed through a route: outputs element by element, recovery, inventory, balance;
    optionally impacts, economics and compliance verdicts."""
    if comply and on is None:
        raise InputError("--comply needs --on DATE (YYYY-MM-DD)")
    refuse_unused(
        ctx,
        {
            "location": (impacts or economics, "--impacts or --economics"),
            "capacity_t": (economics, "--economics"),
            "factor_set": (impacts, "--impacts"),
            "allocation": (impacts, "--impacts"),
            "on": (comply, "--comply"),
            "counting": (comply, "--comply"),
            "exclude_negative_list": (comply, "--comply"),
            "weee_category": (comply, "--comply"),
            "elv": (comply, "--comply"),
            "seed": (samples > 1, "--samples above 1"),
        },
    )
    result = _run_with_progress(feed, route, mass_kg, kwh, preset, samples, seed)
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
        from urbanmine.compliance.check import check_flowsheet

        found = check_flowsheet(
            d, parse_date(on), None, counting, exclude_negative_list, weee_category, elv
        )
        d["compliance"] = {
            "on": on,
            "verdicts": [v.to_json() for v in found.verdicts],
            "unchecked": found.unchecked,
            "counting": found.counting,
        }
    if as_json:
        print_json(d)
    else:
        print_result(d)
