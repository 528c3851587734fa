"""Compiled units: each unit works only on the species that can be present in it.

A flowsheet's species set is wide (every species of every route), but each stream holds few of
them. Compiling fixes, per unit, its *work columns* (species that can be in its mixed inlet, be
dosed, take part in its reactions or come from burning) and, per stream, the species it can hold
(``flowsheet.activity``). A ``Stream`` then stores only those columns, so a unit touches arrays of
shape (rows, a few) instead of (rows, all species), and bases become one dot product with a weight
vector fixed at compile time.

Beside its species masses a stream may carry its battery-origin tracer (``origin``): kg of each
tracked element that came from the feed, per (species, element) pair whose species holds the
element (``urbanmine.flowsheet.origin``). Units move it with the mass: splits share it, mixers
add it, reactions and burning hand it to products.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from urbanmine.errors import InputError
from urbanmine.flowsheet.combustion import burn, combustion_change
from urbanmine.flowsheet.origin import (
    OriginElements,
    ReleasePlan,
    burn_products,
    reaction_products,
    release,
    release_plan,
)
from urbanmine.flowsheet.reaction import Reaction
from urbanmine.flowsheet.species_sets import expand_split
from urbanmine.flowsheet.units import Basis, Unit, Value
from urbanmine.materials.formula import atomic_mass
from urbanmine.materials.species import SpeciesIndex

Resolve = Callable[[Value], "float | np.ndarray"]
"""Turns a Value into a float or an array of shape (rows, 1)."""


@dataclass(frozen=True, slots=True)
class Stream:
    """Species masses (kg) of a stream on the species it can hold: ``data[:, k]`` is the mass of
    species ``cols[k]`` of the flowsheet's species index; every other species is zero.
    ``origin[:, j]`` (if tracked) is kg of the tracked element of pair ``j`` in its species that
    came from the feed, for the pairs ``OriginElements.pairs(cols)`` in their order."""

    cols: np.ndarray
    data: np.ndarray
    origin: np.ndarray | None = None

    def full(self, n: int) -> np.ndarray:
        """The stream on all ``n`` species of the index, shape (rows, n)."""
        out = np.zeros((self.data.shape[0], n))
        out[:, self.cols] = self.data
        return out

    def mass(self) -> np.ndarray:
        """Total mass per row (kg), shape (rows,)."""
        return self.data.sum(axis=1)


@dataclass(frozen=True)
class WeightedBasis:
    """A basis as a weight vector: quantity = stream @ weights (kg or kmol per row).

    ``outlet`` is None for bases measured on the unit's mixed inlet (weights over the work
    columns), or the outlet's position in the unit (weights over that outlet's columns).
    """

    weights: np.ndarray
    outlet: int | None = None


@dataclass(frozen=True)
class OutletPlan:
    """One outlet but the last: its columns and where its shares come from.

    ``default`` is the ``*`` share for species not listed, ``listed`` maps positions within
    ``cols`` to the listed species' share values."""

    default: Value
    listed: tuple[tuple[int, Value], ...]


@dataclass(frozen=True)
class Consumption:
    """A reaction's reactants on the unit's work columns: ``cols``, kg of each used per kmol of
    extent, and which of them is the reference reactant (fixed at compile time)."""

    cols: np.ndarray
    kg_per_extent: np.ndarray
    reference: int


@dataclass(frozen=True)
class UnitPlan:
    """A unit compiled against a species index and the streams' activity masks."""

    unit: Unit
    work: np.ndarray  # global species columns of the unit's working stream, sorted
    names: tuple[str, ...]  # species of ``work``
    local: Mapping[str, int]  # species name -> position in ``work``
    inlet_pos: tuple[np.ndarray, ...]  # per inlet: positions in ``work`` of its columns
    outlet_cols: tuple[np.ndarray, ...]  # per outlet: global columns
    outlet_pos: tuple[np.ndarray, ...]  # per outlet: positions in ``work``
    shares: tuple[OutletPlan, ...]  # per outlet but the last
    dose_bases: tuple[WeightedBasis, ...]
    utility_bases: tuple[WeightedBasis, ...]
    molar_mass: np.ndarray  # g/mol of the work species
    releases: tuple[ReleasePlan, ...]  # per reaction: battery-origin hand-over
    consumptions: tuple[Consumption, ...]  # per reaction: its reactants, for the hand-over
    burn_releases: Mapping[str, ReleasePlan]  # per burned species
    pairs: int  # number of (species, tracked element) pairs of ``work``
    inlet_pairs: tuple[np.ndarray, ...]  # per inlet: positions of its pairs in the work pairs
    outlet_pairs: tuple[np.ndarray, ...]  # per outlet: positions of its pairs in the work pairs
    outlet_pair_species: tuple[np.ndarray, ...]  # per outlet: each pair's species in the outlet

    @property
    def changes(self) -> bool:
        u = self.unit
        return bool(u.doses or u.reactions or u.burn)


