"""Stoichiometric reactions with a conversion, checked for atom balance when built.

A reaction is written like ``"2 NMC811 + 3 H2SO4 + H2O2 -> Li2SO4 + 1.6 NiSO4 + 0.2 MnSO4 +
0.2 CoSO4 + 4 H2O + O2"`` with species names from the registry (only species with a formula can
react). The extent in kmol is ``conversion x (kmol of the reference reactant) / |its coefficient|``,
so a reaction is linear in its inlet, which is what makes flowsheets linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import UnbalancedReactionError
from urbanmine.materials.species import UnknownSpeciesError, get_species

_TERM = re.compile(r"^\s*(?:(\d+(?:\.\d+)?(?:/\d+)?)\s+)?(\S+)\s*$")


def _coefficient(text: str | None) -> Fraction:
    if text is None:
        return Fraction(1)
    if "/" in text:
        num, den = text.split("/")
        if int(den) == 0:
            raise InputError(f"coefficient {text!r} divides by zero")
        return Fraction(Fraction(num), int(den))
    return Fraction(text)


def parse_equation(equation: str) -> dict[str, Fraction]:
    """Signed molar coefficients (reactants negative) of ``"a A + b B -> c C"``."""
    if equation.count("->") != 1:
        raise InputError(f"reaction {equation!r}: write it as 'a A + b B -> c C' with one '->'")
    left, right = equation.split("->")
    coeffs: dict[str, Fraction] = {}
    for side, sign in ((left, -1), (right, 1)):
        for term in side.split(" + "):
            m = _TERM.match(term)
            if m is None or not term.strip():
                raise InputError(f"reaction {equation!r}: cannot read term {term.strip()!r}")
            name = m.group(2)
            try:
                nu = _coefficient(m.group(1))
            except InputError as exc:
                raise InputError(f"reaction {equation!r}: {exc}") from None
            coeffs[name] = coeffs.get(name, Fraction(0)) + sign * nu
    return {k: v for k, v in coeffs.items() if v != 0}


def atom_residual(stoichiometry: dict[str, Fraction]) -> dict[str, Fraction]:
    """Net atoms created by the reaction per unit extent (empty when it balances)."""
    net: dict[str, Fraction] = {}
    for name, nu in stoichiometry.items():
        sp = get_species(name)
        if sp.atoms is None:
            raise InputError(
                f"species {name!r} is a mixture without a formula and cannot take part in a "
                "reaction; react its components instead"
            )
        for el, n in sp.atoms.items():
            net[el] = net.get(el, Fraction(0)) + nu * n
    return {el: n for el, n in net.items() if n != 0}


@dataclass(frozen=True)
class Reaction:
    """A balanced reaction with a reference reactant, conversion and reagents dosed from outside.

    ``conversion`` is a number or the name of a route parameter. ``dosed`` maps co-reactants that
    the unit supplies on demand to their excess fraction (0 = exactly stoichiometric, or the name
    of a parameter); other reactants must already be in the stream. ``origin_first`` is the
    reaction's atom mapping for battery-origin mass: element -> products that take the battery's
    atoms of that element first (see ``urbanmine.flowsheet.origin`` for the default order).
    """

    equation: str
    stoichiometry: dict[str, Fraction]
    reactant: str
    conversion: float | str
    dosed: dict[str, float | str]
    origin_first: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        equation: str,
        reactant: str,
        conversion: float | str,
        dosed: dict[str, float | str] | None = None,
        origin_first: dict[str, list[str]] | None = None,
    ) -> Reaction:
        try:
            stoich = parse_equation(equation)
            residual = atom_residual(stoich)
        except UnknownSpeciesError as exc:
            raise InputError(f"reaction {equation!r}: {exc}") from None
        if residual:
            detail = ", ".join(f"{el} {float(n):+g}" for el, n in sorted(residual.items()))
            raise UnbalancedReactionError(
                f"reaction {equation!r} does not balance (atoms created per extent: {detail})"
            )
        if stoich.get(reactant, 0) >= 0:
            raise InputError(
                f"reaction {equation!r}: reference reactant {reactant!r} must be on the left side"
            )
        dosed = dict(dosed or {})
        for name in dosed:
            if stoich.get(name, 0) >= 0:
                raise InputError(
                    f"reaction {equation!r}: dosed reagent {name!r} must be a reactant"
                )
            if name == reactant:
                raise InputError(f"reaction {equation!r}: the reference reactant cannot be dosed")
        first = _origin_first(equation, stoich, origin_first or {})
        return cls(equation, stoich, reactant, conversion, dosed, first)


def _origin_first(
    equation: str, stoich: dict[str, Fraction], mapping: dict[str, list[str]]
) -> dict[str, tuple[str, ...]]:
    """Check an atom mapping: each element's listed species are products that contain it."""
    if not isinstance(mapping, Mapping):
        raise InputError(
            f"reaction {equation!r}: origin_first must be a table {{element = [products]}}"
        )
    out = {}
    for element, products in mapping.items():
        if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
            raise InputError(
                f"reaction {equation!r}: origin_first.{element} must be a list of product "
                f"names, got {products!r}"
            )
        for name in products:
            if stoich.get(name, 0) <= 0:
                raise InputError(
                    f"reaction {equation!r}: origin_first.{element} names {name!r}, which is "
                    "not a product of the reaction"
                )
            if element not in (get_species(name).atoms or {}):
                raise InputError(
                    f"reaction {equation!r}: origin_first.{element} names {name!r}, which "
                    f"holds no {element}"
                )
        out[element] = tuple(products)
    return out
