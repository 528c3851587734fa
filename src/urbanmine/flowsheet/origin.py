"""Battery-origin mass: which atoms of each stream came from the flowsheet's feed (the battery).

Recycling efficiency as Regulation (EU) 2023/1542 Art. 3(60) and Regulation (EU) 493/2012
Art. 2(3)-(5) count it is the mass of output fractions *produced from the input fraction* over the
input fraction; oxygen, hydrogen, sulfur, sodium or carbon that acids, bases, carbonates,
peroxide or air put into a product are not battery mass. Which atoms of a product came from the
battery is chemistry, so the engine carries it beside the total mass:

- Elements only the feed brings ("feed-only": Li, Ni, Co, Mn, Cu, Al, Fe, P, F... in a battery
  route) need no tracking: every such atom anywhere came from the battery.
- Elements only reagents bring (Na, S, Cl... in most routes) are never battery mass.
- Elements both bring ("tracked": usually O, H, C) are followed as a tracer: per stream, kg of
  battery-origin element per species, shape (rows, species, tracked elements). Splits share it
  like the species' mass, mixers add it, doses add none.
- A reaction (or burning) releases the battery-origin atoms of the share of each reactant it
  consumes and hands them to its products in a fill order: first the products the route names
  for that element (``origin_first`` with the reaction: an atom mapping), then by-products that
  carry no feed-only element (water, O2, CO2, the reagent's salts), then the products that carry
  feed-only elements. That is the documented default "metal cations from the feed; anions and
  hydroxide from the reagent; the feed's own oxygen leaves as water or oxygen": leaching
  ``2 NMC622 + 3 H2SO4 + H2O2 -> Li2SO4 + ... + 4 H2O + O2`` puts the oxide's oxygen into water
  and O2, so the sulfates' oxygen is the acid's.

Battery-origin atoms are conserved (released atoms always fit the products that contain that
element), which results check as a balance beside the element balance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from urbanmine.materials.species import SpeciesIndex, get_species


@dataclass(frozen=True)
class OriginElements:
    """Element columns (positions in ``index.elements``) by where their atoms can come from."""

    tracked: np.ndarray
    feed_only: np.ndarray

    @classmethod
    def of(
        cls, index: SpeciesIndex, feed_species: Sequence[str], reagent_species: Sequence[str]
    ) -> OriginElements:
        """Tracked = elements of both the feed and some reagent; feed-only = the feed's others."""
        feed = {el for n in feed_species for el in get_species(n).elements}
        reagent = {el for n in reagent_species for el in get_species(n).elements}
        cols = {el: j for j, el in enumerate(index.elements)}
        tracked = sorted(cols[el] for el in feed & reagent)
        feed_only = sorted(cols[el] for el in feed - reagent)
        return cls(np.array(tracked, dtype=int), np.array(feed_only, dtype=int))


@dataclass(frozen=True)
class ReleasePlan:
    """How one reaction (or the burning of one species) moves battery-origin atoms.

    ``reactants`` and ``products`` are positions in the unit's work columns; ``demand[p, t]`` is
    kg of tracked element ``t`` in product ``p`` formed per unit of extent (kmol for reactions,
    kg burned for burning); ``order[t]`` lists groups of product indices in the order they take
    released battery-origin atoms of element ``t``.
    """

    reactants: np.ndarray
    products: np.ndarray
    demand: np.ndarray
    order: tuple[tuple[np.ndarray, ...], ...]


def release_plan(
    produced: Mapping[str, float],
    reactants: Sequence[str],
    local: Mapping[str, int],
    index: SpeciesIndex,
    elements: OriginElements,
    first: Mapping[str, Sequence[str]],
) -> ReleasePlan:
    """Plan the hand-over of battery-origin atoms from ``reactants`` to ``produced`` (product
    name -> kmol (or kg) formed per unit of extent; kmol when the product has a formula)."""
    names = list(produced)
    demand = np.zeros((len(names), elements.tracked.size))
    carriers = np.zeros(len(names), dtype=bool)
    for p, name in enumerate(names):
        row = index.E[index.position(name)]
        carriers[p] = bool(np.any(row[elements.feed_only] > 0))
        mm = index.molar_mass[index.position(name)]
        for t, e in enumerate(elements.tracked):
            demand[p, t] = produced[name] * mm * row[e]
    order = []
    for t, e in enumerate(elements.tracked):
        named = [names.index(n) for n in first.get(index.elements[e], ()) if n in names]
        rest = [p for p in range(len(names)) if p not in named]
        groups = [np.array([p]) for p in named]
        groups.append(np.array([p for p in rest if not carriers[p]], dtype=int))
        groups.append(np.array([p for p in rest if carriers[p]], dtype=int))
        order.append(tuple(g for g in groups if g.size and np.any(demand[g, t] > 0)))
    return ReleasePlan(
        np.array([local[n] for n in reactants], dtype=int),
        np.array([local[n] for n in names], dtype=int),
        demand,
        tuple(order),
    )


def reaction_products(stoichiometry: Mapping[str, Fraction]) -> dict[str, float]:
    """kmol of each product per kmol of extent, from signed molar coefficients."""
    return {n: float(nu) for n, nu in stoichiometry.items() if nu > 0}


def burn_products(change: Mapping[str, float], index: SpeciesIndex) -> dict[str, float]:
    """kmol of each combustion product per kg burned, from a kg-per-kg change vector."""
    return {
        n: kg / index.molar_mass[index.position(n)]
        for n, kg in change.items()
        if kg > 0 and n in index.names
    }


def release(
    plan: ReleasePlan, origin: np.ndarray, consumed_share: np.ndarray, extent: np.ndarray
) -> None:
    """Move battery-origin atoms in ``origin`` (rows, work, tracked; changed in place).

    ``consumed_share`` (rows, reactants) is the share of each reactant's mass the reaction uses;
    ``extent`` (rows,) its extent in the unit ``plan.demand`` is per.
    """
    if plan.demand.shape[1] == 0:
        return
    held = origin[:, plan.reactants, :]
    released = np.einsum("rk,rkt->rt", consumed_share, held)
    origin[:, plan.reactants, :] = held * (1.0 - consumed_share)[:, :, None]
    for t, groups in enumerate(plan.order):
        left = released[:, t]
        for g in groups:
            need = extent[:, None] * plan.demand[g, t][None, :]
            total = need.sum(axis=1)
            taken = np.minimum(left, total)
            share = np.divide(taken, total, out=np.zeros_like(taken), where=total > 0)
            origin[:, plan.products[g], t] += need * share[:, None]
            left = left - taken


def feed_origin(
    data: np.ndarray, cols: np.ndarray, index: SpeciesIndex, tracked: np.ndarray
) -> np.ndarray:
    """Battery-origin kg of each tracked element in each feed species: all of it."""
    return data[:, :, None] * index.E[np.ix_(cols, tracked)][None, :, :]
