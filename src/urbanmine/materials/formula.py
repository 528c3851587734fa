"""Chemical formulas with fractional subscripts, and element masses from ``molmass``.

Atomic weights are the IUPAC standard atomic weights shipped by the ``molmass`` library
(Gohlke, https://pypi.org/project/molmass/); no atomic weight is typed by hand here.
``molmass`` itself does not parse fractional subscripts (``LiNi0.8Mn0.1Co0.1O2``), so this module
parses formulas into exact :class:`fractions.Fraction` atom counts and looks the element masses up.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache

from molmass import ELEMENTS

_TOKEN = re.compile(r"([A-Z][a-z]?)|(\()|(\))|(\d+(?:\.\d+)?(?:/\d+)?)|(\s+)")


class FormulaError(ValueError):
    """A formula that cannot be parsed."""


def _count(text: str) -> Fraction:
    if "/" in text:
        num, den = text.split("/")
        return Fraction(Fraction(num), int(den))
    return Fraction(text)


@cache
def parse_formula(formula: str) -> dict[str, Fraction]:
    """Atom counts of one formula unit, e.g. ``"LiNi1/3Mn1/3Co1/3O2"`` or ``"Ni(OH)2"``.

    Subscripts may be integers, decimals (``0.8``) or fractions (``1/3``); parentheses nest.
    Raises :class:`FormulaError` naming the offending position or element.
    """
    stack: list[dict[str, Fraction]] = [{}]
    last: dict[str, Fraction] | str | None = None
    pos = 0
    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if m is None:
            raise FormulaError(f"cannot parse formula {formula!r} at position {pos}")
        element, open_paren, close_paren, number, _space = m.groups()
        if element:
            if element not in ELEMENTS:
                raise FormulaError(f"unknown element {element!r} in formula {formula!r}")
            stack[-1][element] = stack[-1].get(element, Fraction(0)) + 1
            last = element
        elif open_paren:
            stack.append({})
            last = None
        elif close_paren:
            if len(stack) == 1:
                raise FormulaError(f"unbalanced ')' in formula {formula!r}")
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, Fraction(0)) + n
            last = group
        elif number:
            factor = _count(number)
            if isinstance(last, str):
                stack[-1][last] += factor - 1
            elif isinstance(last, dict):
                for el, n in last.items():
                    stack[-1][el] += n * (factor - 1)
            else:
                raise FormulaError(f"number without element in formula {formula!r}")
            last = None
        pos = m.end()
    if len(stack) != 1:
        raise FormulaError(f"unbalanced '(' in formula {formula!r}")
    atoms = {el: n for el, n in stack[0].items() if n != 0}
    if not atoms:
        raise FormulaError(f"empty formula {formula!r}")
    return atoms


def atomic_mass(element: str) -> float:
    """Standard atomic weight of ``element`` in g/mol (from ``molmass``)."""
    try:
        return float(ELEMENTS[element].mass)
    except KeyError as exc:
        raise FormulaError(f"unknown element {element!r}") from exc


def molar_mass(atoms: dict[str, Fraction]) -> float:
    """Molar mass in g/mol of a formula unit with the given atom counts."""
    return sum(float(n) * atomic_mass(el) for el, n in atoms.items())


def mass_fractions(atoms: dict[str, Fraction]) -> dict[str, float]:
    """Element mass fractions (kg element per kg species) of a formula unit."""
    total = molar_mass(atoms)
    return {el: float(n) * atomic_mass(el) / total for el, n in atoms.items()}
