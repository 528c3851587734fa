"""``urbanmine health``: battery health, remaining life and second-life triage (issue 16). Each
subcommand lives in its own module and is registered here with one line."""

from __future__ import annotations

import typer

health_app = typer.Typer(
    no_args_is_help=True, help="Battery health, remaining life and second-life triage."
)

from urbanmine.commands.health_triage import triage_cmd  # noqa: E402

health_app.command("triage")(triage_cmd)
