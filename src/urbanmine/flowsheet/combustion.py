"""Complete combustion of any species, formula or mixture, from its elemental composition.

Burning 1 kg of a species gives CO2 (from C), HF, HCl and HBr (from F, Cl and Br, taking H first), H2O (the
rest of the H), N2, SO2 and Na2O, and takes O2 from air (less the species' own oxygen). If the
species lacks the hydrogen its halogens need, water is taken in (it becomes a reagent). The result
is a fixed mass-change vector per kg burned, so burning is linear like every other unit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from urbanmine.errors import InputError
from urbanmine.materials.formula import atomic_mass, molar_mass, parse_formula
from urbanmine.materials.species import get_species

PRODUCTS = {"C": "CO2", "F": "HF", "Cl": "HCl", "Br": "HBr", "N": "N2", "S": "SO2", "Na": "Na2O"}
"""Combustion product of each element other than H and O."""

BURNABLE = frozenset({"C", "H", "O", *PRODUCTS})


@cache
def combustion_change(name: str) -> dict[str, float]:
    """kg of each species created (+) or used (-) by burning 1 kg of species ``name``."""
    sp = get_species(name)
    bad = set(sp.elements) - BURNABLE
    if bad:
        raise InputError(
            f"species {name!r} contains {', '.join(sorted(bad))} and cannot be burned "
            f"completely; burnable species contain only {', '.join(sorted(BURNABLE))}"
        )
    kmol = {el: frac / atomic_mass(el) for el, frac in sp.elements.items()}  # kmol per kg
    change: dict[str, float] = {name: -1.0}
    h_left = kmol.get("H", 0.0)
    o_needed = -kmol.get("O", 0.0)
    for el, product in PRODUCTS.items():
        if el not in kmol:
            continue
        atoms = parse_formula(product)
        n_product = kmol[el] / float(atoms[el])
        change[product] = change.get(product, 0.0) + n_product * molar_mass(atoms)
        h_left -= n_product * float(atoms.get("H", 0))
        o_needed += n_product * float(atoms.get("O", 0))
    water = h_left / 2.0  # kmol H2O formed (negative: water taken in for the halogens)
    o_needed += water
    change["H2O"] = change.get("H2O", 0.0) + water * molar_mass(parse_formula("H2O"))
    change["O2"] = -o_needed / 2.0 * molar_mass(parse_formula("O2"))
    return change


def burn(
    stream: np.ndarray,
    names: tuple[str, ...],
    shares: list[float | np.ndarray],
    position: Callable[[str], int],
) -> dict[str, np.ndarray]:
    """Burn ``share`` of each named species in ``stream`` in place; return reagents taken (kg)."""
    reagents: dict[str, np.ndarray] = {}
    for name, share in zip(names, shares, strict=True):
        j = position(name)
        kg = stream[:, j] * np.asarray(share).reshape(-1)
        for product, per_kg in combustion_change(name).items():
            if per_kg == 0.0:  # e.g. no water formed from a hydrogen-free species
                continue
            if product == name:
                stream[:, j] -= kg
            elif per_kg < 0:  # O2 (and water for halogens) come from outside
                reagents[product] = reagents.get(product, 0.0) + kg * -per_kg
            else:
                stream[:, position(product)] += kg * per_kg
    return reagents
