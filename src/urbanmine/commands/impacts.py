"""``urbanmine sensitivity`` (Sobol indices) and ``urbanmine closed-loop`` (cathode from mined vs
recycled material)."""

from __future__ import annotations

import typer
from rich.markup import escape

from urbanmine.commands.common import (
    JsonOpt,
    SeedOpt,
    StderrProgress,
    guarded,
    non_negative,
    out,
    positive,
    print_json,
    table,
)
from urbanmine.commands.result_text import currency_line
from urbanmine.errors import InputError
from urbanmine.materials.presets import DEFAULT_PRESET


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
    from urbanmine.materials.feeds import get_feed
    from urbanmine.routes.run import compose_for

    f = get_feed(feed, preset).scaled(mass_kg=1.0)
    with StderrProgress() as bar:
        result = route_sobol(f, compose_for(f, route), samples, seed, progress=bar.update)
    data = {"feed": f.name, "route": route, "mass_kg": 1.0, **result}
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{f.name}[/] through [bold]{route}[/]: {len(result['parameters'])} uncertain "
        f"parameters, {result['model_runs']} runs"
    )
    t = table("output", "largest total-order indices (ST)")
    for name, idx in result["indices"].items():
        top = sorted(idx["ST"].items(), key=lambda kv: -kv[1])[:3]
        t.add_row(name, ", ".join(f"{p} {v:.2f}" for p, v in top))
    out.print(t)


LOCATION_HELP = (
    "US, US-CA, CN, KR; EU: DE, FR, IT, ES, BE, NL, PT, SK, EU27 (other EU codes: impacts only)."
)


@guarded
def closed_loop_cmd(
    chemistry: str | None = typer.Argument(
        None, help="Cell chemistry (cathode, precursor); not for the metal products."
    ),
    route: str | None = typer.Option(
        None, "--route", help="Recycling route (default: hydro, or the product's own)."
    ),
    feed: str | None = typer.Option(
        None, "--feed", help="Feed of a metal product's route (default: the product's own)."
    ),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source."),
    location: str = typer.Option("US", "--location", help=LOCATION_HELP),
    factor_set: str = typer.Option("greet2022", "--factor-set", help="GREET edition."),
    capacity_t: float = typer.Option(
        10_000, "--capacity-t", callback=positive, help="Recycling plant, t feed/yr."
    ),
    product: str = typer.Option(
        "cathode",
        "--product",
        help="Per kg of: cathode, precursor (NMC hydroxide pCAM), or a metal product "
        "(cobalt-powder, hardmetal).",
    ),
    samples: int = typer.Option(1, "--samples", help="Monte Carlo samples."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    as_json: bool = JsonOpt,
) -> None:
    """Per kg cathode (or precursor, cobalt powder, hard metal): made from mined vs recycled
    materials, GHG, energy, cost, step by step."""
    from urbanmine.impacts.closed_loop import PRODUCTS, closed_loop
    from urbanmine.impacts.metal_loop import metal_products

    if samples < 1:
        raise InputError(f"--samples must be at least 1, got {samples}")
    if product in metal_products():
        _metal_closed_loop(product, route, feed, location, factor_set, samples, seed, as_json)
        return
    if product not in PRODUCTS:
        allowed = ", ".join([*PRODUCTS, *metal_products()])
        raise InputError(f"--product: unknown product {product!r}; allowed: {allowed}")
    if chemistry is None:
        raise InputError(f"--product {product}: give the cell chemistry (e.g. NMC811)")
    if feed is not None:
        raise InputError("--feed is for the metal products (cobalt-powder, hardmetal)")
    route = route or "hydro"
    with StderrProgress() as bar:
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
            progress=lambda done: bar.update("samples", done, samples),
        )
    if as_json:
        print_json(data)
        return
    n = data["samples"]
    code = data["currency"]["code"]
    out.print(
        f"[bold]{escape(data['functional_unit'])}[/], made from mined materials or recycled "
        f"through {escape(route)} ({escape(location)}; {escape(data['factor_set'])}, GWP "
        f"{escape(data['gwp'])}; preset {escape(data['preset'])})"
        + (f": mean of {n} samples, p05-p95 beside each mean" if n > 1 else ""),
        highlight=False,
    )
    columns = ["made from", "kg CO2e", "MJ", "water, L", f"cost, {code}"]
    if n > 1:
        columns = [*columns[:2], "kg CO2e p05-p95", *columns[2:], f"cost, {code} p05-p95"]
    sides = table(*columns)
    for side in ("virgin", "recycled"):
        s = data[side]
        ghg, cost = f"{s['ghg_kg_co2e']:.3f}", f"{s['cost_usd']:.2f}"
        row = [f"{s['energy_MJ']:.1f}", f"{s['water_L']:.1f}"]
        if n > 1:
            q = s["quantiles"]
            ghg_range = f"{q['ghg_kg_co2e']['p05']:.3f} - {q['ghg_kg_co2e']['p95']:.3f}"
            cost_range = f"{q['cost_usd']['p05']:.2f} - {q['cost_usd']['p95']:.2f}"
            row = [ghg, ghg_range, *row, cost, cost_range]
        else:
            row = [ghg, *row, cost]
        sides.add_row("mined materials" if side == "virgin" else "recycled materials", *row)
    out.print(sides)
    saving = data["saving_ghg_kg_co2e"]
    out.print(
        f"saving: {saving:.3f} kg CO2e ({saving / data['virgin']['ghg_kg_co2e']:.1%} of the "
        "mined route), step by step:"
    )
    steps = table("step", "saving, kg CO2e", "saving, MJ")
    for step in data["steps"]:
        steps.add_row(step["step"], f"{step['ghg_kg_co2e']:+.3f}", f"{step['energy_MJ']:+.1f}")
    out.print(steps)
    out.print(f"cost: {escape(data['cost_method'])}", highlight=False)
    out.print(escape(currency_line(data["currency"], data["fallback_to_us"])), highlight=False)
    for note in data.get("notes", []):
        out.print(f"note: {escape(note)}", highlight=False)


