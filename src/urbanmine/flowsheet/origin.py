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
  battery-origin element for every (species, tracked element) pair whose species holds the
  element ("pairs", keyed ``species column x tracked + element``), shape (rows, pairs). Splits
  share it like the species' mass, mixers add it, doses add none.
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
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from urbanmine.materials.species import SpeciesIndex, get_species


@dataclass(frozen=True)
class OriginElements:
    """Element columns (positions in ``index.elements``) by where their atoms can come from, and
    ``holds[species, t]``: whether a species contains tracked element ``t``."""

    tracked: np.ndarray
    feed_only: np.ndarray
    holds: np.ndarray
    _weights: dict[tuple[bytes, int], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(
        cls, index: SpeciesIndex, feed_species: Sequence[str], reagent_species: Sequence[str]
    ) -> OriginElements:
        """Tracked = elements of both the feed and some reagent; feed-only = the feed's others."""
        feed = {el for n in feed_species for el in get_species(n).elements}
        reagent = {el for n in reagent_species for el in get_species(n).elements}
        cols = {el: j for j, el in enumerate(index.elements)}
        tracked = np.array(sorted(cols[el] for el in feed & reagent), dtype=int)
        feed_only = np.array(sorted(cols[el] for el in feed - reagent), dtype=int)
        return cls(tracked, feed_only, index.E[:, tracked] > 0)

    def pairs(self, cols: np.ndarray) -> np.ndarray:
        """Sorted pair keys (``column x tracked + t``) of the species columns ``cols``."""
        width = self.tracked.size
        flat = np.flatnonzero(self.holds[cols].ravel())
        return np.asarray(cols, dtype=int)[flat // max(width, 1)] * width + flat % max(width, 1)

    def species_of(self, keys: np.ndarray) -> np.ndarray:
        """Species column of each pair key."""
        return keys // max(self.tracked.size, 1)

    def element_of(self, keys: np.ndarray) -> np.ndarray:
        """Tracked element (0..tracked-1) of each pair key."""
        return keys % max(self.tracked.size, 1)

    def element_weights(
        self, cols: np.ndarray, index: SpeciesIndex, leave_out: int = -1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Matrices turning a stream on ``cols`` into battery-origin kg of every element of the
        index: ``data @ W1 + tracer @ W2`` (feed-only elements from the species' mass, tracked
        elements from the tracer); species column ``leave_out`` (water) counts nothing. Cached
        per column set."""
        key = (np.asarray(cols).tobytes(), leave_out)
        if key not in self._weights:
            w1 = np.zeros((cols.size, len(index.elements)))
            w1[:, self.feed_only] = index.E[np.ix_(cols, self.feed_only)]
            w1[cols == leave_out] = 0.0
            keys = self.pairs(cols)
            w2 = np.zeros((keys.size, len(index.elements)))
            w2[np.arange(keys.size), self.tracked[self.element_of(keys)]] = 1.0
            w2[self.species_of(keys) == leave_out] = 0.0
            self._weights[key] = (w1, w2)
        return self._weights[key]

    def by_element(self, keys: np.ndarray, tracer: np.ndarray) -> np.ndarray:
        """Tracer summed per tracked element, shape (rows, tracked)."""
        onehot = np.eye(self.tracked.size)[self.element_of(keys)]
        return tracer @ onehot


@dataclass(frozen=True)
class ReleasePlan:
    """How one reaction (or the burning of one species) moves battery-origin atoms.

    ``given[t]`` and ``taken[t]`` are, per tracked element ``t``, the indices of the reactants
    that hold it and their pair positions in the unit's work pairs; ``products[p, t]`` is product
    ``p``'s pair position (-1: it holds no ``t``); ``demand[p, t]`` is kg of ``t`` in product
    ``p`` formed per unit of extent (kmol for reactions, kg burned for burning); ``order[t]``
    lists groups of product indices in the order they take released atoms of ``t``.
    """

    given: tuple[np.ndarray, ...]
    taken: tuple[np.ndarray, ...]
    products: np.ndarray
    demand: np.ndarray
    order: tuple[tuple[np.ndarray, ...], ...]


def release_plan(
    produced: Mapping[str, float],
    reactants: Sequence[str],
    pair_at: Mapping[tuple[str, int], int],
    index: SpeciesIndex,
    elements: OriginElements,
    first: Mapping[str, Sequence[str]],
) -> ReleasePlan:
    """Plan the hand-over of battery-origin atoms from ``reactants`` to ``produced`` (product
    name -> kmol formed per unit of extent); ``pair_at[(species, t)]`` is a work pair position."""
    names = list(produced)
    width = elements.tracked.size
    demand = np.zeros((len(names), width))
    products = np.full((len(names), width), -1, dtype=int)
    carriers = np.zeros(len(names), dtype=bool)
    for p, name in enumerate(names):
        row = index.E[index.position(name)]
        carriers[p] = bool(np.any(row[elements.feed_only] > 0))
        mm = index.molar_mass[index.position(name)]
        for t, e in enumerate(elements.tracked):
            demand[p, t] = produced[name] * mm * row[e]
            products[p, t] = pair_at.get((name, t), -1)
    given, taken, order = [], [], []
    for t, e in enumerate(elements.tracked):
        holding = [(r, pair_at[(n, t)]) for r, n in enumerate(reactants) if (n, t) in pair_at]
        given.append(np.array([r for r, _ in holding], dtype=int))
        taken.append(np.array([k for _, k in holding], dtype=int))
        named = [names.index(n) for n in first.get(index.elements[e], ()) if n in names]
        rest = [p for p in range(len(names)) if p not in named]
        groups = [np.array([p]) for p in named]
        groups.append(np.array([p for p in rest if not carriers[p]], dtype=int))
        groups.append(np.array([p for p in rest if carriers[p]], dtype=int))
        order.append(tuple(g for g in groups if g.size and np.any(demand[g, t] > 0)))
    return ReleasePlan(tuple(given), tuple(taken), products, demand, tuple(order))


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
    """Move battery-origin atoms in ``origin`` (rows, work pairs; changed in place).

    ``consumed_share`` (rows, reactants) is the share of each reactant's mass the reaction uses;
    ``extent`` (rows,) its extent in the unit ``plan.demand`` is per.
    """
    for t, groups in enumerate(plan.order):
        pairs = plan.taken[t]
        if not pairs.size:
            continue
        held = origin[:, pairs]
        if not held.any():  # e.g. a sulfate whose oxygen is all the acid's: nothing to hand on
            continue
        share = consumed_share[:, plan.given[t]]
        left = (held * share).sum(axis=1)
        origin[:, pairs] = held * (1.0 - share)
        for g in groups:
            need = extent[:, None] * plan.demand[g, t][None, :]
            total = need.sum(axis=1)
            taken = np.minimum(left, total)
            fill = np.divide(taken, total, out=np.zeros_like(taken), where=total > 0)
            at = plan.products[g, t]
            holds = at >= 0  # a product without element t (pair -1) takes none of it; -1 must
            # not reach the fancy index, where it would alias the last pair (and, repeated, undo
            # that pair's share when the last pair is another product of the group)
            origin[:, at[holds]] += (need * fill[:, None])[:, holds]
            left = left - taken


def feed_origin(
    data: np.ndarray, cols: np.ndarray, index: SpeciesIndex, elements: OriginElements
) -> np.ndarray:
    """Battery-origin kg of each tracked element in each feed species: all of it, (rows, pairs)."""
    keys = elements.pairs(cols)
    k = np.searchsorted(cols, elements.species_of(keys))
    fraction = index.E[cols[k], elements.tracked[elements.element_of(keys)]]
    return data[:, k] * fraction
