"""Command line: ``urbanmine feeds|routes|flowsheet|run|...``; ``--json`` for machine-readable
output. This module only assembles the commands of ``urbanmine.commands``.

Start-up is kept light so that every ``--help`` answers in well under half a second
(``bench/cli_startup.py``): command modules import numpy, scipy, pydantic models and SQLAlchemy
inside the commands that use them, and help is plain text (``rich_markup_mode=None``: Typer's
rich help formatter alone costs about 0.15 s of CPU per call).
"""

from __future__ import annotations

import typer

from urbanmine.commands.compliance import code_app, comply
from urbanmine.commands.factors import factors_app
from urbanmine.commands.feeds import feeds_app
from urbanmine.commands.fleet import fleet_cmd
from urbanmine.commands.flowsheet import flowsheet_cmd
from urbanmine.commands.health import health_app
from urbanmine.commands.impacts import closed_loop_cmd, footprint_cmd, sensitivity_cmd
from urbanmine.commands.network import network_cmd
from urbanmine.commands.passport import passport_app
from urbanmine.commands.registry import registry_app, serve_cmd
from urbanmine.commands.routes import routes_app
from urbanmine.commands.run import run_cmd
from urbanmine.commands.scenarios import scenarios_app

HELP = """urbanmine: closed-loop recycling of EV batteries (flowsheets, impacts, costs, compliance,
passport registry). Every command takes --json for machine-readable output.

Exit codes: 0 success; 1 unexpected error (a bug); 2 bad input (one message naming what is wrong
and what is allowed); 3 a compliance rule failed (only with comply --fail-on-fail).
"""

app = typer.Typer(no_args_is_help=True, add_completion=False, help=HELP, rich_markup_mode=None)
app.add_typer(feeds_app, name="feeds")
app.add_typer(routes_app, name="routes")
app.command("flowsheet")(flowsheet_cmd)
app.command("run")(run_cmd)
app.command("sensitivity")(sensitivity_cmd)
app.command("closed-loop")(closed_loop_cmd)
app.command("footprint")(footprint_cmd)
app.command("comply")(comply)
app.add_typer(code_app, name="code")
app.add_typer(passport_app, name="passport")
app.add_typer(factors_app, name="factors")
app.add_typer(registry_app, name="registry")
app.command("serve")(serve_cmd)
app.command("fleet")(fleet_cmd)
app.command("network")(network_cmd)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(health_app, name="health")

if __name__ == "__main__":
    app()
