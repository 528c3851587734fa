"""``urbanmine factors list|show``: the life-cycle factor sets, converted to per kg / kWh / MJ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, guarded, out, print_json, table

if TYPE_CHECKING:
    from urbanmine.impacts.factors import Factor, FactorSet

factors_app = typer.Typer(no_args_is_help=True, help="Life-cycle factor sets (GREET editions).")


def _row(f: Factor, **extra: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ghg_kg_co2e": f.ghg_kg_co2e,
        "energy_MJ": f.energy_MJ,
        "water_L": f.water_L,
        "unit": f.unit,
        **extra,
        "source": f.source,
    }
    if f.note:
        row["note"] = f.note
    return row


def factor_rows(fs: FactorSet) -> dict[str, dict[str, Any]]:
    """Per-unit factors keyed by species (reagents and displaced products), then utilities:
    ``electricity:<location>`` per kWh, ``natural_gas`` and ``diesel`` per MJ burned."""
    from urbanmine.impacts.factors import grid_factors, species_map

    rows: dict[str, dict[str, Any]] = {}
    smap = species_map()
    for records in (smap.inputs, smap.displaced):
        for species in sorted(records):
            rec = records[species]
            if species in rows or rec.item is None or rec.item not in fs.materials:
                continue
            f = fs.input_factor(species) if records is smap.inputs else fs.displaced_factor(species)
            if f is not None:
                rows[species] = _row(f, item=rec.item)
    for loc, f in fs.electricity.items():
        rows[f"electricity:{loc}"] = _row(f)
    for code, f in grid_factors().items():
        rows[f"electricity:grid:{code}"] = _row(f)
    rows["natural_gas"] = _row(fs.natural_gas)
    rows["diesel"] = _row(fs.diesel)
    return rows


@factors_app.command("list")
@guarded
def factors_list(as_json: bool = JsonOpt) -> None:
    """List the shipped factor sets."""
    from urbanmine.impacts.factors import factor_set_names, load_factor_set

    sets = [load_factor_set(n) for n in factor_set_names()]
    if as_json:
        print_json([{"name": s.name, "title": s.title, "gwp": s.gwp} for s in sets])
        return
    t = table("factor set", "GWP", "title")
    for s in sets:
        t.add_row(s.name, s.gwp, s.title)
    out.print(t)


@factors_app.command("show")
@guarded
def factors_show(name: str, as_json: bool = JsonOpt) -> None:
    """Factors of one set per kg (electricity per kWh, fuels per MJ), with sources."""
    from urbanmine.impacts.factors import load_factor_set

    fs = load_factor_set(name)
    rows = factor_rows(fs)
    if as_json:
        print_json(
            {
                "name": fs.name,
                "title": fs.title,
                "gwp": fs.gwp,
                "gwp_100": dict(fs.gwp_100),
                "gwp_source": fs.gwp_source,
                "factors": rows,
                "items": {k: _row(f) for k, f in sorted(fs.materials.items())},
            }
        )
        return
    out.print(
        f"[bold]{escape(fs.title)}[/] (GWP {escape(fs.gwp)}: {escape(fs.gwp_source)})",
        highlight=False,
    )
    t = table("input", "per", "kg CO2e", "MJ", "L")
    for key, r in rows.items():
        t.add_row(
            key,
            r["unit"],
            f"{r['ghg_kg_co2e']:.4g}",
            f"{r['energy_MJ']:.4g}",
            f"{r['water_L']:.4g}",
        )
    out.print(t)
    out.print("[bold]sources[/]")
    for key, r in rows.items():
        note = f" ({r['note']})" if "note" in r else ""
        out.print(f"{escape(key)}: {escape(r['source'] + note)}", highlight=False)
