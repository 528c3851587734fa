"""Command line: ``urbanmine feeds|routes|flowsheet|run|...``; ``--json`` for machine-readable
output. This module only assembles the commands of ``urbanmine.commands``.

Exit codes: 0 success, 2 bad input (one message naming what is wrong and what is allowed),
1 unexpected error.
"""

from __future__ import annotations

import typer

from urbanmine.commands.compliance import code_app, comply
from urbanmine.commands.factors import factors_app
from urbanmine.commands.feeds import feeds_app
from urbanmine.commands.flowsheet import flowsheet_cmd, run_cmd
from urbanmine.commands.impacts import closed_loop_cmd, footprint_cmd, sensitivity_cmd
from urbanmine.commands.passport import passport_app
from urbanmine.commands.registry import registry_app, serve_cmd
from urbanmine.commands.routes import routes_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
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

if __name__ == "__main__":
    app()
