"""``urbanmine sensitivity`` (Sobol indices) and ``urbanmine closed-loop`` (cathode from mined vs
recycled material)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from urbanmine.commands.common import (
    JsonOpt,
    SeedOpt,
    guarded,
    non_negative,
    out,
    positive,
    print_json,
)
from urbanmine.materials.feeds import DEFAULT_PRESET, get_feed
from urbanmine.routes.run import compose_for, run


@guarded
def sensitivity_cmd(
    feed: str,
    route: str = typer.Option(..., "--route", help="Route name(s) joined by '+', or a .toml file."),
    samples: int = typer.Option(
        1024, "--samples", help="Base samples N (power of two); the route runs N (D + 2) times."
    ),
    seed: int | None = SeedOpt,
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


RECYCLED_COST_METHOD = (
    "recycled {product} at the virgin cost plus the net cost of recycling the feed that supplies "
    "it: the plant's cost less the market value of everything it recovers (the Ni/Co/Mn/Li "
    "products the {product} uses and the other products alike)"
)
COST_METHOD = {
    "cathode": "virgin cathode at its market price (EverBatt); "
    + RECYCLED_COST_METHOD.format(product="cathode"),
    "precursor": "virgin precursor at the cost of its mined sulfates and co-precipitation "
    "reagents at EverBatt prices (no conversion cost or margin: EverBatt prices no precursor); "
    + RECYCLED_COST_METHOD.format(product="precursor"),
}
"""How ``closed-loop`` prices each side, per functional unit; printed with the result."""


def virgin_cost(data: dict[str, Any], chemistry: str, preset: str) -> float:
    """USD per kg product made from mined material: EverBatt's cathode price, or the precursor's
    mined sulfates and reagents at EverBatt prices."""
    from urbanmine.impacts.prices import price

    if data["product"] == "cathode":
        return price(chemistry, preset)
    return sum(kg * price(item, preset) for item, kg in data["virgin_inventory_kg"].items())


@guarded
def closed_loop_cmd(
    chemistry: str,
    route: str = typer.Option("hydro", "--route", help="Recycling route for the cells."),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source."),
    location: str = typer.Option("US", "--location", help=LOCATION_HELP),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="GREET edition."),
    capacity_t: float = typer.Option(
        10_000, "--capacity-t", callback=positive, help="Recycling plant, t feed/yr."
    ),
    product: str = typer.Option(
        "cathode", "--product", help="Per kg of: cathode, or precursor (NMC hydroxide pCAM)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Per kg cathode (or precursor): made from mined vs recycled materials, GHG, energy, cost,
    step by step."""
    from urbanmine.impacts.closed_loop import closed_loop
    from urbanmine.impacts.tea import costs

    base = closed_loop(
        chemistry, route, preset, factor_set=factor_set, location=location, product=product
    )
    feed = get_feed(base["feed"], preset).scaled(mass_kg=1.0)
    economics = costs(run(feed, route), location=location, capacity_t=capacity_t).to_dict()
    virgin = virgin_cost(base, chemistry, preset)
    per_kg = base["feed_kg_per_kg_product"]
    recycled = virgin + per_kg * (economics["cost_usd"] - economics["revenue_usd"])
    data = base
    data["virgin"]["cost_usd"] = virgin
    data["recycled"]["cost_usd"] = recycled
    data["cost_method"] = COST_METHOD[base["product"]]
    if as_json:
        print_json(data)
        return
    table = Table("", "kg CO2e", "MJ", "USD")
    for side in ("virgin", "recycled"):
        s = data[side]
        table.add_row(
            side, f"{s['ghg_kg_co2e']:.3f}", f"{s['energy_MJ']:.1f}", f"{s['cost_usd']:.2f}"
        )
    out.print(f"[bold]{data['functional_unit']}[/], recycled through {route} ({location})")
    out.print(table)
    for step in data["steps"]:
        out.print(f"  {step['step']:<26} {step['ghg_kg_co2e']:+.3f} kg CO2e")


@guarded
def footprint_cmd(
    feed: str,
    kwh: float | None = typer.Option(
        None, "--kwh", callback=positive, help="Battery capacity, kWh (scales the BOM)."
    ),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="Bill of materials source."),
    location: str = typer.Option("US", "--location", help="Where the cells are made (grid)."),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="GREET edition."),
    cycles: float | None = typer.Option(
        None,
        "--cycles",
        callback=positive,
        help="Full equivalent cycles over the service life (Art. 7's unit).",
    ),
    eol_route: str | None = typer.Option(
        None, "--eol-route", help="Recycling route for the end-of-life stage, e.g. hydro."
    ),
    distribution_km: float = typer.Option(
        0.0, "--distribution-km", callback=non_negative, help="Freight to the user, km."
    ),
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
