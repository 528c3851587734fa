"""What every command shares: consoles, the bad-input guard, JSON printing, common options.

Exit codes: 0 success, 2 bad input (one message naming what is wrong and what is allowed),
1 unexpected error, 3 a compliance rule failed (``comply --fail-on-fail``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from urbanmine.errors import InputError, UnknownSpeciesError

PIPED_WIDTH = 10_000
"""Console width when the output is not a terminal: text piped to a file or another program is
never wrapped or cut (rich assumes 80 columns otherwise)."""


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    return console


out = _console()
err = _console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = typer.Option(False, "--json", help="Print JSON.")
SeedOpt = typer.Option(None, "--seed", min=0, help="Random seed (a whole number >= 0).")

CountingOpt = typer.Option(
    "battery_origin",
    "--counting",
    help="How a flowsheet result's outputs count toward recycling efficiency and recovery: "
    "battery_origin (the law: mass produced from the battery; reagent atoms and water not "
    "counted) or element_capped (upper bound: each element up to its input mass).",
)
NegativeListOpt = typer.Option(
    False,
    "--exclude-negative-list",
    help="Leave the substances of Del. Reg. (EU) 2025/606's negative list (C, P, Cl as far as "
    "established) out of numerator and denominator, as a recycler may.",
)
WeeeCategoryOpt = typer.Option(
    None,
    "--weee-category",
    help="Judge a flowsheet result of a WEEE feed (circuit boards...) against Directive "
    "2012/19/EU Annex V targets of this Annex III category (1-6; boards of PCs and phones: 6, "
    "of other small equipment: 5), for the treated fraction only.",
)

ElvOpt = typer.Option(
    False,
    "--elv",
    help="Judge a flowsheet result of a vehicle feed (ICE-car, BEV-car...) against the reuse/"
    "recovery and reuse/recycling targets of Directive 2000/53/EC Art. 7(2) (rule set "
    "eu-elv-2000-53): the vehicle's own mass in outputs of fate product and recycled (and "
    "energy recovery for reuse/recovery).",
)

RULE_FAILED = 3
"""Exit code of ``urbanmine comply --fail-on-fail`` when at least one rule fails: distinct from
1 (unexpected error) and 2 (bad input), so that a script can tell a failed rule from a bug."""

BAD_INPUT: tuple[type[Exception], ...] = (InputError, UnknownSpeciesError)
"""Exceptions that mean the user's input is wrong (exit code 2)."""


def guarded(fn: F) -> F:
    """Turn bad input into one message and exit code 2; anything else into exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BAD_INPUT as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except typer.Exit:
            raise
        except Exception as exc:  # an unexpected failure is a bug: say so, exit 1
            err.print(
                f"unexpected error ({type(exc).__name__}): {exc}", markup=False, soft_wrap=True
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells wrap (fold) instead of being cut with an ellipsis when a terminal is
    narrow: names are always printed whole."""
    t = Table(title=title)
    for h in headers:
        t.add_column(h, overflow="fold")
    return t


PROGRESS_DELAY_S = 1.0
"""A run shows a progress bar once it has lasted this long (shorter runs do not flash one)."""


class StderrProgress:
    """Progress of a long run on stderr, with and without ``--json`` (stdout stays clean).

    ``update(what, done, total)`` moves the bar of task ``what``. The bar appears once the run
    has lasted ``PROGRESS_DELAY_S`` and is removed when the run ends. It is drawn only when
    stderr is a terminal: on a pipe or a file nothing is written (rich would leave a blank line),
    so logs and programs that capture stderr see no progress noise.
    """

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> StderrProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, what: str, done: int, total: int) -> None:
        if self._bar is None:
            if not err.is_terminal or time.monotonic() - self._started < PROGRESS_DELAY_S:
                return
            from rich.progress import Progress

            self._bar = Progress(console=err, transient=True)
            self._bar.start()
        if what not in self._tasks:
            self._tasks[what] = self._bar.add_task(what, total=total)
        self._bar.update(self._tasks[what], completed=done, total=total)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (NaN and infinity refused: they are not JSON)."""
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


SMALLEST, LARGEST = 1e-9, 1e15
"""Range of the quantities given on the command line (kg, kWh, t/yr, cycles, km): a microgram
to a trillion tonnes. Beyond it a number is a typo, and tiny ones underflow the arithmetic (a feed
of 5e-324 kg gave a NaN recycling efficiency)."""


def _in_range(value: float | None, zero: bool) -> float | None:
    if value is None or (zero and value == 0) or SMALLEST <= value <= LARGEST:
        return value
    least = "0" if zero else f"{SMALLEST:g}"
    raise typer.BadParameter(f"got {value:g}; allowed: a number from {least} to {LARGEST:g}")


def positive(value: float | None) -> float | None:
    """Option callback for masses, capacities, cycles, kWh: a number in [1e-9, 1e15] (or none);
    NaN, infinity, 0 and negative numbers are refused."""
    return _in_range(value, zero=False)


def non_negative(value: float | None) -> float | None:
    """Option callback for distances and other quantities that may be 0: 0 or in [1e-9, 1e15]."""
    return _in_range(value, zero=True)


GIVEN = ("COMMANDLINE", "ENVIRONMENT", "PROMPT")
"""Names of the parameter sources that mean the user gave an option (typer ships its own click,
so its ``ParameterSource`` enum is compared by name)."""


def refuse_unused(ctx: typer.Context, needs: Mapping[str, tuple[bool, str]]) -> None:
    """Refuse options the user gave that would have no effect: ``needs`` maps a parameter name to
    (whether what it works with is there, what that is, e.g. ``"--impacts or --economics"``)."""
    for name, (met, what) in needs.items():
        source = ctx.get_parameter_source(name)
        if not met and source is not None and source.name in GIVEN:
            flag = next(p.opts[0] for p in ctx.command.params if p.name == name)
            raise InputError(
                f"{flag} has no effect without {what}; give {what} too, or leave {flag} out"
            )
