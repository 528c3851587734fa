"""``urbanmine scenarios``: the built-in scenarios of the main job, to list and to copy
(docs/scenario.md)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from urbanmine.commands.common import JsonOpt, guarded, out, print_json, table

scenarios_app = typer.Typer(no_args_is_help=True, help="Built-in scenarios of `urbanmine run`.")


@scenarios_app.command("list")
@guarded
def scenarios_list(as_json: bool = JsonOpt) -> None:
    """List the built-in scenarios."""
    from urbanmine.scenario.builtin import DEFAULT, load, names

    rows: list[dict[str, Any]] = []
    for name in names():
        s = load(name)
        rows.append(
            {
                "name": name,
                "region": s.scenario.region,
                "years": [s.scenario.start, s.scenario.end],
                "title": s.scenario.title,
                "default": DEFAULT.get(s.scenario.region) == name,
            }
        )
    if as_json:
        print_json(rows)
        return
    t = table("scenario", "region", "years", "title")
    for r in rows:
        mark = " (default)" if r["default"] and r["region"] == "europe" else ""
        t.add_row(f"{r['name']}{mark}", r["region"], "-".join(map(str, r["years"])), r["title"])
    out.print(t)


@scenarios_app.command("show")
@guarded
def scenarios_show(name: str) -> None:
    """Print a built-in scenario file, to copy and edit."""
    from urbanmine.scenario.builtin import text

    sys.stdout.write(text(name))
