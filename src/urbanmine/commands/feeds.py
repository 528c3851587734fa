"""``urbanmine feeds``: battery feeds from bills of materials."""

from __future__ import annotations

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, guarded, out, positive, print_json, table
from urbanmine.materials.presets import DEFAULT_PRESET, presets

feeds_app = typer.Typer(no_args_is_help=True, help="Battery feeds from bills of materials.")

PresetOpt = typer.Option(DEFAULT_PRESET, "--preset", help="BOM and inventory source.")


@feeds_app.command("list")
@guarded
def feeds_list(as_json: bool = JsonOpt) -> None:
    """List feed names (battery CHEMISTRY-FORM, and feeds given by composition) and presets."""
    from urbanmine.materials.chemistry import CHEMISTRIES
    from urbanmine.materials.compositions import composition_feeds
    from urbanmine.materials.feeds import FORMS, all_forms, feed_names

    others = composition_feeds()
    if as_json:
        print_json(
            {
                "feeds": feed_names(),
                "forms": list(all_forms()),
                "presets": presets(),
                "compositions": {
                    n: {"label": f.label, "material": f.material, "form": f.form}
                    for n, f in others.items()
                },
            }
        )
        return
    t = table("feed", "forms")
    for c in CHEMISTRIES:
        t.add_row(c, ", ".join(f"{c}-{f}" for f in FORMS))
    out.print(t)
    if others:
        t = table("feed", "form", "material", "label")
        for n, f in others.items():
            t.add_row(n, f.form, f.material, escape(f.label))
        out.print(t)
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
    from urbanmine.materials.feeds import get_feed

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
    out.print(
        f"[bold]{escape(f.name)}[/] ({escape(f.preset)}): {f.mass_kg:.4g} kg, "
        f"{f.capacity_kWh:.4g} kWh",
        highlight=False,
    )
    species = table("species", "kg", "share")
    for k, v in sorted(f.species_kg.items(), key=lambda kv: -kv[1]):
        species.add_row(k, f"{v:.6g}", f"{v / f.mass_kg:.2%}" if f.mass_kg else "")
    out.print(species)
    elements = table("element", "kg", "share")
    for k, v in sorted(f.elements_kg().items(), key=lambda kv: -kv[1]):
        if v:
            elements.add_row(k, f"{v:.6g}", f"{v / f.mass_kg:.2%}" if f.mass_kg else "")
    out.print(elements)
    out.print(f"source: {escape(f.source)}", highlight=False)
