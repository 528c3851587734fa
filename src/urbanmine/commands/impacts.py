"""``urbanmine sensitivity`` (Sobol indices) and ``urbanmine closed-loop`` (cathode from mined vs
recycled material)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from urbanmine.commands.common import JsonOpt, guarded, out, print_json
from urbanmine.errors import InputError
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


LOCATION_HELP = (
    "US, US-CA, CN, KR; EU: DE, FR, IT, ES, BE, NL, PT, SK, EU27 (other EU codes: impacts only)."
)


@guarded
def closed_loop_cmd(
    chemistry: str,
    route: str = typer.Option("hydro", "--route", help="Recycling route for the cells."),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source."),
    location: str = typer.Option("US", "--location", help=LOCATION_HELP),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="GREET edition."),
    capacity_t: float = typer.Option(10_000, "--capacity-t", help="Recycling plant, t feed/yr."),
    product: str = typer.Option(
        "cathode", "--product", help="Per kg of: cathode, or precursor (NMC hydroxide pCAM)."
    ),
    samples: int = typer.Option(1, "--samples", help="Monte Carlo samples."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    as_json: bool = JsonOpt,
) -> None:
    """Per kg cathode (or precursor): made from mined vs recycled materials, GHG, energy, cost,
    step by step."""
    from urbanmine.impacts.closed_loop import closed_loop

    if samples < 1:
        raise InputError(f"--samples must be at least 1, got {samples}")
    data = closed_loop(
        chemistry,
        route,
        preset,
        factor_set=factor_set,
        location=location,
        product=product,
        capacity_t=capacity_t,
        samples=samples,
        seed=seed,
    )
    if as_json:
        print_json(data)
        return
    n = data["samples"]
    spread = n > 1
    columns = ["", "kg CO2e", "MJ", f"{data['currency']['code']}"]
    if spread:
        columns += ["kg CO2e p05-p95", f"{data['currency']['code']} p05-p95"]
    table = Table(*columns)
    for side in ("virgin", "recycled"):
        s = data[side]
        row = [side, f"{s['ghg_kg_co2e']:.3f}", f"{s['energy_MJ']:.1f}", f"{s['cost_usd']:.2f}"]
        if spread:
            q = s["quantiles"]
            row += [
                f"{q['ghg_kg_co2e']['p05']:.3f}-{q['ghg_kg_co2e']['p95']:.3f}",
                f"{q['cost_usd']['p05']:.2f}-{q['cost_usd']['p95']:.2f}",
            ]
        table.add_row(*row)
    out.print(f"[bold]{data['functional_unit']}[/], recycled through {route} ({location})")
    if spread:
        out.print(f"mean of {n} samples")
    out.print(table)
    for step in data["steps"]:
        out.print(f"  {step['step']:<26} {step['ghg_kg_co2e']:+.3f} kg CO2e")
    out.print(f"cost: {data['cost_method']}")
    out.print(_currency_line(data["currency"], data["fallback_to_us"]))


def _currency_line(currency: dict[str, Any], fallback: list[str]) -> str:
    """One line saying what the costs are in and which parameters fell back to the U.S."""
    line = (
        f"currency: {currency['code']} (equipment {currency['equipment_dollar_year']}; prices "
        f"{currency['prices']}; no escalation between years)"
    )
    converted = currency.get("converted_from")
    if converted:
        line += (
            f"; {', '.join(converted['parameters'])} from {converted['code']} "
            f"{converted['year']} at {converted['usd_per_eur']} USD/{converted['code']}"
        )
    if fallback:
        line += f"; U.S. values for {', '.join(fallback)}"
    return line


@guarded
def footprint_cmd(
    feed: str,
    kwh: float | None = typer.Option(None, "--kwh", help="Battery capacity, kWh (scales the BOM)."),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="Bill of materials source."),
    location: str = typer.Option("US", "--location", help="Where the cells are made (grid)."),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="GREET edition."),
    cycles: float | None = typer.Option(
        None, "--cycles", help="Full equivalent cycles over the service life (Art. 7's unit)."
    ),
    eol_route: str | None = typer.Option(
        None, "--eol-route", help="Recycling route for the end-of-life stage, e.g. hydro."
    ),
    distribution_km: float = typer.Option(0.0, "--distribution-km", help="Freight to the user."),
    as_json: bool = JsonOpt,
) -> None:
    """Carbon footprint of a battery by Annex II life-cycle stage, per kWh (Art. 7)."""
    from urbanmine.impacts.battery import battery_footprint

    f = get_feed(feed, preset)
    d = battery_footprint(
        f.scaled(kwh=kwh) if kwh is not None else f,
        factor_set,
        location,
        full_cycles=cycles,
        end_of_life_route=eol_route,
        distribution_km=distribution_km,
    )
    if as_json:
        print_json(d)
        return
    out.print(
        f"[bold]{d['feed']}[/], {d['capacity_kWh']:g} kWh, {d['mass_kg']:.1f} kg ({location})"
    )
    table = Table("life-cycle stage", "kg CO2e", "kg CO2e per kWh")
    for row in d["carbonFootprintPerLifecycleStage"]:
        stage = row["lifecycleStage"]
        table.add_row(stage, f"{d['stages_kg_co2e'][stage]:.1f}", f"{row['carbonFootprint']:.4f}")
    table.add_row("total", f"{d['ghg_kg_co2e']:.1f}", f"{d['ghg_kg_co2e_per_kWh']:.4f}")
    out.print(table)
    out.print(f"per {d['functional_unit']}")
