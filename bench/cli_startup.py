"""How fast the command line answers ``--help``: ``urbanmine --help`` and every sub-command's.

    .venv/bin/python bench/cli_startup.py            # 7 runs each
    .venv/bin/python bench/cli_startup.py --runs 15

Each figure is the median wall time of N fresh processes (``subprocess.run``, output captured),
measured from the parent, so it includes interpreter start-up. Printed side by side with two
floors: ``python -c pass`` (the interpreter alone) and a one-command Typer app answering
``--help`` (the framework: Typer, the rich help formatter and pydantic, which Typer 0.29 uses to
coerce option values, are loaded by every ``--help``). The commands are found by walking the Typer app's click
tree, so a new command is measured without editing this file. One line per command: median
wall seconds and median CPU seconds of the child (user + system; steadier than wall time when
other jobs share the cores). The target (issue 11) is under 0.5 s wall for every line.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer

from urbanmine.cli import app

SCRIPT = Path(sys.executable).with_name("urbanmine")
TYPER_FLOOR = """
import typer
app = typer.Typer()
@app.command()
def cmd(x: float = typer.Option(1.0, help="a number")) -> None: ...
@app.command()
def other() -> None: ...
app()
"""
"""The framework's own floor: Typer with two commands, one float option; its ``--help`` loads
what every Typer ``--help`` loads (rich's help formatter, pydantic for option coercion)."""


def commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the click tree under ``group`` (groups included; a group is a
    command with ``commands``: Typer ships its own copy of click, so no isinstance check)."""
    paths = [prefix]
    if hasattr(group, "commands"):
        for name, sub in sorted(group.commands.items()):
            paths.extend(commands(sub, (*prefix, name)))
    return paths


def median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, of the child) of ``runs`` fresh
    processes running ``argv`` (exit code must be 0)."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (median)")
    runs = parser.parse_args().runs
    print(f"runs per line: {runs}; median wall s, median CPU s (user + system)")
    print(f"{'command':<40} {'wall':>6} {'CPU':>6}")
    floors = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "a one-option Typer app: cmd --help": [sys.executable, "-c", TYPER_FLOOR, "cmd", "--help"],
    }
    for label, argv in floors.items():
        wall, cpu = median_seconds(argv, runs)
        print(f"{label:<40} {wall:6.3f} {cpu:6.3f}")
    worst = 0.0
    for path in commands(typer.main.get_command(app)):
        wall, cpu = median_seconds([str(SCRIPT), *path, "--help"], runs)
        worst = max(worst, wall)
        print(f"{' '.join(('urbanmine', *path, '--help')):<40} {wall:6.3f} {cpu:6.3f}")
    print(f"slowest --help: {worst:.3f} s wall (target < 0.5 s)")


if __name__ == "__main__":
    main()
