"""Species: named substances with an elemental composition and a source.

A species is either a formula unit (``"LiNi0.8Mn0.1Co0.1O2"``; element masses from the atomic
weights of ``molmass``) or a mixture of formulas by mass fraction (binders, steels, electronics),
each with the source of its composition. The registry is ``urbanmine/data/species.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import UnknownSpeciesError as UnknownSpeciesError
from urbanmine.materials.formula import mass_fractions, molar_mass, parse_formula

PHASES = ("solid", "liquid", "aqueous", "gas")


@dataclass(frozen=True)
class Species:
    """One substance. ``elements`` maps element symbol to kg element per kg species (sums to 1).

    ``atoms`` (atom counts per formula unit) and ``molar_mass`` (g/mol) exist only for species with
    a formula; only those can take part in stoichiometric reactions.
    """

    name: str
    elements: MappingProxyType[str, float]
    phase: str
    label: str
    source: str
    formula: str | None = None
    atoms: MappingProxyType[str, Fraction] | None = None
    molar_mass: float | None = None
    mixture: MappingProxyType[str, float] | None = field(default=None)

    @property
    def has_formula(self) -> bool:
        return self.atoms is not None


def _mixture_elements(name: str, mixture: dict[str, float]) -> dict[str, float]:
    total = sum(mixture.values())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"species {name!r}: mixture fractions sum to {total}, expected 1")
    out: dict[str, float] = {}
    for formula, share in mixture.items():
        for el, frac in mass_fractions(parse_formula(formula)).items():
            out[el] = out.get(el, 0.0) + share * frac
    return out


def species_from_record(name: str, rec: dict[str, Any]) -> Species:
    """Build a species from its TOML record (``formula`` xor ``mixture``, plus phase/label/source)."""
    for key in ("phase", "source"):
        if key not in rec:
            raise ValueError(f"species {name!r}: missing {key!r}")
    if rec["phase"] not in PHASES:
        raise ValueError(f"species {name!r}: phase {rec['phase']!r} is not one of {PHASES}")
    if ("formula" in rec) == ("mixture" in rec):
        raise ValueError(f"species {name!r}: give exactly one of 'formula' or 'mixture'")
    common = dict(name=name, phase=rec["phase"], label=rec.get("label", name), source=rec["source"])
    if "formula" in rec:
        atoms = parse_formula(rec["formula"])
        return Species(
            elements=MappingProxyType(mass_fractions(atoms)),
            formula=rec["formula"],
            atoms=MappingProxyType(dict(atoms)),
            molar_mass=molar_mass(atoms),
            **common,
        )
    mixture = {str(k): float(v) for k, v in rec["mixture"].items()}
    return Species(
        elements=MappingProxyType(_mixture_elements(name, mixture)),
        mixture=MappingProxyType(mixture),
        **common,
    )


@cache
def registry() -> MappingProxyType[str, Species]:
    """All shipped species by name."""
    data = load_toml("species.toml")
    return MappingProxyType({name: species_from_record(name, rec) for name, rec in data.items()})


def get_species(name: str) -> Species:
    """The species called ``name``; raises :class:`UnknownSpeciesError` listing what exists."""
    reg = registry()
    try:
        return reg[name]
    except KeyError:
        raise UnknownSpeciesError(
            f"unknown species {name!r}; known species: {', '.join(sorted(reg))}"
        ) from None


@dataclass(frozen=True)
class SpeciesIndex:
    """An ordered set of species with its species x element mass-fraction matrix ``E``.

    ``E[i, j]`` is kg of element ``elements[j]`` per kg of species ``names[i]``, so a stream array
    of shape (samples, species) times ``E`` gives element masses of shape (samples, elements).
    """

    names: tuple[str, ...]
    elements: tuple[str, ...]
    E: np.ndarray
    molar_mass: np.ndarray  # g/mol, NaN for mixtures

    @classmethod
    def of(cls, names: list[str] | tuple[str, ...]) -> SpeciesIndex:
        unique = tuple(dict.fromkeys(names))
        species = [get_species(n) for n in unique]
        elements = tuple(sorted({el for s in species for el in s.elements}))
        col = {el: j for j, el in enumerate(elements)}
        E = np.zeros((len(unique), len(elements)))
        for i, s in enumerate(species):
            for el, frac in s.elements.items():
                E[i, col[el]] = frac
        mm = np.array([s.molar_mass if s.molar_mass is not None else np.nan for s in species])
        E.setflags(write=False)
        mm.setflags(write=False)
        return cls(unique, elements, E, mm)

    def __len__(self) -> int:
        return len(self.names)

    def position(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise UnknownSpeciesError(f"species {name!r} is not in this flowsheet") from None
