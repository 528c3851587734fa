"""An independent optimum of a network instance: every build plan enumerated, the flows of each
solved as a linear program with ``scipy.optimize.linprog``.

Written from the contract in :class:`urbanmine.network.instance.Instance`'s docstrings, not from
the MILP: given which modules are in place, periods do not interact (flows are annual, nothing is
stored), so the cost of a plan is ``sum_t weight[t] x (LP_t(capacity in t) + fixed cost of the
modules in place in t)``, where ``LP_t`` is the cheapest way to handle period ``t``'s supply with
that capacity. ``LP_t`` is solved once per set of modules in place (memoised), and plans
(each module: built from some allowed period on, or never) are enumerated.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from urbanmine.network.instance import Instance


def ship_rows(inst: Instance) -> np.ndarray:
    """``(C,)``: commodities that must be sent on or counted unprocessed (they ship and some site
    takes them); any other commodity leaves at the gate of whoever has it."""
    return np.asarray(inst.ships, dtype=bool) & inst.accepts.any(axis=0)


def allowed_edges(inst: Instance) -> np.ndarray:
    """``(nodes, sites, C)``: where a shipment may go (a site that takes a shipping commodity,
    not the node itself, within ``max_km``)."""
    n_i, n_j = len(inst.sources), len(inst.sites)
    ok = ship_rows(inst)[None, None, :] & inst.accepts[None, :, :]
    ok = np.broadcast_to(ok, (n_i + n_j, n_j, len(inst.commodities))).copy()
    ok[n_i + np.arange(n_j), np.arange(n_j), :] = False
    if inst.max_km is not None:
        ok &= (inst.distance_km <= inst.max_km)[:, :, None]
    return ok


def flow_cost(inst: Instance) -> np.ndarray:
    """``(nodes, sites, C)`` EUR per tonne shipped: transport, plant variable cost, carbon."""
    cp = inst.carbon_price_eur_per_t / 1000.0  # EUR per kg CO2e
    per_tkm = inst.price_eur_per_tkm + cp * inst.ghg_kg_per_tkm
    per_t = inst.variable_eur_per_t + cp * inst.plant_ghg_kg_per_t
    return inst.distance_km[:, :, None] * per_tkm[None, None, :] + per_t[None, :, :]


def period_lp(inst: Instance, t: int, capacity: np.ndarray) -> float:
    """The cheapest annual cost (EUR/yr, without fixed costs) of period ``t`` with ``capacity``
    (t input/yr by site): flows and unprocessed tonnes, balances at every node."""
    n_i, n_j = len(inst.sources), len(inst.sites)
    n_n, n_c = n_i + n_j, len(inst.commodities)
    edges = np.argwhere(allowed_edges(inst))  # rows (n, j, c)
    rows = ship_rows(inst)
    lefts = [(n, c) for n in range(n_n) for c in range(n_c) if rows[c]]
    n_f, n_l = len(edges), len(lefts)
    cost = np.concatenate(
        [
            flow_cost(inst)[edges[:, 0], edges[:, 1], edges[:, 2]],
            [inst.penalty_eur_per_t[c] for _, c in lefts],
        ]
    )
    balance_row = {nc: k for k, nc in enumerate(lefts)}
    a_eq = lil_matrix((n_l, n_f + n_l))
    b_eq = np.zeros(n_l)
    for k, (n, c) in enumerate(lefts):
        a_eq[k, n_f + k] = 1.0  # left
        if n < n_i:
            b_eq[k] = inst.supply_t[n, t, c]
    for e, (n, j, c) in enumerate(edges):
        a_eq[balance_row[(n, c)], e] += 1.0  # shipped by n
        for d in range(n_c):  # made at j from what it takes in
            if rows[d] and inst.yields[j, c, d] != 0:
                a_eq[balance_row[(n_i + j, d)], e] -= inst.yields[j, c, d]
    a_ub = lil_matrix((n_j, n_f + n_l))
    for e, (_, j, _) in enumerate(edges):
        a_ub[j, e] = 1.0
    res = linprog(
        cost,
        A_ub=a_ub.tocsr(),
        b_ub=capacity,
        A_eq=a_eq.tocsr(),
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0, res.message
    return float(res.fun)


def modules(inst: Instance) -> list[tuple[int, int]]:
    """The candidate modules ``(site, size)`` (size > 0)."""
    return [(int(j), int(s)) for j, s in np.argwhere(inst.sizes_t > 0)]


def plan_cost(inst: Instance, build: np.ndarray) -> float:
    """Present-value cost of a build plan ``(sites, sizes, periods)`` of 0/1: the best flows for
    its capacity plus the fixed cost of the modules in place, period by period."""
    return _Evaluator(inst).cost(build)


class _Evaluator:
    """Memoised period LPs of one instance."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.lp = cache(self._lp)

    def _lp(self, t: int, in_place: tuple[tuple[int, int], ...]) -> float:
        capacity = self.inst.existing_t[:, t].astype(float).copy()
        for j, s in in_place:
            capacity[j] += self.inst.sizes_t[j, s]
        return period_lp(self.inst, t, capacity)

    def cost(self, build: np.ndarray) -> float:
        inst, total = self.inst, 0.0
        for t in range(len(inst.years)):
            in_place = tuple((int(j), int(s)) for j, s in np.argwhere(build[:, :, t] > 0.5))
            fixed = sum(inst.size_fixed_eur[j, s] for j, s in in_place)
            total += inst.weight[t] * (self.lp(t, in_place) + fixed)
        return total


def enumerate_optimum(inst: Instance) -> tuple[float, np.ndarray]:
    """The cheapest plan over every build plan that respects earliest years and keeps modules
    built: each module is built from one allowed period on, or never. Cost and plan."""
    ev = _Evaluator(inst)
    n_t = len(inst.years)
    mods = modules(inst)
    choices = [
        [t for t in range(n_t) if inst.years[t] >= inst.earliest[j]] + [n_t] for j, _ in mods
    ]
    best = (np.inf, np.zeros((*inst.sizes_t.shape, n_t)))
    for starts in itertools.product(*choices):
        build = np.zeros((*inst.sizes_t.shape, n_t))
        for (j, s), t0 in zip(mods, starts, strict=True):
            build[j, s, t0:] = 1.0
        cost = ev.cost(build)
        if cost < best[0]:
            best = (cost, build)
    return best
