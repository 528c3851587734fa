"""``urbanmine health telemetry``: synthetic fleet telemetry (docs/health-telemetry.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from urbanmine.commands.common import SeedOpt, StderrProgress, err, guarded
from urbanmine.errors import InputError


def telemetry_cmd(
    packs: int = typer.Option(..., "--packs", help="Number of packs (a whole number >= 1)."),
    years: float = typer.Option(..., "--years", help="Years of telemetry per pack, in (0, 100]."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write (replaced whole)."),
    seed: int | None = SeedOpt,
    period: str = typer.Option("month", "--period", help="Reporting period: month, week or day."),
    chemistry_mix: str | None = typer.Option(
        None,
        "--chemistry-mix",
        help="Chemistry shares, e.g. NMC811=0.6,LFP=0.4 (normalised; default: the shipped mix).",
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar and no summary line."),
) -> None:
    """Per-pack periodic BMS summaries with semi-empirical ageing, reproducible by seed."""
    _run(packs, years, out, seed, period, chemistry_mix, quiet)


@guarded
def _run(
    packs: int,
    years: float,
    out: Path,
    seed: int | None,
    period: str,
    chemistry_mix: str | None,
    quiet: bool,
) -> None:
    from urbanmine.health.synthetic import generate, parse_mix, periods_for

    if packs < 1:
        raise InputError(f"--packs: {packs}; allowed: a whole number >= 1")
    periods_for(years, period)
    mix = None if chemistry_mix is None else parse_mix(chemistry_mix)
    if not out.parent.is_dir():
        raise InputError(
            f"--out: folder {out.parent} does not exist; allowed: a file in an existing folder"
        )
    if out.is_dir():
        raise InputError(f"--out: {out} is a folder; allowed: a Parquet file name")
    with StderrProgress() as bar:
        written = generate(
            out,
            packs,
            years,
            period=period,
            seed=0 if seed is None else seed,
            mix=mix,
            progress=None if quiet else (lambda done, total: bar.update("rows", done, total)),
        )
    if not quiet:
        err.print(
            f"wrote {written.rows} rows ({packs} packs x {written.periods} periods, "
            f"{written.row_groups} row groups) to {out}",
            markup=False,
            highlight=False,
        )