def work_columns(unit: Unit, inlet_mask: np.ndarray, index: SpeciesIndex) -> np.ndarray:
    """Columns a unit works on: what can arrive, be dosed, react or come from burning."""
    mask = inlet_mask.copy()
    names = [d.species for d in unit.doses]
    for r in unit.reactions:
        names.extend(r.stoichiometry)
    names.extend(unit.burn_products())
    names.extend(n for n in unit.burn if n in index.names)
    for n in names:
        mask[index.position(n)] = True
    return np.flatnonzero(mask)


def plan_unit(
    unit: Unit, index: SpeciesIndex, active: Mapping[str, np.ndarray], elements: OriginElements
) -> UnitPlan:
    """Compile ``unit``: work columns, where each inlet and outlet sits in them, basis weights,
    and how its reactions hand on battery-origin atoms of the ``elements.tracked`` elements."""
    inlet_mask = np.zeros(len(index), dtype=bool)
    for s in unit.inlets:
        inlet_mask |= active[s]
    work = work_columns(unit, inlet_mask, index)
    names = tuple(index.names[c] for c in work)
    local = {n: k for k, n in enumerate(names)}
    inlet_pos = tuple(np.searchsorted(work, np.flatnonzero(active[s])) for s in unit.inlets)
    outlet_cols = tuple(np.flatnonzero(active[s]) for s in unit.outlets)
    outlet_pos = tuple(np.searchsorted(work, c) for c in outlet_cols)
    for s, cols, pos in zip(unit.outlets, outlet_cols, outlet_pos, strict=True):
        if cols.size and not np.array_equal(work[pos], cols):
            raise RuntimeError(f"unit {unit.name!r}: outlet {s!r} holds species outside the unit")
    shares = []
    for outlet, cols in zip(unit.outlets[:-1], outlet_cols, strict=False):
        table = expand_split(unit.split.get(outlet, {}))
        at = {index.names[c]: k for k, c in enumerate(cols)}
        listed = tuple((at[k], v) for k, v in table.items() if k != "*" and k in at)
        shares.append(OutletPlan(table.get("*", 0.0), listed))
    for d in unit.doses:
        if d.basis.kind == "outlet":  # a dose goes into the unit before anything leaves it
            raise InputError(
                f"unit {unit.name!r}: dose of {d.species!r} has basis outlet "
                f"{d.basis.stream!r}; a dose is added before the unit's outlets exist, so base it "
                "on the inlet, species or element"
            )
    molar_mass = index.molar_mass[work]
    keys = elements.pairs(work)
    pair_at = {
        (index.names[int(c)], int(t)): j
        for j, (c, t) in enumerate(
            zip(elements.species_of(keys), elements.element_of(keys), strict=True)
        )
    }
    inlet_pairs = tuple(
        np.searchsorted(keys, elements.pairs(np.flatnonzero(active[s]))) for s in unit.inlets
    )
    outlet_keys = [elements.pairs(c) for c in outlet_cols]
    outlet_pairs = tuple(np.searchsorted(keys, k) for k in outlet_keys)
    outlet_pair_species = tuple(
        np.searchsorted(c, elements.species_of(k))
        for c, k in zip(outlet_cols, outlet_keys, strict=True)
    )
    releases = tuple(
        release_plan(
            reaction_products(r.stoichiometry),
            [n for n, nu in r.stoichiometry.items() if nu < 0],
            pair_at,
            index,
            elements,
            r.origin_first,
        )
        for r in unit.reactions
    )
    consumptions = tuple(_consumption(r, local, molar_mass) for r in unit.reactions)
    burn_releases = {
        n: release_plan(
            burn_products(combustion_change(n), index), [n], pair_at, index, elements, {}
        )
        for n in unit.burn
        if n in local
    }
    return UnitPlan(
        unit=unit,
        work=work,
        names=names,
        local=local,
        inlet_pos=inlet_pos,
        outlet_cols=outlet_cols,
        outlet_pos=outlet_pos,
        shares=tuple(shares),
        dose_bases=tuple(_weights(d.basis, unit, work, outlet_cols, index) for d in unit.doses),
        utility_bases=tuple(
            _weights(u.basis, unit, work, outlet_cols, index) for u in unit.utilities
        ),
        molar_mass=molar_mass,
        releases=releases,
        consumptions=consumptions,
        burn_releases=burn_releases,
        pairs=keys.size,
        inlet_pairs=inlet_pairs,
        outlet_pairs=outlet_pairs,
        outlet_pair_species=outlet_pair_species,
    )


