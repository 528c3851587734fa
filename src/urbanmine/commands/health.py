"""``urbanmine health``: battery health, remaining life and second-life triage (issue 16). Each
part registers its subcommands on ``health_app`` from its own module, imported below."""

from __future__ import annotations

import typer

health_app = typer.Typer(
    no_args_is_help=True, help="Battery health, remaining life and second-life triage."
)

import urbanmine.commands.health_severson  # noqa: E402, F401  (fit, predict)
