"""The error every layer raises for bad input (foundation level: nothing imports upward for it).

``InputError`` and its subclasses are the user's fault (bad feed, route, parameter, option, facts
file) and become exit code 2 at the command line, with the message as the only output: it names
what is wrong and what is allowed.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input: the message names what is wrong and what is allowed."""


class UnknownSpeciesError(KeyError):
    """A species name that the species registry does not know (bad input, exit code 2)."""

    def __str__(self) -> str:
        return str(self.args[0])


def validation_message(error: Any, prefix: str, sep: str = ".") -> str:
    """One line for the first error of a pydantic ``ValidationError``: ``prefix`` and the field
    path joined by ``sep``, pydantic's message, and the value given (unless it is a whole
    table or list, which the message then describes)."""
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"])
    where = sep.join(part for part in (prefix, path) if part)
    msg = str(first["msg"]).removeprefix("Value error, ")
    given = first.get("input")
    shown = "" if isinstance(given, dict | list) else f" (given: {given!r})"
    return f"{where}: {msg}{shown}"
