"""``urbanmine comply`` (dated verdicts for a flowsheet result or a facts file) and
``urbanmine code check`` (GB/T 34014-2017 battery codes)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from urbanmine.commands.common import (
    RULE_FAILED,
    CountingOpt,
    ElvOpt,
    JsonOpt,
    NegativeListOpt,
    WeeeCategoryOpt,
    guarded,
    out,
    print_json,
)
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
_COMPARISON = {
    "at_least": "at least",
    "at_most": "at most",
    "more_than": "more than",
    "less_than": "less than",
}


def _fmt(value: object, unit: str = "") -> str:
    """A verdict's number as a person reads it: shares (unit ``fraction``) as percentages."""
    if isinstance(value, float) and unit == "fraction":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.4g}" + (f" {unit}" if unit else "")
    return "" if value is None else str(value)


def verdict_summary(verdicts: Sequence[Mapping[str, Any]], unchecked: Sequence[object]) -> str:
    """``3 pass, 1 fail, ...; 2 unchecked``: the count of each verdict kind that occurs."""
    counts = Counter(v["verdict"] for v in verdicts)
    kinds = ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in _VERDICT_STYLE if counts[k])
    return f"{kinds or 'no verdicts'}; {len(unchecked)} unchecked"


def print_findings(
    on: str, verdicts: Sequence[Mapping[str, Any]], unchecked: Sequence[Mapping[str, str]]
) -> None:
    """Verdicts (their JSON form) one per line, value against the threshold in force and the
    legal basis below; the rules left unchecked with the fact each lacks; a pass/fail summary."""
    out.print(f"[bold]compliance on {on}[/]")
    for v in verdicts:
        unit = v.get("unit", "")
        line = f"[{_VERDICT_STYLE[v['verdict']]}]{v['verdict']:<18}[/] {escape(v['rule'])}"
        if v.get("period"):
            line += f" ({escape(v['period'])})"
        if v.get("value") is not None:
            line += f": {escape(_fmt(v['value'], unit))}"
        if v.get("threshold") is not None and v.get("comparison"):
            line += (
                f" vs {_COMPARISON[v['comparison']]} {escape(_fmt(v['threshold'], unit))}"
                f" from {v['applies_from']}"
            )
        if v.get("note"):
            line += f" - {escape(v['note'])}"
        out.print(line, highlight=False)
        if v.get("legal"):
            out.print(f"{'':<19}{escape(v['legal'])}", highlight=False, style="dim")
    for u in unchecked:
        out.print(f"{'unchecked':<18} {escape(u['rule'])}: needs {escape(u['missing'])}")
    out.print(f"[bold]summary:[/] {verdict_summary(verdicts, unchecked)}", highlight=False)


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
    fail_on_fail: Annotated[
        bool,
        typer.Option(
            "--fail-on-fail",
            help=f"Exit with code {RULE_FAILED} when any rule fails (verdict 'fail'), "
            "after printing everything; without it the exit code is 0 whatever the verdicts.",
        ),
    ] = False,
    counting: str = CountingOpt,
    exclude_negative_list: bool = NegativeListOpt,
    weee_category: int | None = WeeeCategoryOpt,
    elv: bool = ElvOpt,
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

    Exit codes: 0 done (whatever the verdicts), 2 bad input, 1 unexpected error; with
    --fail-on-fail, 3 when at least one rule fails.
    """
    from urbanmine.compliance.check import check_file

    day = parse_date(on)
    found = check_file(file, day, ruleset, counting, exclude_negative_list, weee_category, elv)
    verdicts = [v.to_json() for v in found.verdicts]
    if as_json:
        print_json(
            {
                "on": day.isoformat(),
                "verdicts": verdicts,
                "unchecked": found.unchecked,
                **({"counting": found.counting} if found.counting else {}),
            }
        )
    else:
        print_findings(day.isoformat(), verdicts, found.unchecked)
    if fail_on_fail and any(v.verdict == "fail" for v in found.verdicts):
        raise typer.Exit(RULE_FAILED)


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