def _weights(
    basis: Basis,
    unit: Unit,
    work: np.ndarray,
    outlet_cols: tuple[np.ndarray, ...],
    index: SpeciesIndex,
) -> WeightedBasis:
    """The weight vector that turns a stream into ``basis`` (kg, or kmol with ``per_mol``)."""
    cols, outlet = work, None
    if basis.kind == "outlet":
        if basis.stream not in unit.outlets:
            raise InputError(
                f"unit {unit.name!r}: basis outlet {basis.stream!r} is not one of its outlets "
                f"({', '.join(unit.outlets)})"
            )
        outlet = unit.outlets.index(basis.stream)
        cols = outlet_cols[outlet]
    names = [index.names[c] for c in cols]
    if basis.kind == "inlet" or (basis.kind == "outlet" and not basis.names):
        w = np.ones(len(cols))
    elif basis.kind in ("species", "outlet"):
        w = np.array([1.0 if n in basis.names else 0.0 for n in names])
        if basis.per_mol:
            w = w / np.where(w > 0, index.molar_mass[cols], 1.0)
    elif basis.kind == "element":
        els = [index.elements.index(e) for e in basis.names if e in index.elements]
        w = np.zeros(len(cols))
        for e in els:
            scale = 1.0 / atomic_mass(index.elements[e]) if basis.per_mol else 1.0
            w += index.E[cols, e] * scale
    else:
        raise InputError(
            f"unit {unit.name!r}: unknown basis kind {basis.kind!r}; "
            "use inlet, species, element or outlet"
        )
    return WeightedBasis(w, outlet)


@dataclass
class UnitRun:
    """What one evaluation of a unit produced: outlet streams and booked inventory (per row)."""

    outlets: dict[str, Stream]
    reagents: dict[str, np.ndarray]
    utilities: dict[str, np.ndarray]


def mix(plan: UnitPlan, inlets: list[Stream]) -> np.ndarray:
    """The unit's mixed inlet on its work columns, shape (rows, len(work))."""
    first = inlets[0]
    if len(inlets) == 1 and first.cols.size == plan.work.size:
        return first.data
    out = np.zeros((first.data.shape[0], plan.work.size))
    for pos, s in zip(plan.inlet_pos, inlets, strict=True):
        out[:, pos] += s.data
    return out


def mix_origin(plan: UnitPlan, inlets: list[Stream]) -> np.ndarray | None:
    """The mixed inlet's battery-origin tracer (rows, work pairs), or None when an inlet carries
    none (the linear passes of a recycle solve)."""
    held = [s.origin for s in inlets]
    if any(o is None for o in held):
        return None
    if len(held) == 1 and plan.inlet_pairs[0].size == plan.pairs:
        only = np.asarray(held[0])
        return only.copy() if plan.changes else only  # reactions change it in place
    out = np.zeros((inlets[0].data.shape[0], plan.pairs))
    for pos, o in zip(plan.inlet_pairs, held, strict=True):
        out[:, pos] += np.asarray(o)
    return out


