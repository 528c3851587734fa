"""``urbanmine comply`` (dated verdicts for a flowsheet result or a facts file) and
``urbanmine code check`` (GB/T 34014-2017 battery codes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, guarded, out, print_json
from urbanmine.compliance.rules import ruleset_names
from urbanmine.errors import InputError

OnOpt = Annotated[str, typer.Option("--on", help="Date to judge on, YYYY-MM-DD.")]


def parse_date(text: str, what: str = "--on") -> dt.date:
    """An ISO date (YYYY-MM-DD), or one clear message."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} must be a date YYYY-MM-DD, got {text!r}") from None


_VERDICT_STYLE = {
    "pass": "green",
    "fail": "red",
    "pending": "yellow",
    "not_yet_applicable": "cyan",
    "not_applicable": "dim",
}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


@guarded
def comply(
    file: Annotated[Path, typer.Argument(help="Flowsheet result JSON or facts file (TOML/JSON).")],
    on: OnOpt,
    ruleset: Annotated[
        list[str] | None,
        typer.Option(
            "--ruleset", help=f"Rule set(s) to apply (default all): {', '.join(ruleset_names())}."
        ),
    ] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Check a process, battery, producer or operator against the rules as of --on DATE.

    FILE: the JSON of `urbanmine flowsheet FEED --route R --json`, or a facts file (TOML/JSON).
    Facts keys (shares are fractions 0..1; see docs/compliance.md):
    kind: recycling_process, battery, producer, traceability, weee_treatment, elv_treatment
    category: portable, lmt, sli, industrial, ev (WEEE: 1-6); chemistry: lithium, NMC622...
    capacity_kWh, mass_kg, external_storage_only, has_passport
    input_kg, recycled_output_kg; elements_in_kg, elements_recovered_kg (element -> kg)
    recycled_content_share: Co, Li, Ni (of active material), Pb (of battery)
    recovery_rates: Li, Ni, Co, Mn, electrode-powder, material-repair; WEEE recovery,
    reuse_recycling, recycling; ELV reuse_recovery, reuse_recycling
    impurities: Al, Cu; collected_t, placed_on_market_t: year -> t
    reports: [{actor, event, event_date, reported_on}]; calendar (cn, weekends), holidays, workdays

    Output: {"on", "verdicts": [{rule, verdict, value, threshold, applies_from, source, ...}],
    "unchecked": [{rule, missing}]}.
    """
    from urbanmine.compliance.check import check_file

    day = parse_date(on)
    found = check_file(file, day, ruleset)
    if as_json:
        print_json(
            {
                "on": day.isoformat(),
                "verdicts": [v.to_json() for v in found.verdicts],
                "unchecked": found.unchecked,
            }
        )
        return
    out.print(f"[bold]on {day}[/]")
    for v in found.verdicts:
        style = _VERDICT_STYLE[v.verdict]
        line = f"[{style}]{v.verdict:<18}[/] {v.rule}" + (f" ({v.period})" if v.period else "")
        if v.value is not None:
            line += f": {_fmt(v.value)}"
        if v.threshold is not None:
            line += f" vs {v.comparison} {_fmt(v.threshold)} {v.unit} from {v.applies_from}"
        if v.note:
            line += f" - {escape(v.note)}"
        out.print(line, markup=True, highlight=False)
    for u in found.unchecked:
        out.print(f"unchecked {u['rule']}: needs {u['missing']}")


code_app = typer.Typer(no_args_is_help=True, help="GB/T 34014-2017 traction-battery codes.")


@code_app.command("check")
@guarded
def code_check(
    code: Annotated[str, typer.Argument(help="24-character code, or 19 for cascade use.")],
    as_json: bool = JsonOpt,
) -> None:
    """Parse and validate a GB/T 34014 code: each field explained, or each error named.

    Exit code 0 whether or not the code is valid (the verdict is in the output).
    """
    from urbanmine.compliance.gbt34014 import check_code

    result = check_code(code)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    out.print(
        f"{code}: {'[green]valid[/]' if result.valid else '[red]invalid[/]'} ({result.form or '?'} form)"
    )
    for name, field in result.fields.items():
        shown = field.get("value", field["code"])
        out.print(f"  {name}: {shown} - {field['meaning']}")
    for e in result.errors:
        out.print(f"  [red]error[/] {e}")
    for w in result.warnings:
        out.print(f"  [yellow]warning[/] {w}")
