"""What the registry accepts as input at most, each number with its reason (docs/registry.md,
"Limits and bad input"), and the check every JSON value passes on the way in.

``check_json`` refuses, naming the field (``body.events[3].payload.x``): nesting deeper than
``MAX_DEPTH``, numbers that are not finite (``NaN``, ``Infinity``, ``1e999`` which parses to
infinity) and strings
with a lone UTF-16 surrogate (``"\\ud800"``: valid JSON escape, but no Unicode character, so no
UTF-8 text and no database can hold it). Pure: no I/O, no framework.
"""

from __future__ import annotations

import math
import re
from typing import Any

from urbanmine.registry.errors import Invalid

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body (32 MiB), refused with 413 before it is read whole. A full batch of
10,000 events (about 0.3 kB each) takes a tenth of it; a passport batch of the official Battery Pass
1.2.0 example documents (about 7 kB for all seven aspects) holds some 4,500 of them. Parsed, a body
takes about ten times its size in memory: the limit bounds one request to a few hundred MB."""

MAX_DEPTH = 32
"""Deepest nesting of objects and arrays in a request body, the body itself counting as level 1.
The official Battery Pass 1.2.0 example payloads nest 5 levels within an aspect; a passport in a
batch adds 4 (body, ``passports``, entry, ``document``): 9 in all, 32 leaves more than three times
that. Deeper values are stored fine but fail to serialise on the way out (pydantic stops at about
255 levels; Python's ``json`` at about 1,000)."""

MAX_MASS_KG = 1e12
"""Largest mass in one value (an element in a lot, an EPR declaration, a battery's mass): a billion
tonnes, hundreds of times the mass of all the EV batteries made in the world in a year (about
750 GWh in 2023, IEA Global EV Outlook 2024, at about 0.15 kWh/kg: some 5 million tonnes).
Sums of such values cannot overflow a float."""

_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE = "a lone UTF-16 surrogate (such as \\ud800) is no character; text must be valid Unicode"
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels of objects and arrays (the limit)"
NOT_FINITE = "numbers must be finite (NaN, Infinity and values beyond 1.8e308 are not allowed)"


def check_json(value: Any, where: str = "body") -> None:
    """``Invalid`` naming the first value of ``value`` (parsed JSON) that the registry refuses."""
    problem = _scan(value)
    if problem is not None:
        path = _locate(value, [], problem)
        assert path is not None  # _scan found it
        named = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)
        raise Invalid(f"{where}{named}: {problem}".encode("utf-8", "backslashreplace").decode())


def _problem(node: Any, depth: int) -> str | None:
    """What is wrong with ``node`` itself (not its contents), found at nesting level ``depth``."""
    kind = type(node)
    if kind is str:
        return SURROGATE if not node.isascii() and _SURROGATE.search(node) else None
    if kind is float:
        return None if math.isfinite(node) else NOT_FINITE
    if kind is dict or kind is list:
        return TOO_DEEP if depth > MAX_DEPTH else None
    return None


def _scan(value: Any) -> str | None:
    """The first problem found in ``value`` (fast: scalars checked in place, no paths kept), or
    ``None``. ``x - x`` is NaN exactly when ``x`` is NaN or infinite."""
    problem = _problem(value, 1)
    stack = [(value, 1)] if problem is None and type(value) in (dict, list) else []
    pop, push, search = stack.pop, stack.append, _SURROGATE.search
    while stack:
        node, depth = pop()
        if type(node) is dict:
            for key in node:
                if not key.isascii() and search(key):
                    return SURROGATE
            items = node.values()
        else:
            items = node
        for item in items:
            kind = type(item)
            if kind is str:
                if not item.isascii() and search(item):
                    return SURROGATE
            elif kind is float:
                if item - item != 0.0:
                    return NOT_FINITE
            elif kind is dict or kind is list:
                if depth >= MAX_DEPTH:
                    return TOO_DEEP
                push((item, depth + 1))
    return problem


def _locate(node: Any, path: list[str | int], problem: str) -> list[str | int] | None:
    """The path to a value with ``problem`` in ``node`` (at ``path``), depth first. Recursive:
    the search goes no deeper than ``MAX_DEPTH + 1`` levels, where ``_scan`` stopped."""
    if _problem(node, len(path) + 1) == problem:
        return path
    if type(node) is dict:
        for key, item in node.items():
            if _problem(key, 0) == problem:
                return [*path, key]
            found = _locate(item, [*path, key], problem)
            if found is not None:
                return found
    elif type(node) is list:
        for index, item in enumerate(node):
            found = _locate(item, [*path, index], problem)
            if found is not None:
                return found
    return None