def run_plan(plan: UnitPlan, inlets: list[Stream], resolve: Resolve, book: bool = True) -> UnitRun:
    """Evaluate a compiled unit on its inlet streams; returns outlets and inventory.

    ``book=False`` skips utilities and the check that reactions leave no negative mass (used for
    the linear-operator passes of recycle solves, where superposed parts may be negative).
    """
    unit = plan.unit
    inlet = mix(plan, inlets)
    origin = mix_origin(plan, inlets)
    rows = inlet.shape[0]
    stream = inlet.copy() if plan.changes else inlet  # the inlet stays as it came: bases use it
    reagents: dict[str, np.ndarray] = {}

    def add_reagent(name: str, kg: np.ndarray) -> None:
        stream[:, plan.local[name]] += kg
        reagents[name] = reagents.get(name, 0.0) + kg

    for dose, basis in zip(unit.doses, plan.dose_bases, strict=True):
        amount = np.asarray(resolve(dose.amount)).reshape(-1)
        kg = amount * (inlet @ basis.weights)
        if dose.basis.per_mol:
            kg = kg * plan.molar_mass[plan.local[dose.species]]
        add_reagent(dose.species, np.broadcast_to(kg, (rows,)).copy())

    for reaction, handover, used in zip(
        unit.reactions, plan.releases, plan.consumptions, strict=True
    ):
        _react(plan, reaction, stream, resolve, add_reagent, book, origin, handover, used)
    if unit.burn:
        burning = tuple(n for n in unit.burn if n in plan.local)
        shares = [resolve(unit.burn[n]) for n in burning]
        if origin is not None:
            for name, share in zip(burning, shares, strict=True):
                s = np.broadcast_to(np.asarray(share, dtype=float).reshape(-1), (rows,))
                kg = stream[:, plan.local[name]] * s
                release(plan.burn_releases[name], origin, s[:, None], kg)
        for name, kg in burn(stream, burning, shares, plan.local.__getitem__).items():
            reagents[name] = reagents.get(name, 0.0) + kg

    outlets = split(plan, stream, resolve, origin)
    utilities: dict[str, np.ndarray] = {}
    if book:
        for util, basis in zip(unit.utilities, plan.utility_bases, strict=True):
            measured = (
                inlet if basis.outlet is None else outlets[unit.outlets[basis.outlet]].data
            ) @ basis.weights
            qty = np.asarray(resolve(util.amount)).reshape(-1) * util.scale * measured
            utilities[util.kind] = utilities.get(util.kind, 0.0) + np.broadcast_to(qty, (rows,))
    return UnitRun(outlets, reagents, utilities)


def _react(
    plan: UnitPlan,
    reaction: Reaction,
    stream: np.ndarray,
    resolve: Resolve,
    add_reagent: Callable[[str, np.ndarray], None],
    check: bool,
    origin: np.ndarray | None = None,
    handover: ReleasePlan | None = None,
    used: Consumption | None = None,
) -> None:
    unit = plan.unit
    r = plan.local[reaction.reactant]
    if not stream[:, r].any():  # no reactant, no extent: nothing happens, nothing is dosed
        return
    nu_r = -float(reaction.stoichiometry[reaction.reactant])
    conversion = np.asarray(resolve(reaction.conversion)).reshape(-1)
    if np.any(conversion < 0) or np.any(conversion > 1):
        raise InputError(
            f"unit {unit.name!r}: conversion of {reaction.reactant!r} must lie in [0, 1]"
        )
    extent = conversion * stream[:, r] / plan.molar_mass[r] / nu_r  # kmol per row
    for name, excess in reaction.dosed.items():
        e = np.asarray(resolve(excess)).reshape(-1)
        nu = -float(reaction.stoichiometry[name])
        add_reagent(name, extent * nu * (1.0 + e) * plan.molar_mass[plan.local[name]])
    if origin is not None and handover is not None and used is not None:
        _hand_over(stream, handover, used, origin, extent, conversion)
    for name, coefficient in reaction.stoichiometry.items():
        j = plan.local[name]
        stream[:, j] += extent * (float(coefficient) * plan.molar_mass[j])
    if not check:  # linear-operator passes of a recycle solve: superposed parts may be negative
        return
    cols = [plan.local[n] for n, nu in reaction.stoichiometry.items() if nu < 0]
    low = stream[:, cols].min(axis=0)
    if low.min() >= 0:
        return
    scale = max(float(np.abs(stream).sum(axis=1).max()), 1e-300)
    bad = [plan.names[c] for c, m in zip(cols, low, strict=True) if m < -1e-9 * scale]
    if bad:
        raise InputError(
            f"unit {unit.name!r}: reaction {reaction.equation!r} consumes more {', '.join(bad)} "
            "than the stream holds; dose it in the reaction or lower the conversion"
        )
    stream[:, cols] = np.maximum(stream[:, cols], 0.0)  # round-off of complete conversions


