"""``urbanmine factors list|show``: the life-cycle factor sets, converted to per kg / kWh / MJ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from urbanmine.commands.common import JsonOpt, guarded, out, print_json

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
    for table in (smap.inputs, smap.displaced):
        for species in sorted(table):
            rec = table[species]
            if species in rows or rec.item is None or rec.item not in fs.materials:
                continue
            f = fs.input_factor(species) if table is smap.inputs else fs.displaced_factor(species)
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
    table = Table("factor set", "GWP", "title")
    for s in sets:
        table.add_row(s.name, s.gwp, s.title)
    out.print(table)


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
    table = Table("input", "per", "kg CO2e", "MJ", "L", title=f"{fs.title} (GWP {fs.gwp})")
    for key, r in rows.items():
        table.add_row(
            key,
            r["unit"],
            f"{r['ghg_kg_co2e']:.4g}",
            f"{r['energy_MJ']:.4g}",
            f"{r['water_L']:.4g}",
        )
    out.print(table)
