"""``urbanmine health``: battery health, remaining life and second-life triage (issue 16).
Each subcommand lives in its own ``commands/health_*.py`` module and is registered here."""

from __future__ import annotations

import typer

from urbanmine.commands.health_severson import fit_cmd, predict_cmd
from urbanmine.commands.health_telemetry import telemetry_cmd
from urbanmine.commands.health_triage import triage_cmd

health_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Battery health, remaining life and second-life triage.",
)
health_app.command("fit")(fit_cmd)
health_app.command("predict")(predict_cmd)
health_app.command("telemetry")(telemetry_cmd)
health_app.command("triage")(triage_cmd)