def _consumption(
    reaction: Reaction, local: Mapping[str, int], molar_mass: np.ndarray
) -> Consumption:
    """The reaction's reactants on the work columns, in its stoichiometry's order (the order
    ``release_plan`` numbers them in)."""
    names = [n for n, nu in reaction.stoichiometry.items() if nu < 0]
    cols = np.array([local[n] for n in names], dtype=int)
    kg = np.array([-float(reaction.stoichiometry[n]) for n in names]) * molar_mass[cols]
    return Consumption(cols, kg, names.index(reaction.reactant))


def _hand_over(
    stream: np.ndarray,
    handover: ReleasePlan,
    used: Consumption,
    origin: np.ndarray,
    extent: np.ndarray,
    conversion: np.ndarray,
) -> None:
    """Move battery-origin atoms for one reaction: each reactant gives up the share of its mass
    the reaction consumes (the reference reactant exactly its conversion)."""
    if not any(origin[:, k].any() for k in handover.taken if k.size):
        return
    held = stream[:, used.cols]
    kg = extent[:, None] * used.kg_per_extent
    share = np.clip(np.divide(kg, held, out=np.zeros_like(kg), where=held > 0), 0.0, 1.0)
    share[:, used.reference] = conversion
    release(handover, origin, share, extent)


def outlet_shares(plan: UnitPlan, resolve: Resolve) -> list[np.ndarray]:
    """Share of each species to each outlet but the last, shape (1 or rows, len(outlet cols));
    refuses shares outside [0, 1] or summing above 1 for a species."""
    result = []
    total: np.ndarray | None = None
    for o, pos in zip(plan.shares, plan.outlet_pos, strict=False):
        default = np.asarray(resolve(o.default), dtype=float).reshape(-1, 1)
        values = [(k, np.asarray(resolve(v), dtype=float).reshape(-1)) for k, v in o.listed]
        depth = max([default.shape[0], *(v.size for _, v in values)])
        s = np.empty((depth, pos.size))
        s[:] = default
        for k, v in values:
            s[:, k] = v
        result.append(s)
        if s.size:
            if total is None:
                total = np.zeros((depth, plan.work.size))
            elif total.shape[0] < depth:
                total = np.broadcast_to(total, (depth, plan.work.size)).copy()
            total[:, pos] += s
    low = min((float(s.min()) for s in result if s.size), default=0.0)
    if low < 0 or (total is not None and float(total.max()) > 1 + 1e-12):
        raise InputError(
            f"unit {plan.unit.name!r}: split shares must lie in [0, 1] and sum to at most 1 "
            "per species"
        )
    return result


def split(
    plan: UnitPlan, stream: np.ndarray, resolve: Resolve, origin: np.ndarray | None = None
) -> dict[str, Stream]:
    """Outlet streams on their own columns; the last outlet is what the others leave. The
    battery-origin tracer, if given, is shared like the species' mass."""
    unit = plan.unit
    if len(unit.outlets) == 1:
        pos = plan.outlet_pos[0]
        data = stream if pos.size == plan.work.size else stream[:, pos]
        pairs = plan.outlet_pairs[0]
        kept = origin if origin is None or pairs.size == plan.pairs else origin[:, pairs]
        return {unit.outlets[0]: Stream(plan.outlet_cols[0], data, kept)}
    rest = stream.copy()
    rest_origin = None if origin is None else origin.copy()
    outlets = {}
    for k, (name, cols, pos, share) in enumerate(
        zip(
            unit.outlets,
            plan.outlet_cols,
            plan.outlet_pos,
            outlet_shares(plan, resolve),
            strict=False,
        )
    ):
        taken = stream[:, pos] * share
        rest[:, pos] -= taken
        taken_origin = None
        if origin is not None and rest_origin is not None:
            pairs = plan.outlet_pairs[k]
            taken_origin = origin[:, pairs] * share[:, plan.outlet_pair_species[k]]
            rest_origin[:, pairs] -= taken_origin
        outlets[name] = Stream(cols, taken, taken_origin)
    pos = plan.outlet_pos[-1]
    last = rest if pos.size == plan.work.size else rest[:, pos]
    last_origin = None if rest_origin is None else rest_origin[:, plan.outlet_pairs[-1]]
    outlets[unit.outlets[-1]] = Stream(plan.outlet_cols[-1], last, last_origin)
    return outlets