def _metal_closed_loop(
    product: str,
    route: str | None,
    feed: str | None,
    location: str,
    factor_set: str,
    samples: int,
    seed: int | None,
    as_json: bool,
) -> None:
    from urbanmine.impacts.metal_loop import metal_closed_loop

    data = metal_closed_loop(product, route, feed, factor_set, location, samples, seed)
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{escape(data['functional_unit'])}[/], made from primary metal or recycled "
        f"through {escape(data['route'])} from {escape(data['feed'])} ({escape(location)}; "
        f"{escape(data['factor_set'])}; allocation {data['allocation']})",
        highlight=False,
    )
    sides = table("made from", "kg CO2e", "MJ")
    for side, label in (("virgin", "primary metal"), ("recycled", "recycled materials")):
        s = data[side]
        sides.add_row(label, f"{s['ghg_kg_co2e']:.3f}", f"{s['energy_MJ']:.1f}")
    out.print(sides)
    saving = data["saving_ghg_kg_co2e"]
    out.print(
        f"saving: {saving:.3f} kg CO2e ({saving / data['virgin']['ghg_kg_co2e']:.1%}); feed "
        f"{data['feed_kg_per_kg_product']:.3f} kg per kg product; step by step:"
    )
    steps = table("step", "saving, kg CO2e", "saving, MJ")
    for step in data["steps"]:
        steps.add_row(step["step"], f"{step['ghg_kg_co2e']:+.3f}", f"{step['energy_MJ']:+.1f}")
    out.print(steps)
    out.print("cost: not priced (no cited price for carbide scrap, Co powder or hard metal)")


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
    from urbanmine.materials.feeds import get_feed

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
    t = table("life-cycle stage", "kg CO2e", "kg CO2e per kWh")
    for row in d["carbonFootprintPerLifecycleStage"]:
        stage = row["lifecycleStage"]
        t.add_row(stage, f"{d['stages_kg_co2e'][stage]:.1f}", f"{row['carbonFootprint']:.4f}")
    t.add_row("total", f"{d['ghg_kg_co2e']:.1f}", f"{d['ghg_kg_co2e_per_kWh']:.4f}")
    out.print(t)
    out.print(f"per {d['functional_unit']}")
