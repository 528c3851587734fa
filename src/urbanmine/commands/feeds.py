"""``urbanmine feeds``: battery feeds from bills of materials."""

from __future__ import annotations

import typer
from rich.table import Table

from urbanmine.commands.common import JsonOpt, guarded, out, positive, print_json
from urbanmine.materials.feeds import DEFAULT_PRESET, FORMS, feed_names, get_feed, presets

feeds_app = typer.Typer(no_args_is_help=True, help="Battery feeds from bills of materials.")

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
    kwh: float | None = typer.Option(
        None, "--kwh", callback=positive, help="Scale to this capacity (kWh)."
    ),
    mass_kg: float | None = typer.Option(
        None, "--mass-kg", callback=positive, help="Scale to this mass (kg)."
    ),
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
