"""Unit operations: mix inlets, dose reagents, react, split to outlets, book utilities.

One unit type covers mixers (one outlet), splitters/separators (split fractions per species per
outlet), reactors (stoichiometric reactions with conversion) and their combinations. Every number a
unit uses is either a literal or the name of a route parameter, resolved at evaluation time to a
scalar or an array over samples of shape (rows, 1), so one call evaluates many samples. This
module describes units; ``plan`` compiles and evaluates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from urbanmine.flowsheet.combustion import combustion_change
from urbanmine.flowsheet.reaction import Reaction

Value = float | str
"""A number, or the name of a route parameter."""

UTILITIES = ("electricity_kWh", "natural_gas_MJ", "diesel_MJ", "water_kg")
"""Utilities a unit can book, in the units their names give."""

FATES = ("product", "recycled", "energy_recovery", "landfill", "emission")
"""Fates of the streams that leave a flowsheet."""


@dataclass(frozen=True)
class Basis:
    """What a dose or utility is proportional to.

    ``kind`` is ``inlet`` (total mass of the unit's mixed inlet), ``species`` (mass or, with
    ``per_mol``, kmol of the named species in the inlet), ``element`` (mass or kmol of the named
    elements in the inlet) or ``outlet`` (mass of the named species, or all, in one outlet stream).
    """

    kind: str = "inlet"
    names: tuple[str, ...] = ()
    stream: str | None = None
    per_mol: bool = False


@dataclass(frozen=True)
class Dose:
    """A reagent added to the unit's inlet in proportion to a basis (kg/kg, or kmol/kmol)."""

    species: str
    amount: Value
    basis: Basis = field(default_factory=Basis)


@dataclass(frozen=True)
class Utility:
    """A utility booked in proportion to a basis, in the unit of ``kind`` per kg (or kmol)."""

    kind: str
    amount: Value
    basis: Basis = field(default_factory=Basis)
    scale: float = 1.0  # unit conversion applied to ``amount`` (e.g. MJ -> kWh)


@dataclass(frozen=True)
class Unit:
    """A unit operation. Doses are added to the mixed inlet, reactions run in order, then the
    ``burn`` shares of species are burned completely (O2 from air); ``split`` maps every outlet but
    the last to ``{species or "*": share}`` and the last outlet takes the rest."""

    name: str
    inlets: tuple[str, ...]
    outlets: tuple[str, ...]
    split: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    reactions: tuple[Reaction, ...] = ()
    burn: Mapping[str, Value] = field(default_factory=dict)
    doses: tuple[Dose, ...] = ()
    utilities: tuple[Utility, ...] = ()
    label: str = ""
    source: str = ""

    @property
    def kind(self) -> str:
        parts = []
        if self.reactions or self.burn:
            parts.append("reactor")
        if len(self.outlets) > 1:
            parts.append("splitter")
        return "+".join(parts) or "mixer"

    def reagent_species(self) -> set[str]:
        out = {d.species for d in self.doses}
        for r in self.reactions:
            out.update(r.dosed)
        for name in self.burn:
            out.update(k for k, v in combustion_change(name).items() if v < 0 and k != name)
        return out

    def burn_products(self) -> set[str]:
        return {k for name in self.burn for k, v in combustion_change(name).items() if v > 0}

    def product_species(self) -> set[str]:
        out: set[str] = set()
        for r in self.reactions:
            out.update(s for s, nu in r.stoichiometry.items() if nu > 0)
        for name in self.burn:
            out.update(k for k, v in combustion_change(name).items() if v > 0)
        return out

    def values(self) -> list[Value]:
        """Every number or parameter name the unit uses."""
        vals: list[Value] = [v for table in self.split.values() for v in table.values()]
        for r in self.reactions:
            vals.append(r.conversion)
            vals.extend(r.dosed.values())
        vals.extend(self.burn.values())
        vals.extend(d.amount for d in self.doses)
        vals.extend(u.amount for u in self.utilities)
        return vals
