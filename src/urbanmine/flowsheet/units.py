"""Unit operations: mix inlets, dose reagents, react, split to outlets, book utilities.

One unit type covers mixers (one outlet), splitters/separators (split fractions per species per
outlet), reactors (stoichiometric reactions with conversion) and their combinations. Every number a
unit uses is either a literal or the name of a route parameter, resolved at evaluation time to a
scalar or an array over samples of shape (rows, 1), so one call evaluates many samples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from urbanmine.flowsheet.combustion import burn, combustion_change
from urbanmine.flowsheet.errors import InputError
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.materials.formula import atomic_mass
from urbanmine.materials.species import SpeciesIndex

Value = float | str
"""A number, or the name of a route parameter."""

Resolve = Callable[[Value], "float | np.ndarray"]
"""Turns a Value into a float or an array of shape (rows, 1)."""

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

    def measure(
        self, inlet: np.ndarray, outlets: Mapping[str, np.ndarray] | None, index: SpeciesIndex
    ) -> np.ndarray:
        """Basis quantity per row (kg or kmol), shape (rows,)."""
        if self.kind == "inlet":
            return inlet.sum(axis=1)
        if self.kind == "outlet":
            if outlets is None or self.stream is None or self.stream not in outlets:
                raise InputError(f"basis outlet {self.stream!r} is not an outlet of this unit")
            stream = outlets[self.stream]
            return stream.sum(axis=1) if not self.names else _species_sum(stream, self, index)
        if self.kind == "species":
            return _species_sum(inlet, self, index)
        if self.kind == "element":
            cols = [index.elements.index(e) for e in self.names if e in index.elements]
            if not cols:
                return np.zeros(inlet.shape[0])
            weights = index.E[:, cols]
            if self.per_mol:
                weights = weights / np.array([atomic_mass(index.elements[c]) for c in cols])
            return inlet @ weights.sum(axis=1)
        raise InputError(f"unknown basis kind {self.kind!r}; use inlet, species, element or outlet")


def _species_sum(stream: np.ndarray, basis: Basis, index: SpeciesIndex) -> np.ndarray:
    cols = [index.names.index(n) for n in basis.names if n in index.names]
    if not cols:
        return np.zeros(stream.shape[0])
    part = stream[:, cols]
    if basis.per_mol:
        part = part / index.molar_mass[cols]
    return part.sum(axis=1)


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


@dataclass
class UnitRun:
    """What one evaluation of a unit produced: outlet streams and booked inventory (per row)."""

    outlets: dict[str, np.ndarray]
    reagents: dict[str, np.ndarray]
    utilities: dict[str, np.ndarray]


def run_unit(
    unit: Unit,
    inlet: np.ndarray,
    index: SpeciesIndex,
    resolve: Resolve,
    book: bool = True,
) -> UnitRun:
    """Evaluate ``unit`` on its mixed inlet of shape (rows, species); returns outlets and inventory.

    ``book=False`` skips utilities and the check that reactions leave no negative mass (used for
    the linear-operator passes of recycle solves, where superposed parts may be negative).
    """
    rows = inlet.shape[0]
    changes = unit.doses or unit.reactions or unit.burn
    stream = inlet.copy() if changes else inlet  # the inlet stays as it came: bases measure it
    reagents: dict[str, np.ndarray] = {}

    def add_reagent(name: str, kg: np.ndarray) -> None:
        j = index.position(name)
        stream[:, j] += kg
        reagents[name] = reagents.get(name, 0.0) + kg

    for dose in unit.doses:
        amount = np.asarray(resolve(dose.amount)).reshape(-1)
        basis = dose.basis.measure(inlet, None, index)
        kg = amount * basis
        if dose.basis.per_mol:
            kg = kg * index.molar_mass[index.position(dose.species)]
        add_reagent(dose.species, np.broadcast_to(kg, (rows,)).copy())

    for reaction in unit.reactions:
        _apply_reaction(unit, reaction, stream, index, resolve, add_reagent, check=book)
    if unit.burn:
        burning = [n for n in unit.burn if n in index.names]
        shares = [resolve(unit.burn[n]) for n in burning]
        for name, kg in burn(stream, tuple(burning), shares, index.position).items():
            reagents[name] = reagents.get(name, 0.0) + kg

    outlets = _split(unit, stream, index, resolve)
    utilities: dict[str, np.ndarray] = {}
    if book:
        for util in unit.utilities:
            amount = np.asarray(resolve(util.amount)).reshape(-1)
            qty = amount * util.scale * util.basis.measure(inlet, outlets, index)
            utilities[util.kind] = utilities.get(util.kind, 0.0) + np.broadcast_to(qty, (rows,))
    return UnitRun(outlets, reagents, utilities)


def _apply_reaction(
    unit: Unit,
    reaction: Reaction,
    stream: np.ndarray,
    index: SpeciesIndex,
    resolve: Resolve,
    add_reagent: Callable[[str, np.ndarray], None],
    check: bool,
) -> None:
    r = index.position(reaction.reactant)
    if not stream[:, r].any():  # no reactant, no extent: nothing happens, nothing is dosed
        return
    nu_r = -float(reaction.stoichiometry[reaction.reactant])
    conversion = np.asarray(resolve(reaction.conversion)).reshape(-1)
    if np.any(conversion < 0) or np.any(conversion > 1):
        raise InputError(
            f"unit {unit.name!r}: conversion of {reaction.reactant!r} must lie in [0, 1]"
        )
    extent = conversion * stream[:, r] / index.molar_mass[r] / nu_r  # kmol per row
    for name, excess in reaction.dosed.items():
        e = np.asarray(resolve(excess)).reshape(-1)
        nu = -float(reaction.stoichiometry[name])
        add_reagent(name, extent * nu * (1.0 + e) * index.molar_mass[index.position(name)])
    for name, coefficient in reaction.stoichiometry.items():
        j = index.position(name)
        stream[:, j] += extent * (float(coefficient) * index.molar_mass[j])
    if not check:  # linear-operator passes of a recycle solve: superposed parts may be negative
        return
    cols = [index.position(n) for n, nu in reaction.stoichiometry.items() if nu < 0]
    low = stream[:, cols].min(axis=0)
    if low.min() >= 0:
        return
    scale = max(float(np.abs(stream).sum(axis=1).max()), 1e-300)
    bad = [index.names[c] for c, m in zip(cols, low, strict=True) if m < -1e-9 * scale]
    if bad:
        raise InputError(
            f"unit {unit.name!r}: reaction {reaction.equation!r} consumes more {', '.join(bad)} "
            "than the stream holds; dose it in the reaction or lower the conversion"
        )
    stream[:, cols] = np.maximum(stream[:, cols], 0.0)  # round-off of complete conversions


@dataclass(frozen=True)
class OutletShares:
    """Shares of one outlet: ``default`` for species not listed, ``columns``/``shares`` for the
    listed ones (``shares`` has shape (rows or 1, len(columns)))."""

    default: float | np.ndarray
    columns: np.ndarray
    shares: np.ndarray

    @property
    def sparse(self) -> bool:
        """True when only the listed species go to this outlet."""
        return np.ndim(self.default) == 0 and self.default == 0.0


def split_shares(unit: Unit, index: SpeciesIndex, resolve: Resolve) -> list[OutletShares]:
    """Shares of each outlet but the last; refuses shares outside [0, 1] or summing above 1."""
    result = []
    total_default: float | np.ndarray = 0.0
    for outlet in unit.outlets[:-1]:
        table = unit.split.get(outlet, {})
        default = resolve(table.get("*", 0.0))
        listed = [k for k in table if k != "*" and k in index.names]
        columns = np.array([index.position(k) for k in listed], dtype=int)
        values = [np.asarray(resolve(table[k]), dtype=float).reshape(-1) for k in listed]
        depth = max((v.size for v in values), default=1)
        shares = np.empty((depth, len(listed)))
        for i, v in enumerate(values):
            shares[:, i] = v
        result.append(OutletShares(default, columns, shares))
        total_default = total_default + default
    _check_shares(unit, result, total_default, len(index))
    return result


def _check_shares(
    unit: Unit, outlets: list[OutletShares], total_default: float | np.ndarray, n: int
) -> None:
    total = np.zeros((1, n)) + np.asarray(total_default).reshape(-1, 1)
    low = min((float(np.min(o.shares)) for o in outlets if o.shares.size), default=0.0)
    low = min(low, *(float(np.min(o.default)) for o in outlets))
    for o in outlets:
        if o.columns.size:
            total = np.broadcast_to(total, (max(total.shape[0], o.shares.shape[0]), n)).copy()
            total[:, o.columns] += o.shares - np.asarray(o.default).reshape(-1, 1)
    if low < 0 or np.any(total > 1 + 1e-12):
        raise InputError(
            f"unit {unit.name!r}: split shares must lie in [0, 1] and sum to at most 1 per species"
        )


def _split(
    unit: Unit, stream: np.ndarray, index: SpeciesIndex, resolve: Resolve
) -> dict[str, np.ndarray]:
    """Outlet streams. Outlets that take only listed species touch only those columns; the last
    outlet is what the others leave."""
    if len(unit.outlets) == 1:
        return {unit.outlets[0]: stream}
    rest = stream.copy()
    outlets = {}
    for name, o in zip(unit.outlets, split_shares(unit, index, resolve), strict=False):
        if o.sparse:
            part = np.zeros_like(stream)
            if o.columns.size:
                taken = stream[:, o.columns] * o.shares
                part[:, o.columns] = taken
                rest[:, o.columns] -= taken
        else:
            part = stream * (
                np.asarray(o.default).reshape(-1, 1) if np.ndim(o.default) else o.default
            )
            if o.columns.size:
                part[:, o.columns] = stream[:, o.columns] * o.shares
            rest -= part
        outlets[name] = part
    outlets[unit.outlets[-1]] = rest
    return outlets
