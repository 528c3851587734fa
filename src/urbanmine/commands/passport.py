"""``urbanmine passport``: battery-passport questions under Art. 77 of (EU) 2023/1542."""

from __future__ import annotations

from typing import Annotated

import typer

from urbanmine.commands.common import JsonOpt, guarded, out, positive, print_json
from urbanmine.commands.compliance import OnOpt, parse_date
from urbanmine.commands.passport_access import access_cmd
from urbanmine.compliance.categories import CATEGORIES

passport_app = typer.Typer(
    no_args_is_help=True, help="Battery passport (Articles 77-78 and Annex XIII of (EU) 2023/1542)."
)
passport_app.command("access")(access_cmd)


@passport_app.command("scope")
@guarded
def scope(
    category: Annotated[
        str, typer.Option("--category", help=f"Battery category: {', '.join(CATEGORIES)}.")
    ],
    on: OnOpt,
    kwh: Annotated[
        float | None,
        typer.Option("--kwh", callback=positive, help="Capacity, kWh (needed for industrial)."),
    ] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Does a battery placed on the market or put into service on --on DATE need a passport?

    Art. 77(1): LMT, EV and industrial batteries above 2 kWh, from 18 Feb 2027.
    Output: {"required": bool, "reason", "rule", "applies_from", "source"}.
    """
    from urbanmine.compliance.battery import passport_scope

    result = passport_scope(category, kwh, parse_date(on))
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        out.print(f"{'required' if result.required else 'not required'}: {result.reason}")
