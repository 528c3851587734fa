"""``urbanmine fleet``: end-of-life EV batteries of a region year by year, where they go, and the
recycled content they can give new batteries (docs/fleet.md, "Model and command")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, SeedOpt, guarded, out, print_json, table
from urbanmine.errors import InputError

MILESTONES = (2025, 2030, 2035, 2040, 2050)
"""Years the text summary shows (those inside the modelled window)."""
METALS = ("Li", "Ni", "Co")


def fleet_cmd(
    scenario: Path | None = typer.Argument(
        None, help="Scenario TOML with a [fleet] section (default: the built-in Europe data)."
    ),
    region: str | None = typer.Option(
        None, "--region", help="Built-in region, europe or china (overrides the file's)."
    ),
    samples: int | None = typer.Option(
        None, "--samples", help="Monte Carlo draws (0: central values; default: the scenario's)."
    ),
    seed: int | None = SeedOpt,
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for tidy tables of every series (CSV and Parquet)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Retiring vehicles and packs, exports, collection, second life, scrap, demand and Art. 8
    recycled content of a region's EV fleet."""
    _run(scenario, region, samples, seed, out_dir, as_json)


@guarded
def _run(
    scenario: Path | None,
    region: str | None,
    samples: int | None,
    seed: int | None,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    from urbanmine.fleet import output
    from urbanmine.fleet.model import run
    from urbanmine.fleet.scenario import REGIONS, fleet_section, load, read_scenario
    from urbanmine.tables import check_out_dir, write_tables

    if samples is not None and samples < 0:
        raise InputError(f"--samples: {samples}; allowed: a whole number >= 0")
    if region is not None and region not in REGIONS:
        raise InputError(f"--region: {region!r} is not a built-in region; use one of {REGIONS}")
    if out_dir is not None:
        check_out_dir(out_dir)
    if scenario is not None and not scenario.is_file():
        raise InputError(f"{scenario}: no such scenario file")
    section = read_scenario(scenario) if scenario is not None else fleet_section(None)
    if region is not None and region != section.region:
        section = fleet_section({**section.model_dump(exclude_unset=True), "region": region})
    result = run(load(section), samples=samples, seed=0 if seed is None else seed)
    data = output.to_dict(result)
    if out_dir is not None:
        written = write_tables(output.tables(result, data), out_dir)
        if not as_json:
            out.print(f"wrote {', '.join(written)} to {escape(str(out_dir))}", highlight=False)
    if as_json:
        print_json(data)
        return
    _summary(data)


def _summary(data: dict[str, Any]) -> None:
    years = [y for y in MILESTONES if y in data["years"]] or data["years"][:: max(1, 5)]
    t = table(
        "year",
        "EoL packs",
        "EoL GWh",
        "EoL kt",
        *(f"EoL {m} kt" for m in METALS),
        "to recyclers GWh",
        "demand GWh",
        *(f"recycled {m}" for m in METALS),
        title=f"fleet {data['region']} ({data['samples']} sample(s), {data['statistic']})",
    )
    eol, content = data["eol"], data["recycled_content"]
    for y in years:
        k = str(y)
        t.add_row(
            k,
            f"{eol['packs'][k]:,.0f}",
            f"{eol['GWh'][k]:,.1f}",
            f"{eol['t'][k] / 1e3:,.1f}",
            *(f"{eol['elements_t'][m][k] / 1e3:,.2f}" for m in METALS),
            f"{data['feedstock']['GWh'][k]:,.1f}",
            f"{data['demand']['GWh'][k]:,.1f}",
            *(_share(content.get(m, {}).get(k)) for m in METALS),
        )
    out.print(t)
    for v in data["verdicts"]:
        if v.get("verdict") == "not_applicable":
            continue
        value = v.get("value")
        shown = f"{value:.1%}" if isinstance(value, float) else "-"
        out.print(
            f"Art. 8 {escape(str(v.get('rule')))} on {v.get('year')}: {v.get('verdict')} "
            f"(recycled content {shown}, minimum {_share(v.get('threshold'))})",
            highlight=False,
        )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
